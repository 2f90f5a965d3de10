// Transcripts: per vat, one current span plus historical spans, each span a
// contiguous range [startPos, endPos) of items with its own hash chain.
// The state-sync half (export records, artifacts, import) is in
// transcriptExport.ts and shares the schema created here.
import type { DeletionResult, SpanBounds, SpanDescription, StoreContext, TranscriptStoreInternal } from './types.js';
import { fail } from './errors.js';
import { initialSpanHash, updateSpanHash } from './hasher.js';
import { encodeSpanItem, spanArtifactName, spanExportKey, spanRecordJSON } from './transcriptFormats.js';
import { makeTranscriptExport } from './transcriptExport.js';
import type { ItemRow, SpanRow } from './transcriptRows.js';

export type { ItemRow, SpanRow } from './transcriptRows.js';

export interface TranscriptStoreOptions {
  /** Default true: keep the items of closed spans. */
  keepTranscripts?: boolean;
  archiveTranscript?: (spanName: string, entries: Buffer[]) => void | Promise<void>;
}

export function createTranscriptTables(ctx: StoreContext): void {
  ctx.db.exec(`
    CREATE TABLE IF NOT EXISTS transcriptItems (
      vatID TEXT,
      position INTEGER,
      item TEXT,
      incarnation INTEGER,
      PRIMARY KEY (vatID, position)
    )
  `);
  // "Not current" is NULL so that UNIQUE allows many historical spans.
  ctx.db.exec(`
    CREATE TABLE IF NOT EXISTS transcriptSpans (
      vatID TEXT,
      startPos INTEGER,
      endPos INTEGER,
      hash TEXT,
      isCurrent INTEGER CHECK (isCurrent = 1),
      incarnation INTEGER,
      PRIMARY KEY (vatID, startPos),
      UNIQUE (vatID, isCurrent)
    )
  `);
  ctx.db.exec(`
    CREATE INDEX IF NOT EXISTS currentTranscriptIndex
    ON transcriptSpans (vatID, isCurrent)
  `);
}

const assertVatID = (vatID: unknown): void => {
  if (typeof vatID !== 'string' || vatID === '' || vatID.includes('.')) {
    fail('BAD_ARGUMENT', `vatID must be a non-empty string without ".", got ${JSON.stringify(vatID)}`);
  }
};

const readPageSize = 500;

const isValidBudget = (budget: number): boolean =>
  budget === Infinity || (Number.isSafeInteger(budget) && budget >= 1);

export function makeTranscriptStore(
  ctx: StoreContext,
  options: TranscriptStoreOptions = {},
): TranscriptStoreInternal {
  const { db, ensureTxn, noteExport } = ctx;
  const { keepTranscripts = true, archiveTranscript } = options;
  createTranscriptTables(ctx);

  const sqlInsertSpan = db.prepare<[string, number, number, string, 1 | null, number]>(`
    INSERT INTO transcriptSpans (vatID, startPos, endPos, hash, isCurrent, incarnation)
    VALUES (?, ?, ?, ?, ?, ?)
  `);
  const sqlGetCurrentSpan = db.prepare<[string], SpanBounds>(`
    SELECT startPos, endPos, hash, incarnation
    FROM transcriptSpans
    WHERE vatID = ? AND isCurrent = 1
  `);
  const sqlGetSpanEndPos = db
    .prepare<[string, number], number>('SELECT endPos FROM transcriptSpans WHERE vatID = ? AND startPos = ?')
    .pluck();
  const sqlReadItemPage = db.prepare<[string, number, number, number], ItemRow>(`
    SELECT position, item FROM transcriptItems
    WHERE vatID = ? AND ? <= position AND position < ?
    ORDER BY position
    LIMIT ?
  `);
  const sqlAddItem = db.prepare<[string, number, string, number]>(
    'INSERT INTO transcriptItems (vatID, position, item, incarnation) VALUES (?, ?, ?, ?)',
  );
  const sqlUpdateCurrentSpan = db.prepare<[number, string, string]>(
    'UPDATE transcriptSpans SET endPos = ?, hash = ? WHERE vatID = ? AND isCurrent = 1',
  );
  const sqlEndCurrentSpan = db.prepare<[string]>(
    'UPDATE transcriptSpans SET isCurrent = NULL WHERE vatID = ? AND isCurrent = 1',
  );
  const sqlDeleteItemRange = db.prepare<[string, number, number]>(
    'DELETE FROM transcriptItems WHERE vatID = ? AND position >= ? AND position < ?',
  );
  const sqlDeleteVatItems = db.prepare<[string]>('DELETE FROM transcriptItems WHERE vatID = ?');
  const sqlDeleteVatSpans = db.prepare<[string]>('DELETE FROM transcriptSpans WHERE vatID = ?');
  const sqlDeleteSpan = db.prepare<[string, number]>(
    'DELETE FROM transcriptSpans WHERE vatID = ? AND startPos = ?',
  );
  const sqlGetVatSpans = db.prepare<[string], SpanRow>(`
    SELECT vatID, startPos, endPos, hash, isCurrent, incarnation
    FROM transcriptSpans WHERE vatID = ? ORDER BY startPos
  `);
  // Newest first, so a span left current by a missing stopUsingTranscript
  // leaves the export artifacts soonest.
  const sqlGetNewestVatSpans = db.prepare<[string, number], SpanRow>(`
    SELECT vatID, startPos, endPos, hash, isCurrent, incarnation
    FROM transcriptSpans WHERE vatID = ? ORDER BY startPos DESC LIMIT ?
  `);

  const sqlCountItems = db
    .prepare<[string, number, number], number>(
      'SELECT COUNT(*) FROM transcriptItems WHERE vatID = ? AND ? <= position AND position < ?',
    )
    .pluck();

  function describeVatSpans(vatID: string): SpanDescription[] {
    return sqlGetVatSpans.all(vatID).map(row => ({
      startPos: row.startPos,
      endPos: row.endPos,
      hash: row.hash,
      incarnation: row.incarnation,
      isCurrent: row.isCurrent === 1,
      storedItems: sqlCountItems.get(vatID, row.startPos, row.endPos) ?? 0,
    }));
  }

  function noteSpan(vatID: string, bounds: SpanBounds, isCurrent: boolean): void {
    const { startPos, endPos, hash, incarnation } = bounds;
    noteExport(
      spanExportKey(vatID, startPos, isCurrent),
      spanRecordJSON({ vatID, startPos, endPos, hash, isCurrent: isCurrent ? 1 : 0, incarnation }),
    );
  }

  function initTranscript(vatID: string): void {
    assertVatID(vatID);
    ensureTxn();
    if (hasSpans(vatID)) {
      fail('BAD_ARGUMENT', `transcript for vat ${JSON.stringify(vatID)} already exists`);
    }
    sqlInsertSpan.run(vatID, 0, 0, initialSpanHash, 1, 0);
    noteSpan(vatID, { startPos: 0, endPos: 0, hash: initialSpanHash, incarnation: 0 }, true);
  }

  function getCurrentSpanBounds(vatID: string): SpanBounds {
    const bounds = sqlGetCurrentSpan.get(vatID);
    if (!bounds) return fail('NO_TRANSCRIPT', `no current transcript for vat ${JSON.stringify(vatID)}`);
    return { ...bounds };
  }

  function addItem(vatID: string, item: string): void {
    if (typeof item !== 'string') fail('BAD_ARGUMENT', `transcript item for ${vatID} must be a string`);
    // Artifacts are newline-delimited, so a newline would corrupt export.
    if (item.includes('\n')) {
      fail('BAD_ARGUMENT', `transcript item for ${vatID} must not contain a newline`);
    }
    ensureTxn();
    const { startPos, endPos, hash, incarnation } = getCurrentSpanBounds(vatID);
    sqlAddItem.run(vatID, endPos, item, incarnation);
    const newHash = updateSpanHash(hash, item);
    sqlUpdateCurrentSpan.run(endPos + 1, newHash, vatID);
    noteSpan(vatID, { startPos, endPos: endPos + 1, hash: newHash, incarnation }, true);
  }

  /** Present item rows of [startPos, endPos), in position order. */
  function* readItemRows(vatID: string, startPos: number, endPos: number): Generator<ItemRow> {
    // Pages rather than .iterate(): a caller may write to the DB while this
    // generator is suspended, which an open SQLite cursor forbids; pages
    // also bound memory for long spans.
    let from = startPos;
    for (;;) {
      const page = sqlReadItemPage.all(vatID, from, endPos, readPageSize);
      yield* page;
      const last = page[page.length - 1];
      if (page.length < readPageSize || last === undefined) return;
      from = last.position + 1;
    }
  }

  /** Items of [startPos, endPos); throws at the end if any were missing. */
  function* readItems(vatID: string, startPos: number, endPos: number): Generator<string> {
    const expected = endPos - startPos;
    let count = 0;
    for (const row of readItemRows(vatID, startPos, endPos)) {
      yield row.item;
      count += 1;
    }
    if (count !== expected) {
      fail(
        'INCOMPLETE_SPAN',
        `transcript span ${spanArtifactName(vatID, startPos, endPos)}: read ${count} items (expected ${expected})`,
      );
    }
  }

  function readSpan(vatID: string, startPos?: number): IterableIterator<string> {
    if (startPos === undefined) {
      const bounds = getCurrentSpanBounds(vatID);
      return readItems(vatID, bounds.startPos, bounds.endPos);
    }
    if (!Number.isSafeInteger(startPos) || startPos < 0) {
      fail('BAD_ARGUMENT', `transcript position must be a non-negative integer, got ${startPos}`);
    }
    const endPos = sqlGetSpanEndPos.get(vatID, startPos);
    if (endPos === undefined) {
      return fail('NO_SPAN', `no transcript span for vat ${JSON.stringify(vatID)} at ${startPos}`);
    }
    return readItems(vatID, startPos, endPos);
  }

  /**
   * Makes the current span historical: notes its record and drops its items
   * unless keepTranscripts. Returns a starter for the archive hook, which the
   * caller runs only after all of its DB work, so that DB changes are
   * complete before anything is awaited and a later DB error cannot leave an
   * archive promise unobserved.
   */
  function closeCurrentSpan(vatID: string, bounds: SpanBounds): () => Promise<void> {
    const { startPos, endPos } = bounds;
    noteSpan(vatID, bounds, false);
    sqlEndCurrentSpan.run(vatID);
    let startArchive = async (): Promise<void> => {};
    if (archiveTranscript) {
      const entries = [...readItems(vatID, startPos, endPos)].map(encodeSpanItem);
      const spanName = spanArtifactName(vatID, startPos, endPos);
      startArchive = async () => archiveTranscript(spanName, entries);
    }
    if (!keepTranscripts) {
      // Only this span: older leftovers are left alone to avoid DB churn.
      sqlDeleteItemRange.run(vatID, startPos, endPos);
    }
    return startArchive;
  }

  async function rollover(vatID: string, newIncarnation: boolean): Promise<number> {
    ensureTxn();
    const bounds = getCurrentSpanBounds(vatID);
    const { endPos } = bounds;
    if (bounds.startPos === endPos) {
      // The new span would start where this one does (same primary key).
      fail('BAD_ARGUMENT', `cannot roll over the empty current transcript span of vat ${JSON.stringify(vatID)} at ${endPos}`);
    }
    const startArchive = closeCurrentSpan(vatID, bounds);
    const incarnation = newIncarnation ? bounds.incarnation + 1 : bounds.incarnation;
    sqlInsertSpan.run(vatID, endPos, endPos, initialSpanHash, 1, incarnation);
    noteSpan(vatID, { startPos: endPos, endPos, hash: initialSpanHash, incarnation }, true);
    await startArchive();
    return incarnation;
  }

  async function stopUsingTranscript(vatID: string): Promise<void> {
    ensureTxn();
    const bounds = sqlGetCurrentSpan.get(vatID);
    if (!bounds) return;
    const startArchive = closeCurrentSpan(vatID, bounds);
    noteExport(spanExportKey(vatID, bounds.startPos, true), undefined);
    await startArchive();
  }

  function hasSpans(vatID: string): boolean {
    return sqlGetNewestVatSpans.all(vatID, 1).length > 0;
  }

  function deleteVatTranscripts(vatID: string, budget: number = Infinity): DeletionResult {
    if (typeof budget !== 'number' || !isValidBudget(budget)) {
      fail('BAD_ARGUMENT', `deleteVatTranscripts budget must be a positive integer or Infinity, got ${budget}`);
    }
    ensureTxn();
    const deleteAll = budget === Infinity;
    // .all(): noteExport writes to the DB, which an open cursor forbids.
    const doomed = deleteAll ? sqlGetVatSpans.all(vatID) : sqlGetNewestVatSpans.all(vatID, budget);
    for (const span of doomed) {
      noteExport(spanExportKey(vatID, span.startPos, span.isCurrent === 1), undefined);
      if (!deleteAll) {
        sqlDeleteSpan.run(vatID, span.startPos);
        sqlDeleteItemRange.run(vatID, span.startPos, span.endPos);
      }
    }
    if (deleteAll) {
      sqlDeleteVatItems.run(vatID);
      sqlDeleteVatSpans.run(vatID);
    }
    return { done: deleteAll || doomed.length === 0 || !hasSpans(vatID), cleanups: doomed.length };
  }

  return {
    initTranscript,
    rolloverSpan: vatID => rollover(vatID, false),
    rolloverIncarnation: vatID => rollover(vatID, true),
    getCurrentSpanBounds,
    addItem,
    readSpan,
    describeVatSpans,
    stopUsingTranscript,
    deleteVatTranscripts,
    ...makeTranscriptExport(ctx, { readItems, readItemRows }),
  };
}
