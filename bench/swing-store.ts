// swing-store benchmark: Crankshaft vs the reference @agoric/swing-store,
// each measured in a child process of its own (the reference needs SES
// lockdown, which must not leak into ours). Prints ONE JSON line.
//
//   node bench/dist/swing-store.js            run both sides, print the line
//   node bench/dist/swing-store.js --side X   (internal) measure one side
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Workload sizes (kept so the whole run stays well under two minutes).
const itemBytes = 1024;
const appendItems = 20_000;
const appendCommitEvery = 100;
const snapshotBytes = 50 * 1024 * 1024;
const exportVats = 10;
const exportItemsPerVat = 5_000;
const exportSpanLength = 1_000;
const exportSnapshotBytes = 256 * 1024;
const exportKvPerVat = 200;

type Side = 'ours' | 'reference';

/** The subset of the swing-store API both implementations share. */
interface Impl {
  initSwingStore(dir: string | null, options?: object): Store;
  makeSwingStoreExporter(dir: string, options?: { artifactMode?: string }): Exporter;
  importSwingStore(exporter: Exporter, dir: string, options?: { artifactMode?: string }): Promise<Pick<Store, 'hostStorage'>>;
}
interface Store {
  kernelStorage: {
    kvStore: { set(key: string, value: string): void };
    transcriptStore: {
      initTranscript(vatID: string): void;
      addItem(vatID: string, item: string): void;
      rolloverSpan(vatID: string): Promise<number>;
    };
    snapStore: {
      saveSnapshot(vatID: string, snapPos: number, chunks: AsyncIterable<Uint8Array>): Promise<unknown>;
      loadSnapshot(vatID: string): AsyncIterable<Uint8Array>;
    };
  };
  hostStorage: { commit(): Promise<void>; close(): Promise<void> };
}
interface Exporter {
  getExportData(): AsyncIterable<readonly [string, string | null | undefined]>;
  getArtifactNames(): AsyncIterable<string>;
  getArtifact(name: string): AsyncIterable<Uint8Array>;
  getHostKV(key: string): string | undefined;
  close(): Promise<void>;
}

interface SideResult {
  appendItemsPerSec: number;
  snapshotSaveMBps: number;
  snapshotLoadMBps: number;
  exportOperationalSec: number;
  importOperationalSec: number;
  exportArchivalSec: number;
  importArchivalSec: number;
}

const now = (): number => performance.now() / 1000;
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Bytes that look random to gzip except every fourth KiB, which repeats. */
function heapLikeBytes(seed: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let offset = 0; offset + 4 <= size; offset += 4) {
    if (offset >= 1024 && Math.floor(offset / 1024) % 4 === 3) {
      bytes.writeUInt32LE(bytes.readUInt32LE(offset - 1024), offset);
      continue;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes.writeUInt32LE(state >>> 0, offset);
  }
  return bytes;
}

async function* chunksOf(bytes: Buffer, size = 65536): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

// Padding goes inside the JSON: the reference importer trims trailing
// whitespace from each item, which would break its own span hashes.
const makeItem = (vatID: string, n: number): string => {
  const bare = JSON.stringify(['deliver', vatID, n, '']);
  return JSON.stringify(['deliver', vatID, n, 'x'.repeat(Math.max(0, itemBytes - bare.length))]);
};

async function measureAppend(impl: Impl, dir: string): Promise<number> {
  const store = impl.initSwingStore(dir);
  const { transcriptStore } = store.kernelStorage;
  transcriptStore.initTranscript('v1');
  await store.hostStorage.commit();
  const start = now();
  for (let n = 0; n < appendItems; n += 1) {
    transcriptStore.addItem('v1', makeItem('v1', n));
    if ((n + 1) % appendCommitEvery === 0) await store.hostStorage.commit();
  }
  await store.hostStorage.commit();
  const seconds = now() - start;
  await store.hostStorage.close();
  return appendItems / seconds;
}

async function measureSnapshot(impl: Impl, dir: string): Promise<{ save: number; load: number }> {
  const blob = heapLikeBytes(42, snapshotBytes);
  const store = impl.initSwingStore(dir);
  const { snapStore } = store.kernelStorage;
  const saveStart = now();
  await snapStore.saveSnapshot('v1', 1, chunksOf(blob));
  await store.hostStorage.commit();
  const saveSeconds = now() - saveStart;
  const loadStart = now();
  let loaded = 0;
  for await (const chunk of snapStore.loadSnapshot('v1')) loaded += chunk.byteLength;
  const loadSeconds = now() - loadStart;
  if (loaded !== blob.length) throw Error(`loaded ${loaded} bytes, saved ${blob.length}`);
  await store.hostStorage.close();
  const mb = snapshotBytes / (1024 * 1024);
  return { save: mb / saveSeconds, load: mb / loadSeconds };
}

/** 10 vats x 5,000 items in spans of 1,000, a snapshot per span, some kv. */
async function buildExportSource(impl: Impl, dir: string): Promise<void> {
  const store = impl.initSwingStore(dir);
  const { kvStore, transcriptStore, snapStore } = store.kernelStorage;
  for (let v = 1; v <= exportVats; v += 1) {
    const vatID = `v${v}`;
    transcriptStore.initTranscript(vatID);
    for (let k = 0; k < exportKvPerVat; k += 1) kvStore.set(`${vatID}.c.ko${k}`, `R o+${k}`);
    for (let n = 0; n < exportItemsPerVat; n += 1) {
      transcriptStore.addItem(vatID, makeItem(vatID, n));
      if ((n + 1) % exportSpanLength === 0 && n + 1 < exportItemsPerVat) {
        await snapStore.saveSnapshot(vatID, n, chunksOf(heapLikeBytes(v * 1000 + n, exportSnapshotBytes)));
        await transcriptStore.rolloverSpan(vatID);
      }
    }
    await store.hostStorage.commit();
  }
  await store.hostStorage.close();
}

interface InMemoryExport {
  exportData: Array<readonly [string, string | null | undefined]>;
  artifacts: Map<string, Buffer[]>;
}

async function exportAll(impl: Impl, dir: string, artifactMode: string): Promise<InMemoryExport> {
  const exporter = impl.makeSwingStoreExporter(dir, { artifactMode });
  const exportData: Array<readonly [string, string | null | undefined]> = [];
  for await (const entry of exporter.getExportData()) exportData.push(entry);
  const artifacts = new Map<string, Buffer[]>();
  for await (const name of exporter.getArtifactNames()) {
    const chunks: Buffer[] = [];
    for await (const chunk of exporter.getArtifact(name)) chunks.push(Buffer.from(chunk));
    artifacts.set(name, chunks);
  }
  await exporter.close();
  return { exportData, artifacts };
}

function serve(exported: InMemoryExport): Exporter {
  return {
    async *getExportData() {
      yield* exported.exportData;
    },
    async *getArtifactNames() {
      yield* exported.artifacts.keys();
    },
    async *getArtifact(name: string) {
      yield* exported.artifacts.get(name) ?? [];
    },
    getHostKV: () => undefined,
    close: async () => undefined,
  };
}

async function measureExportImport(impl: Impl, root: string, artifactMode: string): Promise<{ exportSec: number; importSec: number }> {
  const source = path.join(root, 'export-source');
  const exportStart = now();
  const exported = await exportAll(impl, source, artifactMode);
  const exportSec = now() - exportStart;
  const importStart = now();
  const { hostStorage } = await impl.importSwingStore(serve(exported), path.join(root, `import-${artifactMode}`), {
    artifactMode,
  });
  await hostStorage.commit();
  await hostStorage.close();
  const importSec = now() - importStart;
  return { exportSec, importSec };
}

async function loadImpl(side: Side): Promise<Impl> {
  // Specifiers in variables: the bench does not compile against either
  // package's types, it treats both sides as the same foreign shape.
  const specifiers =
    side === 'ours' ? ['@crankshaft/swing-store'] : ['@endo/init', '@agoric/swing-store'];
  let mod: Record<string, unknown> = {};
  for (const specifier of specifiers) mod = (await import(specifier)) as Record<string, unknown>;
  for (const name of ['initSwingStore', 'makeSwingStoreExporter', 'importSwingStore']) {
    if (typeof mod[name] !== 'function') throw Error(`${side} swing-store lacks ${name}`);
  }
  return mod as unknown as Impl;
}

async function measureSide(side: Side): Promise<SideResult> {
  const impl = await loadImpl(side);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `bench-swing-store-${side}-`));
  try {
    const appendItemsPerSec = await measureAppend(impl, path.join(root, 'append'));
    const snapshot = await measureSnapshot(impl, path.join(root, 'snapshot'));
    fs.rmSync(path.join(root, 'snapshot'), { recursive: true, force: true });
    await buildExportSource(impl, path.join(root, 'export-source'));
    const operational = await measureExportImport(impl, root, 'operational');
    const archival = await measureExportImport(impl, root, 'archival');
    return {
      appendItemsPerSec: round(appendItemsPerSec, 0),
      snapshotSaveMBps: round(snapshot.save, 1),
      snapshotLoadMBps: round(snapshot.load, 1),
      exportOperationalSec: round(operational.exportSec),
      importOperationalSec: round(operational.importSec),
      exportArchivalSec: round(archival.exportSec),
      importArchivalSec: round(archival.importSec),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function runSide(side: Side): Promise<SideResult> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [self, '--side', side], { maxBuffer: 1 << 20 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as SideResult;
}

async function main(): Promise<void> {
  const sideFlag = process.argv.indexOf('--side');
  if (sideFlag >= 0) {
    const side = process.argv[sideFlag + 1];
    if (side !== 'ours' && side !== 'reference') throw Error(`--side must be ours or reference, got ${side}`);
    console.log(JSON.stringify(await measureSide(side)));
    return;
  }
  const started = now();
  // One side at a time: the machine is small and shared.
  const ours = await runSide('ours');
  const reference = await runSide('reference');
  const ratios = Object.fromEntries(
    (Object.keys(ours) as Array<keyof SideResult>).map((key) => [key, round(ours[key] / reference[key], 2)]),
  );
  console.log(
    JSON.stringify({
      benchmark: 'swing-store',
      workload: {
        appendItems,
        itemBytes,
        appendCommitEvery,
        snapshotMB: snapshotBytes / (1024 * 1024),
        exportVats,
        exportItemsPerVat,
        exportSpanLength,
      },
      ours,
      reference,
      // ours / reference: above 1 is better for *PerSec and *MBps, below 1
      // is better for *Sec.
      ratios,
      totalSec: round(now() - started, 1),
    }),
  );
}

await main();
