// Reading vat transcripts out of a closed swing-store directory with plain
// SQL. Both stores use the same schema (kvStore, transcriptItems), so one
// reader serves both sides and neither side's API is trusted to report its
// own transcripts.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export interface TranscriptEntry {
  /** Transcript position (the entry's deliveryNum). */
  pos: number;
  d: unknown;
  sc: { s: unknown; r: unknown }[];
}

export interface VatTranscript {
  vatID: string;
  entries: TranscriptEntry[];
}

export const STORE_FILE = 'swingstore.sqlite';

/** Parse one stored transcript item, keeping only `d` and `sc`. */
export function parseTranscriptItem(pos: number, item: string): TranscriptEntry {
  const parsed = JSON.parse(item) as { d?: unknown; sc?: { s: unknown; r: unknown }[] };
  if (parsed.d === undefined || !Array.isArray(parsed.sc)) {
    throw Error(`transcript item at position ${pos} lacks d/sc: ${item.slice(0, 200)}`);
  }
  return { pos, d: parsed.d, sc: parsed.sc.map(({ s, r }) => ({ s, r })) };
}

/** Every static vat's full transcript (all spans), by vat name. */
export function readStoreTranscripts(storeDir: string): {
  vats: Record<string, VatTranscript>;
  allVatNames: string[];
  deviceNames: string[];
} {
  const file = path.join(storeDir, STORE_FILE);
  if (!fs.existsSync(file)) throw Error(`no swing-store database at ${file}`);
  const db = new Database(file, { readonly: true });
  try {
    const getKV = db.prepare<[string], { value: string }>('SELECT value FROM kvStore WHERE key = ?');
    const namesRow = getKV.get('vat.names');
    if (namesRow === undefined) throw Error(`${file} has no vat.names`);
    const allVatNames = JSON.parse(namesRow.value) as string[];
    const items = db.prepare<[string], { position: number; item: string }>(
      'SELECT position, item FROM transcriptItems WHERE vatID = ? ORDER BY position',
    );
    const vats: Record<string, VatTranscript> = {};
    for (const name of allVatNames) {
      const idRow = getKV.get(`vat.name.${name}`);
      if (idRow === undefined) continue; // terminated static vats lose their name entry
      const vatID = idRow.value;
      vats[name] = { vatID, entries: items.all(vatID).map(row => parseTranscriptItem(row.position, row.item)) };
    }
    const devicesRow = getKV.get('device.names');
    const deviceNames = devicesRow === undefined ? [] : (JSON.parse(devicesRow.value) as string[]);
    return { vats, allVatNames, deviceNames };
  } finally {
    db.close();
  }
}
