// State-sync exporter: a read-only view of a swing-store as of the last
// commit before the exporter was made. It uses its own connection, so a
// writer may keep committing (WAL mode) while the export is read out.
import { assertArtifactMode, assertComplete } from './assertComplete.js';
import type { CheckableStores } from './assertComplete.js';
import { dbFileInDirectory, openSwingStoreDatabase } from './database.js';
import { fail } from './errors.js';
import { artifactTag, withSubject } from './exportData.js';
import { makeBundleStore } from './bundleStore.js';
import { makeSnapStore } from './snapStore.js';
import { makeTranscriptStore } from './transcriptStore.js';
import type {
  ArtifactMode,
  ByteChunks,
  StoreContext,
  SwingStoreExporter,
} from './types.js';

export interface ExporterOptions {
  /** Which artifacts the exporter must (and will) offer. Default operational. */
  artifactMode?: ArtifactMode;
}

/** Iterable both ways: `for...of` skips a promise tick per entry. */
export type DualIterable<T> = Iterable<T> & AsyncIterable<T>;

/** Our exporter's lists can also be walked synchronously. */
export interface LocalSwingStoreExporter extends SwingStoreExporter {
  getExportData(): DualIterable<[string, string]>;
  getArtifactNames(): DualIterable<string>;
}

function dualIterable<T>(makeIterator: () => Iterator<T>): DualIterable<T> {
  return {
    [Symbol.iterator]: makeIterator,
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const inner = makeIterator();
      return {
        next: async () => inner.next(),
        return: async (value?: unknown) => inner.return?.(value) ?? { done: true, value: undefined },
      };
    },
  };
}

export function makeSwingStoreExporter(
  dirPath: string,
  options: ExporterOptions = {},
): LocalSwingStoreExporter {
  if (typeof dirPath !== 'string') {
    fail('BAD_ARGUMENT', `exporter dirPath must be a string, got ${typeof dirPath}`);
  }
  const { artifactMode = 'operational' } = options;
  assertArtifactMode(artifactMode);

  const dbPath = dbFileInDirectory(dirPath);
  // Refuses a missing file, a non-SQLite file, or some other app's DB.
  const db = openSwingStoreDatabase(dbPath, { readonly: true });

  // A deferred BEGIN takes no snapshot until the first read, so read once
  // now: from here on every query sees the state as of this moment.
  db.prepare('BEGIN').run();
  db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();

  const refuseWrite = (): never =>
    fail('READ_ONLY', `swing-store exporter for ${JSON.stringify(dirPath)} cannot write`);
  const ctx: StoreContext = { db, ensureTxn: refuseWrite, noteExport: refuseWrite };

  let stores: CheckableStores;
  try {
    stores = {
      transcriptStore: makeTranscriptStore(ctx, { keepTranscripts: true }),
      snapStore: makeSnapStore(ctx, { keepSnapshots: true }),
      bundleStore: makeBundleStore(ctx),
    };
  } catch (error) {
    db.close();
    throw withSubject(error, 'NOT_A_SWING_STORE', 'database', dbPath);
  }
  const { transcriptStore, snapStore, bundleStore } = stores;

  const sqlGetKV = db.prepare<[string], string>('SELECT value FROM kvStore WHERE key = ?').pluck();
  // Local and host keys never leave the node. Expressed as key ranges
  // ('/' follows '.') so SQLite filters while walking the primary key.
  const sqlConsensusKV = db
    .prepare<[], [string, string]>(
      `SELECT key, value FROM kvStore
       WHERE NOT (key >= 'host.' AND key < 'host/')
         AND NOT (key >= 'local.' AND key < 'local/')
       ORDER BY key`,
    )
    .raw();

  let closed = false;
  const assertOpen = (): void => {
    if (closed) {
      fail('CLOSED', `swing-store exporter for ${JSON.stringify(dirPath)} was closed`);
    }
  };

  function getHostKV(key: string): string | undefined {
    assertOpen();
    if (typeof key !== 'string' || !key.startsWith('host.')) {
      fail('BAD_KEY', `getHostKV requires host keys, got ${JSON.stringify(key)}`);
    }
    return sqlGetKV.get(key);
  }

  function* exportDataEntries(): Generator<[string, string]> {
    assertOpen();
    for (const [key, value] of sqlConsensusKV.iterate()) {
      yield [`kv.${key}`, value];
    }
    yield* snapStore.getExportRecords(true);
    yield* transcriptStore.getExportRecords(true);
    yield* bundleStore.getExportRecords();
  }

  function* artifactNames(): Generator<string> {
    assertOpen();
    yield* snapStore.getArtifactNames(artifactMode);
    yield* transcriptStore.getArtifactNames(artifactMode);
    yield* bundleStore.getArtifactNames();
  }

  function getArtifactNames(): DualIterable<string> {
    assertOpen();
    // Fail now, before the consumer has fetched anything, if this store
    // cannot supply what the mode promises. debug promises nothing.
    if (artifactMode !== 'debug') {
      assertComplete(stores, artifactMode);
    }
    return dualIterable(artifactNames);
  }

  function getArtifact(name: string): ByteChunks {
    assertOpen();
    if (typeof name !== 'string') {
      fail('BAD_ARTIFACT_NAME', `artifact name must be a string, got ${typeof name}`);
    }
    const tag = artifactTag(name);
    const chunks =
      tag === 'snapshot'
        ? snapStore.exportSnapshot(name)
        : tag === 'transcript'
          ? transcriptStore.exportSpan(name)
          : bundleStore.exportBundle(name);
    return namedChunks(name, chunks);
  }

  async function close(): Promise<void> {
    if (closed) {
      return;
    }
    closed = true;
    // Rolling back (never committing) keeps the export provably read-only.
    if (db.inTransaction) {
      db.prepare('ROLLBACK').run();
    }
    db.close();
  }

  return {
    getHostKV,
    getExportData: () => dualIterable(exportDataEntries),
    getArtifactNames,
    getArtifact,
    close,
  };
}

/** Makes sure any failure while streaming an artifact names that artifact. */
async function* namedChunks(name: string, chunks: ByteChunks): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    throw withSubject(error, 'MISSING_ARTIFACT', 'artifact', name);
  }
}
