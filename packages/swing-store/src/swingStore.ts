// Opening a swing-store and assembling its facets. The kernel gets
// savepoint-scoped cranks; only the host can commit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  BundleStore,
  KernelStorage,
  HostStorage,
  SnapStore,
  SwingStore,
  SwingStoreDebug,
  SwingStoreExporter,
  SwingStoreInternal,
  SwingStoreOptions,
  TranscriptStore,
} from './types.js';
import { describeStorageFault, fail } from './errors.js';
import { dbFileInDirectory, inMemoryPath, openSwingStoreDatabase } from './database.js';
import { makeEnsureTxn, makeCrankControl } from './txn.js';
import { makePendingExports } from './pendingExports.js';
import { makeHostKVStore, makeKernelKVStore, makeKVStore } from './kvStore.js';
import { makeTranscriptStore } from './transcriptStore.js';
import { makeSnapStore } from './snapStore.js';
import { makeBundleStore } from './bundleStore.js';
import { repairMetadata } from './repairMetadata.js';

/** Picks methods (bound to their object), so a facet exposes nothing else. */
function attenuate<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) {
    const value = source[key];
    picked[key] = (typeof value === 'function' ? value.bind(source) : value) as T[K];
  }
  return Object.freeze(picked);
}

const kernelTranscriptMethods = [
  'initTranscript',
  'rolloverSpan',
  'rolloverIncarnation',
  'getCurrentSpanBounds',
  'addItem',
  'readSpan',
  'stopUsingTranscript',
  'deleteVatTranscripts',
] as const satisfies readonly (keyof TranscriptStore)[];
const kernelSnapMethods = [
  'loadSnapshot',
  'saveSnapshot',
  'deleteAllUnusedSnapshots',
  'deleteVatSnapshots',
  'stopUsingLastSnapshot',
  'getSnapshotInfo',
] as const satisfies readonly (keyof SnapStore)[];
const kernelBundleMethods = ['addBundle', 'hasBundle', 'getBundle', 'deleteBundle'] as const satisfies readonly (keyof BundleStore)[];

/** Where the DB file lives; creates (or, with forceReset, first wipes) the directory. */
function prepareFilePath(dbPath: string | null, forceReset: boolean, options: SwingStoreOptions): string {
  const { asFile = false, readonly = false } = options;
  if (dbPath === null) {
    if (readonly) fail('BAD_ARGUMENT', 'an in-memory swing-store cannot be opened readonly');
    return inMemoryPath;
  }
  if (typeof dbPath !== 'string' || dbPath === '') {
    fail('BAD_ARGUMENT', `swing-store path must be a non-empty string, got ${JSON.stringify(dbPath)}`);
  }
  if (forceReset) fs.rmSync(dbPath, { recursive: true, force: true });
  if (asFile) {
    if (forceReset) {
      // The WAL and shared-memory siblings belong to the old database too.
      for (const suffix of ['-wal', '-shm']) fs.rmSync(`${dbPath}${suffix}`, { force: true });
    }
    return dbPath;
  }
  if (fs.existsSync(dbPath) && !fs.statSync(dbPath).isDirectory()) {
    fail('NOT_A_SWING_STORE', `swing-store path ${dbPath} exists but is not a directory`);
  }
  if (!readonly) fs.mkdirSync(dbPath, { recursive: true });
  return dbFileInDirectory(dbPath);
}

function makeTracer(traceFile: string | undefined): { trace?: (line: string) => void; stop(): void } {
  if (traceFile === undefined) return { stop: () => {} };
  let fd: number | undefined = fs.openSync(path.resolve(traceFile), 'a');
  return {
    trace(line) {
      if (fd !== undefined) fs.writeSync(fd, `${line}\n`);
    },
    stop() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

function makeSwingStore(dbPath: string | null, forceReset: boolean, options: SwingStoreOptions): SwingStore {
  const {
    asFile = false,
    unsafeFastMode = false,
    readonly = false,
    keepSnapshots = false,
    keepTranscripts = true,
    exportCallback,
    traceFile,
    archiveSnapshot,
    archiveTranscript,
  } = options;
  if (exportCallback !== undefined && typeof exportCallback !== 'function') {
    fail('BAD_ARGUMENT', 'swing-store exportCallback must be a function');
  }
  const filePath = prepareFilePath(dbPath, forceReset, options);
  const db = openSwingStoreDatabase(filePath, { readonly, unsafeFastMode });
  /** Set when a COMMIT failed: the store is closed, since the caller's caches no longer match the file. */
  let failedCommit: string | undefined;
  const ensureTxn = makeEnsureTxn(db, readonly, () => failedCommit);
  const tracer = makeTracer(traceFile);

  // Schema creation (each sub-store creates its own tables) is one
  // transaction, committed right away; a readonly DB must already have them.
  if (!readonly) ensureTxn();
  let parts;
  try {
    const pendingExports = makePendingExports(db, ensureTxn, exportCallback);
    const ctx = { db, ensureTxn, noteExport: pendingExports.noteExport };
    parts = {
      pendingExports,
      kvStore: makeKVStore(ctx, tracer.trace ? { trace: tracer.trace } : {}),
      transcriptStore: makeTranscriptStore(ctx, {
        keepTranscripts,
        ...(archiveTranscript ? { archiveTranscript } : {}),
      }),
      snapStore: makeSnapStore(ctx, { keepSnapshots, ...(archiveSnapshot ? { archiveSnapshot } : {}) }),
      bundleStore: makeBundleStore(ctx),
    };
    if (db.inTransaction) db.exec('COMMIT');
  } catch (err) {
    tracer.stop();
    db.close();
    throw err;
  }
  const { pendingExports, kvStore, transcriptStore, snapStore, bundleStore } = parts;
  const crank = makeCrankControl({
    db,
    ensureTxn,
    kvStore,
    noteExport: pendingExports.noteExport,
    flushPendingExports: pendingExports.flush,
  });

  const internal: SwingStoreInternal = Object.freeze({
    dirPath: asFile ? null : dbPath,
    asFile,
    db,
    kvStore,
    transcriptStore,
    snapStore,
    bundleStore,
  });

  const kernelStorage: KernelStorage = Object.freeze({
    kvStore: makeKernelKVStore(kvStore, {
      noteExport: pendingExports.noteExport,
      addToCrankhash: crank.addToCrankhash,
    }),
    transcriptStore: attenuate(transcriptStore, kernelTranscriptMethods),
    snapStore: attenuate(snapStore, kernelSnapMethods),
    bundleStore: attenuate(bundleStore, kernelBundleMethods),
    startCrank: crank.startCrank,
    establishCrankSavepoint: crank.establishCrankSavepoint,
    rollbackCrank: crank.rollbackCrank,
    emitCrankHashes: crank.emitCrankHashes,
    endCrank: crank.endCrank,
    getActivityhash: crank.getActivityhash,
  });

  let closed = false;
  const assertOpen = (what: string): void => {
    if (failedCommit !== undefined) fail('FAILED_COMMIT', `swing-store ${what}: ${failedCommit}`);
    if (closed) fail('CLOSED', `swing-store ${what} called after close()`);
  };

  /**
   * A COMMIT that fails (disk full, read-only or failing file system) leaves
   * the file at the last commit, but the kernel's in-memory state has moved
   * on. Nothing may be written on top of that, so the connection is closed
   * and every later use says why: the host reopens the store and resumes from
   * its last commit, as after a crash.
   */
  const abandonAfterFailedCommit = (err: unknown): never => {
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } catch {
      // SQLite may have rolled back already; closing abandons the rest.
    }
    db.close();
    tracer.stop();
    closed = true;
    const fault = describeStorageFault(err);
    const cause = fault?.reason ?? (err instanceof Error ? err.message : String(err));
    failedCommit = `swing-store ${filePath} failed to commit: ${cause}. Nothing since the last commit was kept; the store is closed, reopen it to resume from the last commit`;
    return fail(fault?.code ?? 'FAILED_COMMIT', failedCommit);
  };

  const hostStorage: HostStorage = Object.freeze({
    kvStore: makeHostKVStore(kvStore),
    async commit() {
      assertOpen('commit');
      // COMMIT would silently drop the kernel's open savepoints.
      if (crank.hasSavepoints()) fail('CRANK_STATE', 'commit called while a crank has open savepoints');
      if (db.inTransaction) {
        pendingExports.flush();
        try {
          db.exec('COMMIT');
        } catch (err) {
          abandonAfterFailedCommit(err);
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Closing with a transaction open abandons the uncommitted work.
      db.close();
      tracer.stop();
    },
    diskUsage() {
      if (filePath === inMemoryPath) return 0;
      return fs.statSync(filePath).size;
    },
    async repairMetadata(exporter: SwingStoreExporter) {
      assertOpen('repairMetadata');
      await repairMetadata(internal, exporter);
    },
  });

  const debug: SwingStoreDebug = Object.freeze({
    serialize() {
      // On-disk WAL databases serialize into buffers that do not reopen.
      if (filePath !== inMemoryPath) {
        fail('BAD_ARGUMENT', 'debug.serialize() only supports in-memory swing-stores');
      }
      return db.serialize();
    },
    dump(includeHistorical = true) {
      const kvRows = db.prepare<[], [string, string]>('SELECT key, value FROM kvStore ORDER BY key').raw(true).all();
      return {
        kvEntries: Object.fromEntries(kvRows),
        transcripts: transcriptStore.dumpTranscripts(includeHistorical),
        snapshots: snapStore.dumpSnapshots(includeHistorical),
        bundles: bundleStore.dumpBundles(),
      };
    },
    getDatabase: () => db,
  });

  return Object.freeze({ kernelStorage, hostStorage, debug, internal });
}

/**
 * Creates a fresh store at `dirPath` (deleting whatever was there), or an
 * in-memory one when `dirPath` is null.
 */
export function initSwingStore(dirPath: string | null = null, options: SwingStoreOptions = {}): SwingStore {
  return makeSwingStore(dirPath, true, options);
}

/** Opens (creating if absent) the store at `dirPath`; refuses non-swing-store files. */
export function openSwingStore(dirPath: string, options: SwingStoreOptions = {}): SwingStore {
  if (typeof dirPath !== 'string') fail('BAD_ARGUMENT', 'openSwingStore requires a path string');
  return makeSwingStore(dirPath, false, options);
}

/** True iff `dirPath` exists and holds a `swingstore.sqlite` file. */
export function isSwingStore(dirPath: string): boolean {
  if (typeof dirPath !== 'string') fail('BAD_ARGUMENT', 'isSwingStore requires a path string');
  return fs.existsSync(dirPath) && fs.existsSync(dbFileInDirectory(dirPath));
}
