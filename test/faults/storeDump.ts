// What a store holds on disk, read through a connection of its own: every
// row of every table, so a fault test can show that a refused operation left
// the committed state exactly as it was.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { dbFileInDirectory } from '@crankshaft/swing-store';

export interface CommittedStoreDump {
  /** Rows per table, in a stable order. */
  rowCounts: Record<string, number>;
  /** SHA-256 over every table's rows. */
  digest: string;
}

const encode = (value: unknown): unknown => (Buffer.isBuffer(value) ? `bytes:${value.toString('hex')}` : value);

/** The committed state of the swing-store in `dir` (uncommitted writes of another connection are invisible). */
export function dumpCommittedStore(dir: string): CommittedStoreDump {
  const db = new Database(dbFileInDirectory(dir), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    const hash = createHash('sha256');
    const rowCounts: Record<string, number> = {};
    for (const table of tables) {
      const rows = db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
      const lines = rows.map(row => JSON.stringify(Object.entries(row).map(([k, v]) => [k, encode(v)]))).sort();
      rowCounts[table] = lines.length;
      hash.update(`${table}\n${lines.join('\n')}\n`);
    }
    return { rowCounts, digest: hash.digest('hex') };
  } finally {
    db.close();
  }
}
