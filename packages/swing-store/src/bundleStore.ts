// bundleStore: content-addressed code bundles in the `bundles` table.
//
// b0 bundles are stored as their JSON text, b1 bundles as the raw zip bytes
// (base64 would cost a third more space). A row whose `bundle` is NULL is a
// record imported from export data whose artifact has not arrived yet.
// Bundles are never pruned and are not vat-scoped.
import { SwingStoreError, fail } from './errors.js';
import {
  b0IDOf,
  bundleIDFromName,
  bundleName,
  collectBytes,
  parseBundleID,
  serializeNestedEvaluate,
  sha512Hex,
} from './bundleIDs.js';
import type { ParsedBundleID } from './bundleIDs.js';
import { verifyEndoZip } from './endoZip.js';
import type { Bundle, BundleStoreInternal, ByteChunks, StoreContext } from './types.js';

/** TEXT for b0 (as written), BLOB for b1; tolerate either on read. */
type StoredBundle = string | Buffer;

type CheckBundle = (bundle: unknown, computeSha512: (bytes: Uint8Array) => string, bundleName?: string) => Promise<void>;

let checkBundleLoaded: Promise<CheckBundle> | undefined;

/**
 * @endo/check-bundle pulls in compartment-mapper, which reads the SES
 * globals (`Compartment`, `assert`) when its modules load. Load it lazily,
 * installing SES (without lockdown) only if the host has not already done
 * so, so that merely opening a swing-store does not touch globals.
 */
function loadCheckBundle(): Promise<CheckBundle> {
  checkBundleLoaded ??= (async () => {
    if (typeof (globalThis as { Compartment?: unknown }).Compartment !== 'function') {
      await import('ses');
    }
    const { checkBundle } = await import('@endo/check-bundle/lite.js');
    return checkBundle as CheckBundle;
  })();
  return checkBundleLoaded;
}

const mismatch = (bundleID: string, reason: string): never =>
  fail('BUNDLE_MISMATCH', `bundle ${JSON.stringify(bundleID)} does not match its contents: ${reason}`);

/**
 * Checks `bundle` against `bundleID` and returns what to store. Throws
 * BAD_BUNDLE_ID for an unknown ID shape and BUNDLE_MISMATCH otherwise.
 */
export function serializeBundle(bundleID: string, bundle: Bundle): StoredBundle {
  const { version, hash } = parseBundleID(bundleID);
  if (typeof bundle !== 'object' || bundle === null) {
    return mismatch(bundleID, 'bundle is not an object');
  }
  const { moduleFormat } = bundle;
  if (version === 0) {
    if (moduleFormat !== 'nestedEvaluate') {
      return mismatch(bundleID, `a b0 ID requires moduleFormat "nestedEvaluate", got ${JSON.stringify(moduleFormat)}`);
    }
    const serialized = JSON.stringify(bundle);
    const computed = b0IDOf(serialized);
    if (computed !== bundleID) {
      return mismatch(bundleID, `computed ID ${computed}`);
    }
    return serialized;
  }
  if (moduleFormat !== 'endoZipBase64') {
    return mismatch(bundleID, `a b1 ID requires moduleFormat "endoZipBase64", got ${JSON.stringify(moduleFormat)}`);
  }
  const { endoZipBase64, endoZipBase64Sha512 } = bundle as Record<string, unknown>;
  if (endoZipBase64Sha512 !== hash) {
    return mismatch(bundleID, `endoZipBase64Sha512 is ${JSON.stringify(endoZipBase64Sha512)}`);
  }
  if (typeof endoZipBase64 !== 'string') {
    return mismatch(bundleID, 'endoZipBase64 is not a string');
  }
  const zipBytes = Buffer.from(endoZipBase64, 'base64');
  // Better than trusting the claimed field: hash what will actually be stored.
  verifyEndoZip(zipBytes, hash, bundleID);
  return zipBytes;
}

function rebuildBundle(bundleID: string, parsed: ParsedBundleID, stored: StoredBundle): Bundle {
  if (parsed.version === 0) {
    const text = typeof stored === 'string' ? stored : stored.toString('utf8');
    return Object.freeze(JSON.parse(text) as Bundle);
  }
  const bytes = typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored;
  return Object.freeze({
    moduleFormat: 'endoZipBase64',
    endoZipBase64Sha512: parsed.hash,
    endoZipBase64: bytes.toString('base64'),
  });
}

const bytesOf = (stored: StoredBundle): Buffer =>
  typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored;

export function makeBundleStore(ctx: StoreContext): BundleStoreInternal {
  const { db, ensureTxn, noteExport } = ctx;

  db.exec(`
    CREATE TABLE IF NOT EXISTS bundles (
      bundleID TEXT,
      bundle BLOB,
      PRIMARY KEY (bundleID)
    )
  `);

  const sqlGet = db.prepare<[string], { bundle: StoredBundle | null }>('SELECT bundle FROM bundles WHERE bundleID = ?');
  const sqlInsert = db.prepare<[string, StoredBundle | null]>('INSERT INTO bundles (bundleID, bundle) VALUES (?, ?)');
  const sqlPopulate = db.prepare<[StoredBundle, string]>('UPDATE bundles SET bundle = ? WHERE bundleID = ?');
  const sqlDelete = db.prepare<[string]>('DELETE FROM bundles WHERE bundleID = ?');
  const sqlIDs = db.prepare<[], string>('SELECT bundleID FROM bundles ORDER BY bundleID').pluck();
  const sqlUnpopulatedIDs = db.prepare<[], string>(
    'SELECT bundleID FROM bundles WHERE bundle IS NULL ORDER BY bundleID',
  ).pluck();
  const sqlAll = db.prepare<[], { bundleID: string; bundle: StoredBundle | null }>(
    'SELECT bundleID, bundle FROM bundles ORDER BY bundleID',
  );

  /** The stored content, or a NO_BUNDLE error saying whether it is absent or unpopulated. */
  function storedBundle(bundleID: string): StoredBundle {
    const row = sqlGet.get(bundleID);
    if (!row) {
      return fail('NO_BUNDLE', `bundle ${JSON.stringify(bundleID)} not found`);
    }
    if (row.bundle === null) {
      return fail('NO_BUNDLE', `bundle ${JSON.stringify(bundleID)} is not populated (pruned or awaiting import)`);
    }
    return row.bundle;
  }

  // -------------------------------------------------------------- kernel

  function addBundle(bundleID: string, bundle: Bundle): void {
    const serialized = serializeBundle(bundleID, bundle);
    const row = sqlGet.get(bundleID);
    if (row && row.bundle !== null) {
      fail('DUPLICATE_RECORD', `bundle ${JSON.stringify(bundleID)} is already installed`);
    }
    ensureTxn();
    if (row) {
      sqlPopulate.run(serialized, bundleID); // verified content for a bare imported record
    } else {
      sqlInsert.run(bundleID, serialized);
    }
    noteExport(bundleName(bundleID), bundleID);
  }

  function hasBundle(bundleID: string): boolean {
    const row = sqlGet.get(bundleID);
    return row !== undefined && row.bundle !== null;
  }

  function getBundle(bundleID: string): Bundle {
    const parsed = parseBundleID(bundleID);
    return rebuildBundle(bundleID, parsed, storedBundle(bundleID));
  }

  function deleteBundle(bundleID: string): void {
    if (!hasBundle(bundleID)) return;
    ensureTxn();
    sqlDelete.run(bundleID);
    noteExport(bundleName(bundleID), undefined);
  }

  // -------------------------------------------------------------- export

  function* getExportRecords(): IterableIterator<[string, string]> {
    for (const bundleID of sqlIDs.all()) {
      yield [bundleName(bundleID), bundleID];
    }
  }

  function* getArtifactNames(): IterableIterator<string> {
    for (const bundleID of sqlIDs.all()) {
      yield bundleName(bundleID);
    }
  }

  function exportBundle(name: string): ByteChunks {
    // Look up now so a bad or missing name fails at the call.
    const bundleID = bundleIDFromName(name);
    const row = sqlGet.get(bundleID);
    if (!row || row.bundle === null) {
      return fail('MISSING_ARTIFACT', `bundle artifact ${JSON.stringify(name)} is not available`);
    }
    const bytes = bytesOf(row.bundle);
    return (async function* oneChunk() {
      yield bytes;
    })();
  }

  // -------------------------------------------------------------- import

  /** Validates a `bundle.<id>` -> `<id>` export-data entry and returns the id. */
  function bundleIDOfRecord(key: string, value: string): string {
    const bundleID = bundleIDFromName(key, 'export-data key');
    if (value !== bundleID) {
      fail('BAD_EXPORT_DATA', `bundle export-data key ${JSON.stringify(key)} has value ${JSON.stringify(value)}, expected ${JSON.stringify(bundleID)}`);
    }
    parseBundleID(bundleID);
    return bundleID;
  }

  function importBundleRecord(key: string, value: string): void {
    const bundleID = bundleIDOfRecord(key, value);
    if (sqlGet.get(bundleID)) {
      fail('DUPLICATE_RECORD', `bundle export-data key ${JSON.stringify(key)}: a record for it already exists`);
    }
    ensureTxn();
    sqlInsert.run(bundleID, null);
  }

  function repairBundleRecord(key: string, value: string): void {
    // Bundles have no metadata beyond their ID and are never historical, so
    // there is nothing to repair; a record we lack could never be completed
    // because repair fetches no artifacts.
    const bundleID = bundleIDOfRecord(key, value);
    if (!sqlGet.get(bundleID)) {
      fail('BAD_EXPORT_DATA', `repairBundleRecord: unexpected new bundle record ${JSON.stringify(key)}`);
    }
  }

  async function importBundle(name: string, artifact: ByteChunks): Promise<void> {
    const bundleID = bundleIDFromName(name);
    const parsed = parseBundleID(bundleID);
    if (!sqlGet.get(bundleID)) {
      fail('BAD_ARTIFACT_NAME', `bundle artifact ${JSON.stringify(name)} has no export-data record`);
    }
    const bytes = await collectBytes(artifact);
    let serialized: StoredBundle;
    if (parsed.version === 0) {
      let fields: unknown;
      try {
        fields = JSON.parse(bytes.toString('utf8'));
      } catch {
        return mismatch(bundleID, 'artifact is not JSON');
      }
      if (typeof fields !== 'object' || fields === null) {
        return mismatch(bundleID, 'artifact is not a JSON object');
      }
      const { moduleFormat, source, sourceMap } = fields as Record<string, unknown>;
      if (moduleFormat !== 'nestedEvaluate') {
        return mismatch(bundleID, `a b0 ID requires moduleFormat "nestedEvaluate", got ${JSON.stringify(moduleFormat)}`);
      }
      // Rebuilt from the known fields only, then re-hashed.
      serialized = serializeNestedEvaluate({ moduleFormat, source, sourceMap });
      const computed = b0IDOf(serialized);
      if (computed !== bundleID) {
        return mismatch(bundleID, `computed ID ${computed}`);
      }
    } else {
      verifyEndoZip(bytes, parsed.hash, bundleID);
      const bundle = Object.freeze({
        moduleFormat: 'endoZipBase64',
        endoZipBase64Sha512: parsed.hash,
        endoZipBase64: bytes.toString('base64'),
      });
      const checkBundle = await loadCheckBundle();
      try {
        await checkBundle(bundle, sha512Hex, bundleID);
      } catch (error) {
        if (error instanceof SwingStoreError) throw error;
        return mismatch(bundleID, `@endo/check-bundle rejected it: ${error instanceof Error ? error.message : String(error)}`);
      }
      serialized = bytes;
    }
    ensureTxn();
    sqlPopulate.run(serialized, bundleID);
  }

  function assertComplete(): void {
    const missing = sqlUnpopulatedIDs.all();
    if (missing.length > 0) {
      fail('INCOMPLETE', `missing bundles for: ${missing.join(',')}`);
    }
  }

  // --------------------------------------------------------------- debug

  function* getBundleIDs(): IterableIterator<string> {
    yield* sqlIDs.all();
  }

  /** bundleID -> base64 of the stored bytes (null while unpopulated). */
  function dumpBundles(): Record<string, unknown> {
    const dump: Record<string, string | null> = {};
    for (const { bundleID, bundle } of sqlAll.all()) {
      dump[bundleID] = bundle === null ? null : bytesOf(bundle).toString('base64');
    }
    return dump;
  }

  return Object.freeze({
    addBundle,
    hasBundle,
    getBundle,
    deleteBundle,
    getExportRecords,
    getArtifactNames,
    exportBundle,
    importBundleRecord,
    importBundle,
    repairBundleRecord,
    assertComplete,
    getBundleIDs,
    dumpBundles,
  });
}
