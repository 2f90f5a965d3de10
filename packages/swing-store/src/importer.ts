// State-sync importer: builds a fresh swing-store from an exporter (ours, the
// reference's, or a host's own). All-or-nothing without one giant
// transaction: an on-disk import is written into a staging directory beside
// the destination, committed in chunks, checked, and only then renamed into
// place. A failure deletes the staging directory and leaves the destination
// as it was.
import fs from 'node:fs';
import path from 'node:path';

import { assertArtifactMode, assertComplete } from './assertComplete.js';
import { dbFileInDirectory } from './database.js';
import { SwingStoreError, fail } from './errors.js';
import { artifactTag, collectExportData, exportDataTag, forEachOf, withSubject } from './exportData.js';
import { initSwingStore, openSwingStore } from './swingStore.js';
import type {
  ArtifactMode,
  ByteChunks,
  HostStorage,
  SwingStore,
  SwingStoreDebug,
  SwingStoreExporter,
  SwingStoreInternal,
  SwingStoreOptions,
} from './types.js';

export interface ImportOptions extends SwingStoreOptions {
  /** Which artifacts to use and require. Default operational. */
  artifactMode?: ArtifactMode;
  /**
   * Commit after roughly this many bytes of imported data (kv entries plus
   * artifact bytes). Only on-disk imports commit early. Default 32 MiB.
   */
  commitEveryBytes?: number;
}

export interface ImportedSwingStore {
  hostStorage: HostStorage;
  debug: SwingStoreDebug;
}

const defaultCommitEveryBytes = 32 * 1024 * 1024;
// Rough per-row overhead so that many tiny kv entries still trigger commits.
const kvRowOverheadBytes = 64;

/**
 * Imports `exporter` into `dirPath` (or memory when null). Runs every check
 * of the reference importer; see docs/swing-store.md for the list. On
 * success the data is already durable in `dirPath`; the returned
 * hostStorage's commit() is then a no-op kept for API compatibility.
 */
export async function importSwingStore(
  exporter: SwingStoreExporter,
  dirPath: string | null = null,
  options: ImportOptions = {},
): Promise<ImportedSwingStore> {
  const { artifactMode = 'operational', commitEveryBytes = defaultCommitEveryBytes, ...storeOptions } = options;
  assertArtifactMode(artifactMode);
  if (dirPath !== null && (typeof dirPath !== 'string' || dirPath === '')) {
    fail('BAD_ARGUMENT', `import dirPath must be a non-empty string or null, got ${JSON.stringify(dirPath)}`);
  }
  const importOptions: SwingStoreOptions = { unsafeFastMode: true, ...storeOptions };

  if (dirPath === null) {
    const store = initSwingStore(null, importOptions);
    try {
      await populate(store, exporter, artifactMode, async () => undefined, Infinity);
    } catch (error) {
      await closeQuietly(store);
      throw error;
    }
    await exporter.close();
    return { hostStorage: store.hostStorage, debug: store.debug };
  }

  const destination = path.resolve(dirPath);
  const staging = makeStagingDir(destination);
  try {
    const store = initSwingStore(staging, importOptions);
    try {
      await populate(store, exporter, artifactMode, () => store.hostStorage.commit(), commitEveryBytes);
      await store.hostStorage.commit();
    } finally {
      await closeQuietly(store);
    }
    // unsafeFastMode commits skip fsync: make the bytes durable once, here,
    // before the rename publishes them.
    fsyncPath(storeOptions.asFile ? staging : dbFileInDirectory(staging));
    replaceDirectory(staging, destination);
    fsyncPath(path.dirname(destination));
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  await exporter.close();
  const opened = openSwingStore(destination, storeOptions);
  return { hostStorage: opened.hostStorage, debug: opened.debug };
}

/** Steps 2-5 of the import: kv, metadata, artifacts, completeness. */
async function populate(
  store: SwingStore,
  exporter: SwingStoreExporter,
  artifactMode: ArtifactMode,
  commit: () => Promise<void>,
  commitEveryBytes: number,
): Promise<void> {
  const { internal } = store;
  let pendingBytes = 0;
  const noteWork = (bytes: number): Promise<void> | undefined => {
    pendingBytes += bytes;
    if (pendingBytes < commitEveryBytes) {
      return undefined;
    }
    pendingBytes = 0;
    return commit();
  };

  // Pass 1: kv entries go straight into the kvStore table (no crankhash, no
  // export notes: the host already holds this export data). The rest are
  // de-duplicated first because the protocol allows repeats and deletions.
  const metadata = await collectExportData(exporter.getExportData(), (key, value) => {
    if (value === null) {
      internal.kvStore.delete(key);
      return noteWork(key.length + kvRowOverheadBytes);
    }
    internal.kvStore.set(key, value);
    return noteWork(key.length + value.length + kvRowOverheadBytes);
  });

  // Pass 2: metadata rows, unpopulated until their artifacts arrive.
  for (const [key, value] of metadata) {
    try {
      importRecord(internal, key, value);
    } catch (error) {
      throw withSubject(error, 'BAD_EXPORT_DATA', 'export-data key', key);
    }
  }

  // Pass 3: artifacts. Each sub-store ignores what the mode does not use and
  // checks the rest against the metadata installed above.
  await forEachOf(exporter.getArtifactNames(), async (name: unknown) => {
    if (typeof name !== 'string') {
      fail('BAD_ARTIFACT_NAME', `artifact name must be a string, got ${JSON.stringify(name)}`);
    }
    const artifactName = name as string;
    const counted = { bytes: 0 };
    try {
      const tag = artifactTag(artifactName);
      const chunks = fetchArtifact(exporter, artifactName, counted);
      if (tag === 'bundle') {
        await internal.bundleStore.importBundle(artifactName, chunks);
      } else if (tag === 'snapshot') {
        await internal.snapStore.populateSnapshot(artifactName, chunks, artifactMode);
      } else {
        await internal.transcriptStore.populateTranscriptSpan(artifactName, chunks, artifactMode);
      }
    } catch (error) {
      throw withSubject(error, 'BAD_ARTIFACT', 'artifact', artifactName);
    }
    await noteWork(counted.bytes + kvRowOverheadBytes);
  });

  // Step 5: a debug import must still be operationally complete.
  const checkMode = artifactMode === 'debug' ? 'operational' : artifactMode;
  try {
    assertComplete(internal, checkMode);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const wrapped = new SwingStoreError(
      'MISSING_ARTIFACT',
      `import with artifactMode ${JSON.stringify(artifactMode)} lacks required artifacts: ${message}`,
    );
    wrapped.cause = error;
    throw wrapped;
  }
}

function importRecord(internal: SwingStoreInternal, key: string, value: string): void {
  const tag = exportDataTag(key);
  if (tag === 'bundle') {
    internal.bundleStore.importBundleRecord(key, value);
  } else if (tag === 'snapshot') {
    internal.snapStore.importSnapshotRecord(key, value);
  } else if (tag === 'transcript') {
    internal.transcriptStore.importTranscriptSpanRecord(key, value);
  } else {
    // collectExportData already routed every kv entry elsewhere.
    fail('BAD_EXPORT_DATA', `unexpected export-data key ${JSON.stringify(key)}`);
  }
}

/**
 * The exporter's chunks, counted, with any failure of the exporter itself
 * (as opposed to a failed check of the content) reported as a missing
 * artifact.
 */
async function* fetchArtifact(
  exporter: SwingStoreExporter,
  name: string,
  counted: { bytes: number },
): AsyncGenerator<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array>;
  try {
    const chunks: ByteChunks = exporter.getArtifact(name);
    iterator = chunks[Symbol.asyncIterator]();
  } catch (error) {
    throw withSubject(error, 'MISSING_ARTIFACT', 'artifact', name);
  }
  for (;;) {
    let step: IteratorResult<Uint8Array>;
    try {
      step = await iterator.next();
    } catch (error) {
      throw withSubject(error, 'MISSING_ARTIFACT', 'artifact', name);
    }
    if (step.done) {
      return;
    }
    if (!(step.value instanceof Uint8Array)) {
      fail('BAD_ARTIFACT', `artifact ${JSON.stringify(name)}: exporter yielded a chunk that is not bytes`);
    }
    counted.bytes += step.value.byteLength;
    yield step.value;
  }
}

/** A fresh empty directory beside `destination`, on the same filesystem. */
function makeStagingDir(destination: string): string {
  const parent = path.dirname(destination);
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `.${path.basename(destination)}.importing-`));
}

/**
 * Moves `staging` to `destination`. An existing destination (the reference
 * importer would have deleted it up front) is moved aside first and removed
 * only once the new store is in place.
 */
function replaceDirectory(staging: string, destination: string): void {
  if (!fs.existsSync(destination)) {
    fs.renameSync(staging, destination);
    return;
  }
  const retired = `${staging}.replaced`;
  fs.renameSync(destination, retired);
  try {
    fs.renameSync(staging, destination);
  } catch (error) {
    fs.renameSync(retired, destination);
    throw error;
  }
  fs.rmSync(retired, { recursive: true, force: true });
}

function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function closeQuietly(store: SwingStore): Promise<void> {
  try {
    await store.hostStorage.close();
  } catch {
    // Already closed, or closing failed: the caller is handling a failure.
  }
}
