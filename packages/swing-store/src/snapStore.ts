// snapStore: gzipped XS heap snapshots in the `snapshots` table.
//
// Model: per vat at most one in-use snapshot (inUse = 1) plus any number of
// historical rows (inUse NULL). A historical row keeps its hash forever (it
// is export data) but its blob only when `keepSnapshots` is set. A row whose
// blob is NULL is "pruned".
//
// `snapPos` is the transcript position of the `save-snapshot` entry that
// produced the image, i.e. the delivery number the kernel chose for it; a
// worker restored from it replays the transcript from the next position.
import { performance } from 'node:perf_hooks';
import { SwingStoreError, fail } from './errors.js';
import { gunzipAndVerify, gzipAndHash } from './snapshotCodec.js';
import type { GunzipFailure } from './snapshotCodec.js';
import {
  assertSnapPos,
  assertVatID,
  currentSnapshotKey,
  encodeSnapshotRecord,
  parseSnapshotKey,
  parseSnapshotRecord,
  snapshotName,
} from './snapshotRecords.js';
import type { SnapshotRecord } from './snapshotRecords.js';
import type {
  ArtifactMode,
  ByteChunks,
  DeletionResult,
  SnapStoreInternal,
  SnapshotDescription,
  SnapshotInfo,
  SnapshotResult,
  StoreContext,
} from './types.js';

export interface SnapStoreOptions {
  /** Keep the blobs of snapshots that are no longer in use (default policy: drop them). */
  keepSnapshots: boolean;
  /** Called after each new snapshot with its name and the gzip bytes. */
  archiveSnapshot?: (name: string, data: Buffer) => void | Promise<void>;
}

/** Rows as stored; `inUse` is 1 or NULL, never 0. */
interface SnapshotRow {
  vatID: string;
  snapPos: number;
  hash: string;
  inUse: 1 | null;
}

interface BlobRow {
  snapPos: number;
  hash: string;
  inUse: 1 | null;
  compressedSnapshot: Buffer | null;
}

const exportRecordOf = (row: SnapshotRow): SnapshotRecord => ({
  vatID: row.vatID,
  snapPos: row.snapPos,
  hash: row.hash,
  inUse: row.inUse === 1 ? 1 : 0,
});

export function makeSnapStore(ctx: StoreContext, options: SnapStoreOptions): SnapStoreInternal {
  const { db, ensureTxn, noteExport } = ctx;
  const { keepSnapshots, archiveSnapshot } = options;

  // Schema "1B": no CHECK tying blob to inUse, because import inserts in-use
  // metadata rows before their blobs arrive.
  db.exec(`
    CREATE TABLE IF NOT EXISTS snapshots (
      vatID TEXT,
      snapPos INTEGER,
      inUse INTEGER CHECK(inUse = 1),
      hash TEXT,
      uncompressedSize INTEGER,
      compressedSize INTEGER,
      compressedSnapshot BLOB,
      PRIMARY KEY (vatID, snapPos),
      UNIQUE (vatID, inUse)
    )
  `);

  const sqlInUseRow = db.prepare<[string], { snapPos: number; hash: string }>(
    'SELECT snapPos, hash FROM snapshots WHERE vatID = ? AND inUse = 1',
  );
  const sqlRetireInUse = db.prepare<[string]>(
    'UPDATE snapshots SET inUse = NULL WHERE vatID = ? AND inUse = 1',
  );
  const sqlRetireAndPruneInUse = db.prepare<[string]>(
    'UPDATE snapshots SET inUse = NULL, compressedSnapshot = NULL WHERE vatID = ? AND inUse = 1',
  );
  const sqlSave = db.prepare<[string, number, string, number, number, Buffer]>(`
    INSERT OR REPLACE INTO snapshots
      (vatID, snapPos, inUse, hash, uncompressedSize, compressedSize, compressedSnapshot)
    VALUES (?, ?, 1, ?, ?, ?, ?)
  `);
  const sqlLoadInUse = db.prepare<[string], BlobRow>(
    'SELECT snapPos, hash, inUse, compressedSnapshot FROM snapshots WHERE vatID = ? AND inUse = 1',
  );
  const sqlRowAt = db.prepare<[string, number], BlobRow>(
    'SELECT snapPos, hash, inUse, compressedSnapshot FROM snapshots WHERE vatID = ? AND snapPos = ?',
  );
  const sqlDeleteAllUnused = db.prepare('DELETE FROM snapshots WHERE inUse IS NULL');
  const sqlVatRowsNewestFirst = db.prepare<[string, number], { snapPos: number; inUse: 1 | null }>(
    'SELECT snapPos, inUse FROM snapshots WHERE vatID = ? ORDER BY snapPos DESC LIMIT ?',
  );
  const sqlVatRows = db.prepare<[string], { snapPos: number; inUse: 1 | null }>(
    'SELECT snapPos, inUse FROM snapshots WHERE vatID = ? ORDER BY snapPos',
  );
  const sqlDeleteOne = db.prepare<[string, number]>('DELETE FROM snapshots WHERE vatID = ? AND snapPos = ?');
  const sqlDeleteVat = db.prepare<[string]>('DELETE FROM snapshots WHERE vatID = ?');
  const sqlHasAnyForVat = db.prepare<[string], number>('SELECT 1 FROM snapshots WHERE vatID = ? LIMIT 1').pluck();
  const sqlInfo = db.prepare<[string], SnapshotInfo>(
    'SELECT snapPos, hash, uncompressedSize, compressedSize FROM snapshots WHERE vatID = ? AND inUse = 1',
  );
  const sqlHasHash = db.prepare<[string, string], number>(
    'SELECT COUNT(*) FROM snapshots WHERE vatID = ? AND hash = ?',
  ).pluck();
  const sqlDeleteByHash = db.prepare<[string, string]>('DELETE FROM snapshots WHERE vatID = ? AND hash = ?');
  // `IS ?` so that binding NULL selects the historical rows.
  const sqlMetadataByUse = db.prepare<[1 | null], SnapshotRow>(
    'SELECT vatID, snapPos, hash, inUse FROM snapshots WHERE inUse IS ? ORDER BY vatID, snapPos',
  );
  const sqlAvailableByUse = db.prepare<[1 | null], { vatID: string; snapPos: number }>(`
    SELECT vatID, snapPos FROM snapshots
    WHERE inUse IS ? AND compressedSnapshot IS NOT NULL
    ORDER BY vatID, snapPos
  `);
  const sqlInsertRecord = db.prepare<[string, number, string, 1 | null]>(
    'INSERT INTO snapshots (vatID, snapPos, hash, inUse) VALUES (?, ?, ?, ?)',
  );
  const sqlPopulate = db.prepare<[number, number, Buffer, string, number]>(`
    UPDATE snapshots SET uncompressedSize = ?, compressedSize = ?, compressedSnapshot = ?
    WHERE vatID = ? AND snapPos = ?
  `);
  const sqlPrunedInUseVats = db.prepare<[], string>(
    'SELECT vatID FROM snapshots WHERE inUse = 1 AND compressedSnapshot IS NULL ORDER BY vatID',
  ).pluck();
  const sqlListAll = db.prepare<[], SnapshotRow>(
    'SELECT vatID, snapPos, hash, inUse FROM snapshots ORDER BY vatID, snapPos',
  );
  const sqlDescribeVat = db.prepare<[string], SnapshotRow & { uncompressedSize: number | null; compressedSize: number | null; kept: 0 | 1 }>(`
    SELECT vatID, snapPos, hash, inUse, uncompressedSize, compressedSize,
      compressedSnapshot IS NOT NULL AS kept
    FROM snapshots WHERE vatID = ? ORDER BY snapPos
  `);
  const sqlDump = db.prepare<[number], SnapshotRow & { compressedSnapshot: Buffer | null }>(`
    SELECT vatID, snapPos, hash, inUse, compressedSnapshot FROM snapshots
    WHERE inUse = 1 OR ? ORDER BY vatID, snapPos
  `);

  // ------------------------------------------------------------ lifecycle

  function stopUsingLastSnapshot(vatID: string): void {
    ensureTxn();
    const current = sqlInUseRow.get(vatID);
    if (!current) return; // idempotent
    const rec: SnapshotRecord = { vatID, snapPos: current.snapPos, hash: current.hash, inUse: 0 };
    noteExport(snapshotName(vatID, current.snapPos), encodeSnapshotRecord(rec));
    noteExport(currentSnapshotKey(vatID), undefined);
    (keepSnapshots ? sqlRetireInUse : sqlRetireAndPruneInUse).run(vatID);
  }

  async function saveSnapshot(vatID: string, snapPos: number, snapshotStream: ByteChunks): Promise<SnapshotResult> {
    assertVatID(vatID);
    assertSnapPos(vatID, snapPos);
    const compressStart = performance.now();
    const { hash, uncompressedSize, compressed } = await gzipAndHash(snapshotStream);
    const compressSeconds = (performance.now() - compressStart) / 1000;

    // Everything below up to the archive hook is synchronous, so the row,
    // its export records and the retirement of the previous snapshot land in
    // the same transaction with nothing interleaved.
    const dbStart = performance.now();
    ensureTxn();
    stopUsingLastSnapshot(vatID);
    sqlSave.run(vatID, snapPos, hash, uncompressedSize, compressed.length, compressed);
    const name = snapshotName(vatID, snapPos);
    noteExport(name, encodeSnapshotRecord({ vatID, snapPos, hash, inUse: 1 }));
    noteExport(currentSnapshotKey(vatID), name);
    const dbSaveSeconds = (performance.now() - dbStart) / 1000;

    const result: SnapshotResult = {
      hash,
      uncompressedSize,
      compressSeconds,
      dbSaveSeconds,
      compressedSize: compressed.length,
    };
    if (archiveSnapshot) {
      const archiveStart = performance.now();
      await archiveSnapshot(name, compressed);
      result.archiveWriteSeconds = (performance.now() - archiveStart) / 1000;
    }
    return result;
  }

  async function* loadSnapshot(vatID: string): AsyncGenerator<Uint8Array, void, undefined> {
    const row = sqlLoadInUse.get(vatID);
    if (!row || !row.compressedSnapshot) {
      throw new SwingStoreError('NO_SNAPSHOT', `no snapshot available for vat ${JSON.stringify(vatID)}`);
    }
    const { snapPos, hash } = row;
    const subject = `snapshot of vat ${JSON.stringify(vatID)} at snapPos ${snapPos}`;
    yield* gunzipAndVerify(row.compressedSnapshot, hash, (failure) =>
      failure.kind === 'hash'
        ? new SwingStoreError(
            'SNAPSHOT_HASH_MISMATCH',
            `${subject} is corrupt: actual hash ${failure.actual} !== expected ${hash}`,
          )
        : corruptError('CORRUPT_SNAPSHOT', `${subject} cannot be decompressed`, failure),
    );
  }

  async function* loadSnapshotAt(vatID: string, snapPos: number): AsyncGenerator<Uint8Array, void, undefined> {
    const row = sqlRowAt.get(vatID, snapPos);
    const subject = `snapshot of vat ${JSON.stringify(vatID)} at snapPos ${snapPos}`;
    if (!row) throw new SwingStoreError('NO_SNAPSHOT', `no ${subject} was ever recorded`);
    if (!row.compressedSnapshot) {
      throw new SwingStoreError('NO_SNAPSHOT', `${subject} was pruned (the store did not keep old snapshots)`);
    }
    const { hash } = row;
    yield* gunzipAndVerify(row.compressedSnapshot, hash, (failure) =>
      failure.kind === 'hash'
        ? new SwingStoreError('SNAPSHOT_HASH_MISMATCH', `${subject} is corrupt: actual hash ${failure.actual} !== expected ${hash}`)
        : corruptError('CORRUPT_SNAPSHOT', `${subject} cannot be decompressed`, failure),
    );
  }

  function describeVatSnapshots(vatID: string): SnapshotDescription[] {
    return sqlDescribeVat.all(vatID).map((row) => ({
      snapPos: row.snapPos,
      hash: row.hash,
      inUse: row.inUse === 1,
      kept: row.kept === 1,
      ...(row.uncompressedSize === null ? {} : { uncompressedSize: row.uncompressedSize }),
      ...(row.compressedSize === null ? {} : { compressedSize: row.compressedSize }),
    }));
  }

  function deleteAllUnusedSnapshots(): void {
    ensureTxn();
    // Like the reference, this removes the metadata rows too and notes no
    // export-data change; it is a debugging/maintenance tool, not part of the
    // kernel's normal slow-deletion path.
    sqlDeleteAllUnused.run();
  }

  function deleteVatSnapshots(vatID: string, budget: number = Infinity): DeletionResult {
    const deleteAll = budget === Infinity;
    if (!deleteAll && !(Number.isSafeInteger(budget) && budget >= 1)) {
      fail('BAD_ARGUMENT', `deleteVatSnapshots(${JSON.stringify(vatID)}): budget ${budget} must be a positive integer or Infinity`);
    }
    ensureTxn();
    // `.all()` rather than `.iterate()`: noteExport writes to the same
    // connection, which better-sqlite3 forbids while a statement iterates.
    const doomed = deleteAll ? sqlVatRows.all(vatID) : sqlVatRowsNewestFirst.all(vatID, budget);
    let clearCurrent = deleteAll;
    for (const { snapPos, inUse } of doomed) {
      clearCurrent ||= inUse === 1;
      noteExport(snapshotName(vatID, snapPos), undefined);
      if (!deleteAll) sqlDeleteOne.run(vatID, snapPos);
    }
    if (deleteAll) sqlDeleteVat.run(vatID);
    if (clearCurrent) noteExport(currentSnapshotKey(vatID), undefined);
    const done = deleteAll || doomed.length === 0 || sqlHasAnyForVat.get(vatID) === undefined;
    return { done, cleanups: doomed.length };
  }

  function getSnapshotInfo(vatID: string): SnapshotInfo | undefined {
    const info = sqlInfo.get(vatID);
    return info && { ...info };
  }

  // --------------------------------------------------------------- export

  function* getExportRecords(includeHistorical: boolean): IterableIterator<[string, string]> {
    for (const row of sqlMetadataByUse.all(1)) {
      const name = snapshotName(row.vatID, row.snapPos);
      yield [name, encodeSnapshotRecord(exportRecordOf(row))];
      yield [currentSnapshotKey(row.vatID), name];
    }
    if (includeHistorical) {
      for (const row of sqlMetadataByUse.all(null)) {
        yield [snapshotName(row.vatID, row.snapPos), encodeSnapshotRecord(exportRecordOf(row))];
      }
    }
  }

  function* getArtifactNames(mode: ArtifactMode): IterableIterator<string> {
    // Every mode needs the current images; only debug wants retained old ones.
    for (const row of sqlAvailableByUse.all(1)) {
      yield snapshotName(row.vatID, row.snapPos);
    }
    if (mode === 'debug') {
      for (const row of sqlAvailableByUse.all(null)) {
        yield snapshotName(row.vatID, row.snapPos);
      }
    }
  }

  function exportSnapshot(name: string): ByteChunks {
    // Validate and fetch now, so a bad name fails at the call, not at the
    // first read.
    const parsed = parseSnapshotKey(name, 'artifact name', false);
    if (parsed.kind !== 'record') return fail('BAD_ARTIFACT_NAME', `bad snapshot artifact name ${name}`);
    const row = sqlRowAt.get(parsed.vatID, parsed.snapPos);
    if (!row) {
      return fail('MISSING_ARTIFACT', `snapshot artifact ${JSON.stringify(name)} does not exist`);
    }
    if (!row.compressedSnapshot) {
      return fail('MISSING_ARTIFACT', `snapshot artifact ${JSON.stringify(name)} is not available (pruned)`);
    }
    // The importer re-hashes, so the exporter only decompresses.
    return gunzipAndVerify(row.compressedSnapshot, undefined, (failure) =>
      corruptError('CORRUPT_SNAPSHOT', `snapshot artifact ${JSON.stringify(name)} cannot be decompressed`, failure),
    );
  }

  // --------------------------------------------------------------- import

  function importSnapshotRecord(key: string, value: string): void {
    // `.current` pointers are redundant with the records' inUse flags, and
    // the two may arrive in either order, so the pointer is only parsed.
    if (parseSnapshotKey(key, 'export-data key', true).kind === 'current') return;
    const rec = parseSnapshotRecord(key, value);
    ensureTxn();
    if (sqlRowAt.get(rec.vatID, rec.snapPos)) {
      fail('DUPLICATE_RECORD', `snapshot export-data key ${JSON.stringify(key)}: a record for it already exists`);
    }
    if (rec.inUse === 1 && sqlInUseRow.get(rec.vatID)) {
      fail('BAD_EXPORT_DATA', `snapshot export-data key ${JSON.stringify(key)}: vat ${JSON.stringify(rec.vatID)} already has an in-use snapshot`);
    }
    sqlInsertRecord.run(rec.vatID, rec.snapPos, rec.hash, rec.inUse === 1 ? 1 : null);
  }

  function repairSnapshotRecord(key: string, value: string): void {
    if (parseSnapshotKey(key, 'export-data key', true).kind === 'current') return;
    const rec = parseSnapshotRecord(key, value);
    ensureTxn();
    const existing = sqlRowAt.get(rec.vatID, rec.snapPos);
    if (existing) {
      const existingInUse = existing.inUse === 1 ? 1 : 0;
      if (existing.hash !== rec.hash || existingInUse !== rec.inUse) {
        fail(
          'BAD_EXPORT_DATA',
          `repairSnapshotRecord ${JSON.stringify(key)}: metadata mismatch: have hash ${existing.hash} inUse ${existingInUse}, export data says hash ${rec.hash} inUse ${rec.inUse}`,
        );
      }
      return;
    }
    sqlInsertRecord.run(rec.vatID, rec.snapPos, rec.hash, rec.inUse === 1 ? 1 : null);
  }

  async function populateSnapshot(name: string, artifact: ByteChunks, mode: ArtifactMode): Promise<void> {
    const parsed = parseSnapshotKey(name, 'artifact name', false);
    if (parsed.kind !== 'record') return fail('BAD_ARTIFACT_NAME', `bad snapshot artifact name ${name}`);
    const { vatID, snapPos } = parsed;
    const metadata = sqlRowAt.get(vatID, snapPos);
    if (!metadata) {
      return fail('BAD_ARTIFACT_NAME', `snapshot artifact ${JSON.stringify(name)} has no export-data record`);
    }
    if (metadata.inUse !== 1 && mode !== 'debug') {
      return; // historical images are only kept by debug imports
    }
    let compressed: Awaited<ReturnType<typeof gzipAndHash>>;
    try {
      compressed = await gzipAndHash(artifact);
    } catch (error) {
      // A coded error from the source (e.g. our own exporter) already names its subject.
      if (error instanceof SwingStoreError) throw error;
      throw corruptError('MISSING_ARTIFACT', `snapshot artifact ${JSON.stringify(name)} could not be read`, {
        kind: 'corrupt',
        cause: error,
      });
    }
    if (compressed.hash !== metadata.hash) {
      fail(
        'ARTIFACT_HASH_MISMATCH',
        `snapshot artifact ${JSON.stringify(name)} hash is ${compressed.hash}, export data says ${metadata.hash}`,
      );
    }
    ensureTxn();
    sqlPopulate.run(compressed.uncompressedSize, compressed.compressed.length, compressed.compressed, vatID, snapPos);
  }

  function assertComplete(mode: Exclude<ArtifactMode, 'debug'>): void {
    void mode; // every mode needs every current snapshot
    const pruned = sqlPrunedInUseVats.all();
    if (pruned.length > 0) {
      fail('INCOMPLETE', `current snapshots are pruned for vats ${pruned.join(',')}`);
    }
  }

  // ---------------------------------------------------------------- debug

  function hasHash(vatID: string, hash: string): boolean {
    return (sqlHasHash.get(vatID, hash) ?? 0) > 0;
  }

  function* listAllSnapshots(): IterableIterator<{ vatID: string; snapPos: number; hash: string; inUse: number }> {
    for (const row of sqlListAll.all()) {
      yield exportRecordOf(row);
    }
  }

  function dumpSnapshots(includeHistorical: boolean): Record<string, unknown> {
    const dump: Record<string, Array<{ snapPos: number; hash: string; compressedSnapshot: Buffer | null; inUse: 0 | 1 }>> = {};
    for (const row of sqlDump.all(includeHistorical ? 1 : 0)) {
      const entries = (dump[row.vatID] ??= []);
      entries.push({
        snapPos: row.snapPos,
        hash: row.hash,
        compressedSnapshot: row.compressedSnapshot,
        inUse: row.inUse === 1 ? 1 : 0,
      });
    }
    return dump;
  }

  function deleteSnapshotByHash(vatID: string, hash: string): void {
    ensureTxn();
    sqlDeleteByHash.run(vatID, hash);
  }

  return Object.freeze({
    saveSnapshot,
    loadSnapshot,
    loadSnapshotAt,
    describeVatSnapshots,
    stopUsingLastSnapshot,
    deleteAllUnusedSnapshots,
    deleteVatSnapshots,
    getSnapshotInfo,
    getExportRecords,
    getArtifactNames,
    exportSnapshot,
    importSnapshotRecord,
    populateSnapshot,
    repairSnapshotRecord,
    assertComplete,
    hasHash,
    listAllSnapshots,
    dumpSnapshots,
    deleteSnapshotByHash,
  });
}

/** Wraps a zlib/stream failure in a coded error that names the subject. */
function corruptError(code: 'CORRUPT_SNAPSHOT' | 'MISSING_ARTIFACT', message: string, failure: GunzipFailure): Error {
  const detail = failure.kind === 'corrupt' ? describeCause(failure.cause) : `hash ${failure.actual}`;
  const error = new SwingStoreError(code, `${message}: ${detail}`);
  if (failure.kind === 'corrupt') {
    (error as Error & { cause?: unknown }).cause = failure.cause;
  }
  return error;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
