// Pure formats of snapshot export data and artifact names.
//
//   export-data key   snapshot.<vatID>.<snapPos>  -> {"vatID","snapPos","hash","inUse"}
//   pointer key       snapshot.<vatID>.current    -> "snapshot.<vatID>.<snapPos>" (plain string)
//   artifact name     snapshot.<vatID>.<snapPos>  (same text as the record key)
//
// The JSON key order and `inUse` as the number 1/0 are part of the consensus
// export data, so they are produced by one function and never by ad-hoc
// object literals.
import { fail } from './errors.js';

export interface SnapshotRecord {
  vatID: string;
  snapPos: number;
  hash: string;
  /** 1 = the vat's current snapshot, 0 = historical. */
  inUse: 0 | 1;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function snapshotName(vatID: string, snapPos: number): string {
  return `snapshot.${vatID}.${snapPos}`;
}

export function currentSnapshotKey(vatID: string): string {
  return `snapshot.${vatID}.current`;
}

export function encodeSnapshotRecord(rec: SnapshotRecord): string {
  // Build a fresh literal so the field order is fixed here, whatever the
  // caller's object looked like.
  const ordered: SnapshotRecord = {
    vatID: rec.vatID,
    snapPos: rec.snapPos,
    hash: rec.hash,
    inUse: rec.inUse,
  };
  return JSON.stringify(ordered);
}

/** Vat IDs become one dot-separated segment of keys, so they may not contain dots. */
export function assertVatID(vatID: unknown): asserts vatID is string {
  if (typeof vatID !== 'string' || vatID === '' || vatID.includes('.')) {
    fail('BAD_ARGUMENT', `invalid vatID ${JSON.stringify(vatID)}: must be a non-empty string without "."`);
  }
}

export function assertSnapPos(vatID: string, snapPos: unknown): asserts snapPos is number {
  if (typeof snapPos !== 'number' || !Number.isSafeInteger(snapPos) || snapPos < 0) {
    fail('BAD_ARGUMENT', `invalid snapPos ${String(snapPos)} for vat ${JSON.stringify(vatID)}: must be a non-negative integer`);
  }
}

export type ParsedSnapshotKey =
  | { kind: 'current'; vatID: string }
  | { kind: 'record'; vatID: string; snapPos: number };

/**
 * Splits `snapshot.<vatID>.<snapPos>` (or `.current` when allowed). Used for
 * both export-data keys and artifact names; `what` names which in errors.
 */
export function parseSnapshotKey(
  name: string,
  what: 'export-data key' | 'artifact name',
  allowCurrent: boolean,
): ParsedSnapshotKey {
  const code = what === 'artifact name' ? 'BAD_ARTIFACT_NAME' : 'BAD_EXPORT_DATA';
  const parts = name.split('.');
  const [tag, vatID, pos] = parts;
  if (parts.length !== 3 || tag !== 'snapshot' || !vatID || pos === undefined) {
    return fail(code, `snapshot ${what} ${JSON.stringify(name)} is not of the form "snapshot.<vatID>.<snapPos>"`);
  }
  if (pos === 'current') {
    if (!allowCurrent) {
      return fail(code, `snapshot ${what} ${JSON.stringify(name)} names a pointer, not a snapshot`);
    }
    return { kind: 'current', vatID };
  }
  const snapPos = Number(pos);
  if (!DECIMAL.test(pos) || !Number.isSafeInteger(snapPos)) {
    return fail(code, `snapshot ${what} ${JSON.stringify(name)} has a non-numeric snapPos ${JSON.stringify(pos)}`);
  }
  return { kind: 'record', vatID, snapPos };
}

/**
 * Validates a `snapshot.<vatID>.<snapPos>` export-data value against its key.
 * This is the parse boundary for untrusted export data, so every field is
 * checked and errors name the key.
 */
export function parseSnapshotRecord(key: string, value: string): SnapshotRecord {
  const parsedKey = parseSnapshotKey(key, 'export-data key', false);
  if (parsedKey.kind !== 'record') {
    return fail('BAD_EXPORT_DATA', `export-data key ${JSON.stringify(key)} is not a snapshot record key`);
  }
  const bad = (reason: string): never =>
    fail('BAD_EXPORT_DATA', `snapshot export-data key ${JSON.stringify(key)}: ${reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return bad(`value is not JSON: ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return bad('value is not a JSON object');
  }
  const { vatID, snapPos, hash, inUse } = parsed as Record<string, unknown>;
  if (vatID === undefined) bad('record is missing vatID');
  if (snapPos === undefined) bad('record is missing snapPos');
  if (hash === undefined) bad('record is missing hash');
  if (inUse === undefined) bad('record is missing inUse');
  if (vatID !== parsedKey.vatID) {
    bad(`record vatID ${JSON.stringify(vatID)} does not match the key`);
  }
  if (snapPos !== parsedKey.snapPos) {
    bad(`record snapPos ${JSON.stringify(snapPos)} does not match the key`);
  }
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    bad(`record hash ${JSON.stringify(hash)} is not a lowercase hex SHA-256`);
  }
  if (inUse !== 0 && inUse !== 1) {
    bad(`record inUse ${JSON.stringify(inUse)} must be 0 or 1`);
  }
  return {
    vatID: parsedKey.vatID,
    snapPos: parsedKey.snapPos,
    hash: hash as string,
    inUse: inUse as 0 | 1,
  };
}
