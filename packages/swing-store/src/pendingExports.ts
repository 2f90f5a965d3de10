// Incremental export data. Changes are parked in the pendingExports table,
// inside the same transaction as the data they describe, so a crank
// rollback also drops them. A flush hands them over in one sorted batch.
import type { Database } from 'better-sqlite3';
import type { EnsureTxn, ExportCallback, ExportDataEntry, NoteExport } from './types.js';

export interface PendingExports {
  noteExport: NoteExport;
  /** Sends all parked changes (sorted by key) to the callback and clears them. */
  flush(): void;
}

export function makePendingExports(db: Database, ensureTxn: EnsureTxn, exportCallback?: ExportCallback): PendingExports {
  db.exec(`
    CREATE TABLE IF NOT EXISTS pendingExports (
      key TEXT,
      value TEXT,
      PRIMARY KEY (key)
    )
  `);
  if (!exportCallback) {
    // Without a consumer nothing is recorded.
    return { noteExport: () => {}, flush: () => {} };
  }
  const sqlUpsert = db.prepare<[string, string | null]>(`
    INSERT INTO pendingExports (key, value) VALUES (?, ?)
    ON CONFLICT DO UPDATE SET value = excluded.value
  `);
  const sqlAll = db.prepare<[], ExportDataEntry>('SELECT key, value FROM pendingExports ORDER BY key').raw(true);
  const sqlClear = db.prepare('DELETE FROM pendingExports');

  return {
    noteExport(key, value) {
      ensureTxn();
      sqlUpsert.run(key, value ?? null);
    },
    flush() {
      const entries = sqlAll.all();
      if (entries.length === 0) return;
      sqlClear.run();
      exportCallback(entries);
    },
  };
}
