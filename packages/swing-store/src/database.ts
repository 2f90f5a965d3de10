// Opening the SQLite file: refuse things that are not a swing-store, and
// set the journaling pragmas (which must happen outside a transaction).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { describeStorageFault, fail, isLockedError } from './errors.js';

export const swingStoreFileName = 'swingstore.sqlite';
export const inMemoryPath = ':memory:';

export function dbFileInDirectory(dirPath: string): string {
  return path.resolve(dirPath, swingStoreFileName);
}

export interface OpenDatabaseOptions {
  readonly?: boolean;
  /** Journal off + synchronous=normal: fast but not crash-safe (import). */
  unsafeFastMode?: boolean;
}

const sqliteCode = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Opens `filePath` (or `:memory:`) as a swing-store database. A file that is
 * not SQLite, or is SQLite holding some other application's tables, is
 * refused with NOT_A_SWING_STORE. An empty or new file is accepted (the
 * caller creates the schema).
 */
export function openSwingStoreDatabase(filePath: string, options: OpenDatabaseOptions = {}): DB {
  const { readonly = false, unsafeFastMode = false } = options;
  if (!readonly && filePath !== inMemoryPath && fs.existsSync(filePath) && !directoryIsWritable(filePath)) {
    // SQLite would open it and fail at the first write, or even pass writes until a commit.
    fail('STORAGE_READ_ONLY', `swing-store ${filePath} cannot be opened for writing: its directory is read-only`);
  }
  let db: DB;
  try {
    db = new Database(filePath, { readonly, fileMustExist: readonly });
  } catch (err) {
    return fail('NOT_A_SWING_STORE', `cannot open swing-store database ${filePath}: ${describe(err)}`);
  }
  try {
    // The first real read is what detects a non-SQLite file.
    let tables: string[];
    try {
      tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        return fail('NOT_A_SWING_STORE', `${filePath} is not a swing-store: not a SQLite database (${describe(err)})`);
      }
      throw err;
    }
    if (tables.length > 0 && !tables.includes('kvStore')) {
      fail('NOT_A_SWING_STORE', `${filePath} is a SQLite database but not a swing-store (it has no kvStore table)`);
    }
    if (!readonly) setJournaling(db, filePath, unsafeFastMode);
    return db;
  } catch (err) {
    db.close();
    if (isLockedError(err)) {
      return fail('LOCKED', `swing-store ${filePath} is locked: another open store (another kernel or process) is writing to it`);
    }
    if (sqliteCode(err) === 'SQLITE_CANTOPEN' && filePath !== inMemoryPath && !directoryIsWritable(filePath)) {
      // WAL needs its -wal and -shm files beside the database, even to read.
      return fail(
        'STORAGE_READ_ONLY',
        `swing-store ${filePath} cannot be opened: its directory is read-only, and SQLite's WAL mode must create files beside the database (${describe(err)})`,
      );
    }
    const fault = describeStorageFault(err);
    if (fault) return fail(fault.code, `swing-store ${filePath} cannot be opened: ${fault.reason}`);
    throw err;
  }
}

function directoryIsWritable(filePath: string): boolean {
  try {
    fs.accessSync(path.dirname(filePath), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function setJournaling(db: DB, filePath: string, unsafeFastMode: boolean): void {
  if (db.inTransaction) fail('DB_CONFIG', 'journaling pragmas must be set outside a transaction');
  // WAL lets a state-sync exporter keep reading a committed state while the
  // kernel writes on; synchronous=full makes WAL commits durable.
  const journalMode = unsafeFastMode ? 'off' : 'wal';
  db.unsafeMode(unsafeFastMode);
  const actual = db.pragma(`journal_mode = ${journalMode}`, { simple: true });
  if (actual !== journalMode && filePath !== inMemoryPath) {
    fail('DB_CONFIG', `could not set journal_mode=${journalMode} on ${filePath} (it is ${String(actual)})`);
  }
  db.pragma(`synchronous = ${unsafeFastMode ? 'normal' : 'full'}`);
}
