// State-sync half of the transcriptStore: export-data records, artifact
// names per mode, span artifacts, import/repair of records and spans,
// completeness checks, and debug dumps.
import type { ArtifactMode, ByteChunks, StoreContext, TranscriptStoreInternal } from './types.js';
import type { ItemRow, SpanRow } from './transcriptRows.js';
import { artifactModes } from './types.js';
import { fail } from './errors.js';
import { initialSpanHash, updateSpanHash } from './hasher.js';
import {
  encodeSpanItem,
  parseSpanArtifactName,
  parseSpanRecord,
  spanArtifactName,
  spanExportKey,
  spanRecordJSON,
  splitSpanItems,
} from './transcriptFormats.js';

export interface TranscriptReaders {
  readItems(vatID: string, startPos: number, endPos: number): Generator<string>;
  readItemRows(vatID: string, startPos: number, endPos: number): Generator<ItemRow>;
}

export type TranscriptExportPart = Pick<
  TranscriptStoreInternal,
  | 'getExportRecords'
  | 'getArtifactNames'
  | 'exportSpan'
  | 'importTranscriptSpanRecord'
  | 'populateTranscriptSpan'
  | 'repairTranscriptSpanRecord'
  | 'assertComplete'
  | 'readFullVatTranscript'
  | 'dumpTranscripts'
>;

/** Artifact chunks are batched up to about this many bytes. */
const exportChunkBytes = 64 * 1024;

function assertMode(mode: unknown, allowDebug: boolean): asserts mode is ArtifactMode {
  const ok = artifactModes.includes(mode as ArtifactMode) && (allowDebug || mode !== 'debug');
  if (!ok) fail('BAD_MODE', `invalid artifactMode ${JSON.stringify(mode)}`);
}

function isConstraintError(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('SQLITE_CONSTRAINT');
}

export function makeTranscriptExport(ctx: StoreContext, readers: TranscriptReaders): TranscriptExportPart {
  const { db, ensureTxn } = ctx;
  const { readItems, readItemRows } = readers;

  const spanColumns = 'vatID, startPos, endPos, hash, isCurrent, incarnation';
  const sqlAllSpans = db.prepare<[], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans ORDER BY vatID, startPos`,
  );
  const sqlCurrentSpans = db.prepare<[], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans WHERE isCurrent = 1 ORDER BY vatID, startPos`,
  );
  const sqlIncarnationSpans = db.prepare<[string, number], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans WHERE vatID = ? AND incarnation = ? ORDER BY startPos`,
  );
  const sqlVatSpans = db.prepare<[string], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans WHERE vatID = ? ORDER BY startPos`,
  );
  const sqlGetSpan = db.prepare<[string, number], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans WHERE vatID = ? AND startPos = ?`,
  );
  const sqlGetCurrentSpan = db.prepare<[string], SpanRow>(
    `SELECT ${spanColumns} FROM transcriptSpans WHERE vatID = ? AND isCurrent = 1`,
  );
  const sqlStartOfIncarnation = db
    .prepare<[string, number], number>(
      'SELECT startPos FROM transcriptSpans WHERE vatID = ? AND incarnation = ? ORDER BY startPos LIMIT 1',
    )
    .pluck();
  const sqlCountItems = db
    .prepare<[string, number, number], number>(
      'SELECT COUNT(*) FROM transcriptItems WHERE vatID = ? AND position >= ? AND position < ?',
    )
    .pluck();
  const sqlInsertSpan = db.prepare<[string, number, number, string, 1 | null, number]>(`
    INSERT INTO transcriptSpans (vatID, startPos, endPos, hash, isCurrent, incarnation)
    VALUES (?, ?, ?, ?, ?, ?)
  `);
  const sqlAddItem = db.prepare<[string, number, string, number]>(
    'INSERT INTO transcriptItems (vatID, position, item, incarnation) VALUES (?, ?, ?, ?)',
  );

  const countItems = (vatID: string, startPos: number, endPos: number): number =>
    sqlCountItems.get(vatID, startPos, endPos) ?? 0;
  const isPopulated = (span: SpanRow): boolean =>
    countItems(span.vatID, span.startPos, span.endPos) === span.endPos - span.startPos;
  const nameOf = (span: SpanRow): string => spanArtifactName(span.vatID, span.startPos, span.endPos);
  const exportEntry = (span: SpanRow): [string, string] => [
    spanExportKey(span.vatID, span.startPos, span.isCurrent === 1),
    spanRecordJSON({ ...span, isCurrent: span.isCurrent === 1 ? 1 : 0 }),
  ];

  function* getExportRecords(includeHistorical: boolean): IterableIterator<[string, string]> {
    const spans = includeHistorical ? sqlAllSpans.all() : sqlCurrentSpans.all();
    for (const span of spans) yield exportEntry(span);
  }

  function* getArtifactNames(mode: ArtifactMode): IterableIterator<string> {
    assertMode(mode, true);
    const current = sqlCurrentSpans.all();
    if (mode === 'operational') {
      for (const span of current) yield nameOf(span);
    } else if (mode === 'replay') {
      for (const cur of current) {
        for (const span of sqlIncarnationSpans.all(cur.vatID, cur.incarnation)) yield nameOf(span);
      }
    } else if (mode === 'archival') {
      // Terminated vats (no current span) are left out.
      const live = new Set(current.map(span => span.vatID));
      for (const span of sqlAllSpans.all()) {
        if (live.has(span.vatID)) yield nameOf(span);
      }
    } else {
      // debug: whatever is complete, terminated vats included.
      for (const span of sqlAllSpans.all()) {
        if (isPopulated(span)) yield nameOf(span);
      }
    }
  }

  async function* exportSpan(name: string): AsyncGenerator<Uint8Array> {
    const { vatID, startPos, endPos } = parseSpanArtifactName(name);
    const span = sqlGetSpan.get(vatID, startPos);
    if (!span || span.endPos !== endPos) {
      fail('MISSING_ARTIFACT', `transcript span artifact ${JSON.stringify(name)} is not available`);
    }
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const item of readItems(vatID, startPos, endPos)) {
      const bytes = encodeSpanItem(item);
      batch.push(bytes);
      batchBytes += bytes.length;
      if (batchBytes >= exportChunkBytes) {
        yield Buffer.concat(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) yield Buffer.concat(batch);
  }

  function insertSpanRecord(key: string, span: ReturnType<typeof parseSpanRecord>): void {
    try {
      sqlInsertSpan.run(span.vatID, span.startPos, span.endPos, span.hash, span.isCurrent === 1 ? 1 : null, span.incarnation);
    } catch (err) {
      if (!isConstraintError(err)) throw err;
      fail('DUPLICATE_RECORD', `transcript export record ${JSON.stringify(key)} conflicts with an existing span`);
    }
  }

  function importTranscriptSpanRecord(key: string, value: string): void {
    ensureTxn();
    insertSpanRecord(key, parseSpanRecord(key, value));
  }

  function repairTranscriptSpanRecord(key: string, value: string): void {
    ensureTxn();
    const span = parseSpanRecord(key, value);
    const existing = sqlGetSpan.get(span.vatID, span.startPos);
    if (!existing) {
      insertSpanRecord(key, span);
      return;
    }
    const matches =
      (existing.isCurrent === 1) === (span.isCurrent === 1) &&
      existing.hash === span.hash &&
      existing.incarnation === span.incarnation &&
      existing.endPos === span.endPos;
    if (!matches) {
      fail(
        'BAD_EXPORT_DATA',
        `transcript export record ${JSON.stringify(key)} does not match the existing span ${exportEntry(existing)[1]}`,
      );
    }
  }

  async function populateTranscriptSpan(name: string, artifact: ByteChunks, mode: ArtifactMode): Promise<void> {
    assertMode(mode, true);
    ensureTxn();
    const { vatID, startPos, endPos } = parseSpanArtifactName(name);
    const span = sqlGetSpan.get(vatID, startPos);
    if (!span) return fail('NO_SPAN', `no export-data record for transcript artifact ${JSON.stringify(name)}`);
    if (span.endPos !== endPos) {
      fail('BAD_ARTIFACT_NAME', `transcript artifact ${JSON.stringify(name)} disagrees with record endPos ${span.endPos}`);
    }
    if (mode === 'operational' && span.isCurrent !== 1) return;
    if (mode === 'replay') {
      const current = sqlGetCurrentSpan.get(vatID);
      if (!current) return;
      const incarnationStart = sqlStartOfIncarnation.get(vatID, current.incarnation) ?? current.startPos;
      if (startPos < incarnationStart) return;
    }
    if (countItems(vatID, startPos, endPos) > 0) {
      fail('DUPLICATE_RECORD', `transcript artifact ${JSON.stringify(name)} was already populated`);
    }
    let hash = initialSpanHash;
    let position = startPos;
    for await (const item of splitSpanItems(artifact)) {
      if (position >= endPos) {
        fail('ARTIFACT_HASH_MISMATCH', `transcript artifact ${JSON.stringify(name)} has more than ${endPos - startPos} items`);
      }
      sqlAddItem.run(vatID, position, item, span.incarnation);
      hash = updateSpanHash(hash, item);
      position += 1;
    }
    if (position !== endPos) {
      fail('TRUNCATED_ARTIFACT', `transcript artifact ${JSON.stringify(name)} is not complete: ${position - startPos} of ${endPos - startPos} items`);
    }
    if (hash !== span.hash) {
      fail('ARTIFACT_HASH_MISMATCH', `transcript artifact ${JSON.stringify(name)} hash is ${hash}, export data says ${span.hash}`);
    }
  }

  function assertComplete(mode: Exclude<ArtifactMode, 'debug'>): void {
    assertMode(mode, false);
    for (const cur of sqlCurrentSpans.all()) {
      const { vatID, endPos } = cur;
      let from: number;
      let what: string;
      if (mode === 'operational') {
        from = cur.startPos;
        what = 'current span';
      } else if (mode === 'replay') {
        from = sqlStartOfIncarnation.get(vatID, cur.incarnation) ?? cur.startPos;
        what = `current incarnation ${cur.incarnation}`;
      } else {
        from = 0;
        what = 'full history';
      }
      const count = countItems(vatID, from, endPos);
      if (count !== endPos - from) {
        fail(
          'INCOMPLETE',
          `transcript of vat ${JSON.stringify(vatID)} is incomplete for ${mode}: ${what} [${from}, ${endPos}) has ${count} of ${endPos - from} items`,
        );
      }
    }
  }

  function* readFullVatTranscript(vatID: string): IterableIterator<{ vatID: string; position: number; item: string }> {
    for (const span of sqlVatSpans.all(vatID)) {
      for (const { position, item } of readItemRows(vatID, span.startPos, span.endPos)) {
        yield { vatID, position, item };
      }
    }
  }

  function dumpTranscripts(includeHistorical: boolean): Record<string, Record<number, string>> {
    const dump: Record<string, Record<number, string>> = {};
    for (const span of sqlAllSpans.all()) {
      if (!includeHistorical && span.isCurrent !== 1) continue;
      for (const { position, item } of readItemRows(span.vatID, span.startPos, span.endPos)) {
        (dump[span.vatID] ??= {})[position] = item;
      }
    }
    return dump;
  }

  return {
    getExportRecords,
    getArtifactNames,
    exportSpan,
    importTranscriptSpanRecord,
    populateTranscriptSpan,
    repairTranscriptSpanRecord,
    assertComplete,
    readFullVatTranscript,
    dumpTranscripts,
  };
}
