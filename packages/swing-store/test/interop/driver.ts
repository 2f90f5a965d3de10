// One command-line driver, run once per implementation in its own child
// process (two copies of SES cannot share a realm). Both sides feed the same
// JSON script of operations through the same code, so any difference in the
// resulting stores comes from the implementations.
//
//   write  <script.json> <storeDir> <results.json> [storeOptions.json]
//   export <storeDir> <outDir> <artifactMode>
//   import <inDir> <storeDir> <artifactMode>
import fs from 'node:fs';

import { makeDirExporter, writeExportDir } from './artifactDir.js';
import type { ExporterLike } from './artifactDir.js';

export type ScriptOp =
  | { op: 'kvSet'; key: string; value: string }
  | { op: 'kvDelete'; key: string }
  | { op: 'hostSet'; key: string; value: string }
  | { op: 'initTranscript'; vatID: string }
  | { op: 'addItems'; vatID: string; items: string[] }
  | { op: 'rolloverSpan'; vatID: string }
  | { op: 'rolloverIncarnation'; vatID: string }
  | { op: 'stopUsingTranscript'; vatID: string }
  | { op: 'deleteVatTranscripts'; vatID: string; budget?: number }
  | { op: 'saveSnapshot'; vatID: string; snapPos: number; base64: string }
  | { op: 'stopUsingLastSnapshot'; vatID: string }
  | { op: 'deleteVatSnapshots'; vatID: string; budget?: number }
  | { op: 'addBundle'; bundleID: string; bundle: unknown }
  | { op: 'startCrank' }
  | { op: 'emitCrankHashes' }
  | { op: 'endCrank' }
  | { op: 'commit' };

/** The part of a store the script drives; both implementations fit it. */
export interface ScriptableStore {
  kernelStorage: {
    kvStore: { set(key: string, value: string): void; delete(key: string): void };
    transcriptStore: {
      initTranscript(vatID: string): void;
      addItem(vatID: string, item: string): void;
      getCurrentSpanBounds(vatID: string): unknown;
      rolloverSpan(vatID: string): Promise<number>;
      rolloverIncarnation(vatID: string): Promise<number>;
      stopUsingTranscript(vatID: string): unknown;
      deleteVatTranscripts(vatID: string, budget?: number): unknown;
    };
    snapStore: {
      saveSnapshot(vatID: string, snapPos: number, chunks: AsyncIterable<Uint8Array>): Promise<{ hash: string; uncompressedSize: number }>;
      stopUsingLastSnapshot(vatID: string): void;
      deleteVatSnapshots(vatID: string, budget?: number): unknown;
    };
    bundleStore: { addBundle(bundleID: string, bundle: never): void };
    startCrank(): void;
    emitCrankHashes(): unknown;
    endCrank(): void;
  };
  hostStorage: {
    kvStore: { set(key: string, value: string): void };
    commit(): Promise<void>;
    close(): Promise<void>;
  };
}

/** What the driver needs of a swing-store implementation (both fit). */
export interface Implementation {
  initSwingStore(dirPath: string, options?: object): ScriptableStore;
  makeSwingStoreExporter(dirPath: string, options?: { artifactMode?: string }): ExporterLike;
  importSwingStore(
    exporter: ExporterLike,
    dirPath: string,
    options?: { artifactMode?: string },
  ): Promise<{ hostStorage: ScriptableStore['hostStorage'] }>;
}

type Kernel = ScriptableStore['kernelStorage'];
type Host = ScriptableStore['hostStorage'];

/** Applies the script; returns what each op returned (undefined as null). */
export async function applyScript(store: ScriptableStore, script: ScriptOp[]): Promise<unknown[]> {
  const { kernelStorage, hostStorage } = store;
  const results: unknown[] = [];
  for (const step of script) {
    results.push((await applyOp(kernelStorage, hostStorage, step)) ?? null);
  }
  return results;
}

async function applyOp(kernel: Kernel, host: Host, step: ScriptOp): Promise<unknown> {
  switch (step.op) {
    case 'kvSet':
      return kernel.kvStore.set(step.key, step.value);
    case 'kvDelete':
      return kernel.kvStore.delete(step.key);
    case 'hostSet':
      return host.kvStore.set(step.key, step.value);
    case 'initTranscript':
      return kernel.transcriptStore.initTranscript(step.vatID);
    case 'addItems':
      for (const item of step.items) {
        kernel.transcriptStore.addItem(step.vatID, item);
      }
      return kernel.transcriptStore.getCurrentSpanBounds(step.vatID);
    case 'rolloverSpan':
      return kernel.transcriptStore.rolloverSpan(step.vatID);
    case 'rolloverIncarnation':
      return kernel.transcriptStore.rolloverIncarnation(step.vatID);
    case 'stopUsingTranscript':
      return kernel.transcriptStore.stopUsingTranscript(step.vatID);
    case 'deleteVatTranscripts':
      return kernel.transcriptStore.deleteVatTranscripts(step.vatID, step.budget);
    case 'saveSnapshot': {
      const bytes = Buffer.from(step.base64, 'base64');
      const { hash, uncompressedSize } = await kernel.snapStore.saveSnapshot(
        step.vatID,
        step.snapPos,
        (async function* oneChunk() {
          yield bytes;
        })(),
      );
      return { hash, uncompressedSize };
    }
    case 'stopUsingLastSnapshot':
      return kernel.snapStore.stopUsingLastSnapshot(step.vatID);
    case 'deleteVatSnapshots':
      return kernel.snapStore.deleteVatSnapshots(step.vatID, step.budget);
    case 'addBundle':
      // The bundle was parsed from the script; the store checks it.
      return kernel.bundleStore.addBundle(step.bundleID, step.bundle as never);
    case 'startCrank':
      return kernel.startCrank();
    case 'emitCrankHashes':
      return kernel.emitCrankHashes();
    case 'endCrank':
      return kernel.endCrank();
    case 'commit':
      return host.commit();
    default:
      throw Error(`unknown script op ${JSON.stringify(step)}`);
  }
}

export async function runDriver(impl: Implementation, argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const arg = (i: number): string => {
    const value = args[i];
    if (value === undefined) {
      throw Error(`${command}: missing argument ${i + 1}`);
    }
    return value;
  };
  if (command === 'write') {
    const script = JSON.parse(fs.readFileSync(arg(0), 'utf8')) as ScriptOp[];
    const options = args[3] ? (JSON.parse(fs.readFileSync(arg(3), 'utf8')) as object) : {};
    const store = impl.initSwingStore(arg(1), options);
    const results = await applyScript(store, script);
    await store.hostStorage.commit();
    await store.hostStorage.close();
    fs.writeFileSync(arg(2), JSON.stringify(results));
  } else if (command === 'export') {
    const exporter = impl.makeSwingStoreExporter(arg(0), { artifactMode: arg(2) });
    await writeExportDir(exporter, arg(1));
    await exporter.close();
  } else if (command === 'import') {
    const exporter = makeDirExporter(arg(0));
    const { hostStorage } = await impl.importSwingStore(exporter, arg(1), { artifactMode: arg(2) });
    await hostStorage.commit();
    await hostStorage.close();
  } else {
    throw Error(`unknown driver command ${JSON.stringify(command)}`);
  }
}
