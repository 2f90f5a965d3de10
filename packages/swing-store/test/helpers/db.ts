// A minimal StoreContext over a real SQLite file in a temp dir, for unit
// tests of one sub-store without the whole swing-store around it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import type { StoreContext } from '../../src/types.js';

export interface TestDB {
  ctx: StoreContext;
  db: DB;
  dirPath: string;
  /**
   * Export-data notes since the last `takeExports()`, last write per key
   * wins; `null` means the key was deleted.
   */
  exports: Map<string, string | null>;
  /** Returns the pending notes sorted by key and clears them. */
  takeExports(): Array<[string, string | null]>;
  /** COMMIT if a transaction is open. */
  commit(): void;
  /** Closes the DB and removes the temp dir. */
  cleanup(): void;
}

export function makeTestDB(label = 'swing-store-test'): TestDB {
  const dirPath = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const db = new Database(path.join(dirPath, 'swingstore.sqlite'));
  db.pragma('journal_mode = wal');
  const exports = new Map<string, string | null>();
  const ctx: StoreContext = {
    db,
    ensureTxn: () => {
      if (!db.inTransaction) db.exec('BEGIN IMMEDIATE TRANSACTION');
    },
    noteExport: (key, value) => {
      exports.set(key, value === undefined ? null : value);
    },
  };
  return {
    ctx,
    db,
    dirPath,
    exports,
    takeExports: () => {
      const entries = [...exports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      exports.clear();
      return entries;
    },
    commit: () => {
      if (db.inTransaction) db.exec('COMMIT');
    },
    cleanup: () => {
      if (db.open) db.close();
      fs.rmSync(dirPath, { recursive: true, force: true });
    },
  };
}

/** Yields `data` in `chunkSize` slices, like a worker writing a snapshot. */
export async function* chunksOf(data: Uint8Array, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    yield data.subarray(offset, Math.min(offset + chunkSize, data.length));
  }
}

/** Drains an async byte stream into one Buffer. */
export async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}
