// Shared fixture for the state-sync tests: a sample store with several vats
// (spans, an upgrade, snapshots, a terminated vat), kv data of every key
// class, and real bundles; plus helpers to read an export into memory and to
// serve a (possibly tampered) export back to an importer.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { initSwingStore } from '../src/swingStore.js';
import type { Bundle, ExportCallback, SwingStoreExporter } from '../src/types.js';

const execFileAsync = promisify(execFile);

/** packages/swing-store (this file runs from dist/test/). */
export const packageRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Deterministic bytes that compress somewhat, like a heap image: runs from
 * a seeded xorshift PRNG, every fourth 1 KiB block a repeat of the previous.
 */
export function pseudoRandomBytes(seed: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  const block = 1024;
  for (let offset = 0; offset < size; offset += 4) {
    if (offset >= block && Math.floor(offset / block) % 4 === 3) {
      bytes.writeUInt32LE(bytes.readUInt32LE(offset - block), offset);
      continue;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    if (offset + 4 <= size) {
      bytes.writeUInt32LE(state, offset);
    } else {
      for (let i = offset; i < size; i += 1) bytes[i] = (state >>> (8 * (i - offset))) & 0xff;
    }
  }
  return bytes;
}

export interface IdentifiedBundle {
  bundleID: string;
  bundle: Bundle;
}

/** A b0 bundle: the ID is the SHA-256 of the JSON text. */
export function makeB0Bundle(source: string): IdentifiedBundle {
  const bundle: Bundle = { moduleFormat: 'nestedEvaluate', source, sourceMap: '//# sourceURL=fixture\n' };
  const hash = crypto.createHash('sha256').update(JSON.stringify(bundle)).digest('hex');
  return { bundleID: `b0-${hash}`, bundle };
}

let b1Promise: Promise<IdentifiedBundle> | undefined;

/**
 * A real b1 bundle of test/fixtures/tiny-module.js. bundle-source needs SES,
 * so it runs in the reference driver's (locked-down) child process.
 */
export function makeB1Bundle(): Promise<IdentifiedBundle> {
  b1Promise ??= (async () => {
    const dir = makeTempDir('b1-bundle');
    try {
      const out = path.join(dir, 'bundle.json');
      await execFileAsync(process.execPath, [
        path.join(packageRoot, 'test/interop/drive-reference.js'),
        'bundle',
        path.join(packageRoot, 'test/fixtures/tiny-module.js'),
        out,
      ]);
      const bundle = JSON.parse(fs.readFileSync(out, 'utf8')) as Bundle & { endoZipBase64Sha512: string };
      return { bundleID: `b1-${bundle.endoZipBase64Sha512}`, bundle };
    } finally {
      removeDir(dir);
    }
  })();
  return b1Promise;
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export const item = (vatID: string, n: number): string =>
  JSON.stringify(['deliver', { vatID, n, body: 'x'.repeat(n % 7) }]);

export interface SampleOptions {
  keepTranscripts?: boolean;
  keepSnapshots?: boolean;
  exportCallback?: ExportCallback;
  bundles?: IdentifiedBundle[];
}

/**
 * Writes the sample store at `dir` and closes it. Vats:
 * - v1: spans [0,5) [5,8) in incarnation 0, then an upgrade: [8,11) and
 *   current [11,13) in incarnation 1; snapshots at 4 (historical) and 10.
 * - v2: span [0,3), current [3,5); snapshot at 2.
 * - v3: terminated (transcript and snapshot stopped).
 */
export async function buildSampleStore(dir: string, options: SampleOptions = {}): Promise<void> {
  const { bundles = [makeB0Bundle('1+1')], ...storeOptions } = options;
  const store = initSwingStore(dir, storeOptions);
  const { kernelStorage: k, hostStorage } = store;
  const { transcriptStore: ts, snapStore: ss, kvStore: kv } = k;
  const addItems = (vatID: string, from: number, to: number): void => {
    for (let n = from; n < to; n += 1) ts.addItem(vatID, item(vatID, n));
  };
  const crank = async (work: () => Promise<void> | void): Promise<void> => {
    k.startCrank();
    await work();
    k.emitCrankHashes();
    k.endCrank();
  };

  await crank(() => {
    kv.set('kernel.version', '1');
    kv.set('v1.o.nextID', '10');
    kv.set('v2.o.nextID', '20');
    kv.set('€.unicode', 'value with € and 😀');
    kv.set('local.cache', 'not exported');
    for (const { bundleID, bundle } of bundles) k.bundleStore.addBundle(bundleID, bundle);
    for (const vatID of ['v1', 'v2', 'v3']) ts.initTranscript(vatID);
  });
  hostStorage.kvStore.set('host.height', '17');
  await hostStorage.commit();

  await crank(async () => {
    addItems('v1', 0, 5);
    await ss.saveSnapshot('v1', 4, oneChunk(pseudoRandomBytes(1, 5000)));
    await ts.rolloverSpan('v1');
    addItems('v2', 0, 3);
    await ss.saveSnapshot('v2', 2, oneChunk(pseudoRandomBytes(2, 3000)));
    await ts.rolloverSpan('v2');
    addItems('v3', 0, 2);
    await ss.saveSnapshot('v3', 1, oneChunk(pseudoRandomBytes(3, 2000)));
  });
  await hostStorage.commit();

  await crank(async () => {
    addItems('v1', 5, 8);
    await ts.rolloverIncarnation('v1');
    addItems('v1', 8, 11);
    await ss.saveSnapshot('v1', 10, oneChunk(pseudoRandomBytes(4, 6000)));
    await ts.rolloverSpan('v1');
    addItems('v1', 11, 13);
    addItems('v2', 3, 5);
    kv.delete('v2.o.nextID');
    kv.set('v1.o.nextID', '11');
    await ts.stopUsingTranscript('v3');
    ss.stopUsingLastSnapshot('v3');
  });
  await hostStorage.commit();
  await hostStorage.close();
}

export interface MaterializedExport {
  exportData: Array<[string, string]>;
  artifactNames: string[];
  artifacts: Map<string, Buffer>;
}

async function concat(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Reads everything an exporter offers, then closes it. */
export async function readExport(exporter: SwingStoreExporter): Promise<MaterializedExport> {
  try {
    const exportData: Array<[string, string]> = [];
    for await (const [key, value] of exporter.getExportData()) exportData.push([key, value]);
    const artifactNames: string[] = [];
    const artifacts = new Map<string, Buffer>();
    for await (const name of exporter.getArtifactNames()) {
      artifactNames.push(name);
      artifacts.set(name, await concat(exporter.getArtifact(name)));
    }
    return { exportData, artifactNames, artifacts };
  } finally {
    await exporter.close();
  }
}

export interface ServedExport {
  exportData: Array<[string, string | null]>;
  artifactNames: string[];
  artifacts: Map<string, Uint8Array>;
  /** Called instead of serving the artifact's bytes, if set for its name. */
  failing?: Map<string, Error>;
}

/** Serves an in-memory (possibly tampered) export, in 1000-byte chunks. */
export function serveExport(served: ServedExport): SwingStoreExporter & { closed: () => boolean } {
  let closed = false;
  return {
    getHostKV: () => undefined,
    async *getExportData() {
      yield* served.exportData as Array<[string, string]>;
    },
    async *getArtifactNames() {
      yield* served.artifactNames;
    },
    async *getArtifact(name: string) {
      const bytes = served.artifacts.get(name);
      if (bytes === undefined) throw Error(`test exporter has no artifact ${name}`);
      const failure = served.failing?.get(name);
      for (let offset = 0; offset < bytes.length; offset += 1000) {
        if (failure && offset > 0) throw failure;
        yield bytes.subarray(offset, offset + 1000);
      }
      if (failure) throw failure;
    },
    close: async () => {
      closed = true;
    },
    closed: () => closed,
  };
}

/** Every file under `dir` with its bytes (to prove a directory was untouched). */
export function snapshotTree(dir: string): Record<string, string> {
  const tree: Record<string, string> = {};
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else tree[rel] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, rel))).digest('hex');
    }
  };
  walk('');
  return tree;
}
