// Pure formats of transcript spans: export-data keys and JSON records,
// artifact names, and the newline-delimited artifact byte stream.
import { fail } from './errors.js';

/** A span as it appears in export data (`isCurrent` as 1/0, not 1/NULL). */
export interface SpanRecord {
  vatID: string;
  startPos: number;
  endPos: number;
  hash: string;
  isCurrent: 0 | 1;
  incarnation: number;
}

/** JSON with the fixed field order vatID, startPos, endPos, hash, isCurrent, incarnation. */
export function spanRecordJSON(rec: SpanRecord): string {
  const { vatID, startPos, endPos, hash, isCurrent, incarnation } = rec;
  return JSON.stringify({ vatID, startPos, endPos, hash, isCurrent, incarnation });
}

/** `transcript.<vatID>.current` for the current span, else `transcript.<vatID>.<startPos>`. */
export function spanExportKey(vatID: string, startPos: number, isCurrent: boolean): string {
  return isCurrent ? `transcript.${vatID}.current` : `transcript.${vatID}.${startPos}`;
}

export function spanArtifactName(vatID: string, startPos: number, endPos: number): string {
  return `transcript.${vatID}.${startPos}.${endPos}`;
}

const positionPattern = /^(0|[1-9][0-9]*)$/;

function parsePosition(text: string | undefined): number | undefined {
  if (text === undefined || !positionPattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseSpanArtifactName(name: string): { vatID: string; startPos: number; endPos: number } {
  if (typeof name !== 'string') fail('BAD_ARTIFACT_NAME', 'transcript artifact name must be a string');
  const parts = name.split('.');
  const [tag, vatID, rawStart, rawEnd] = parts;
  const startPos = parsePosition(rawStart);
  const endPos = parsePosition(rawEnd);
  if (
    parts.length !== 4 ||
    tag !== 'transcript' ||
    !vatID ||
    startPos === undefined ||
    endPos === undefined ||
    endPos < startPos
  ) {
    return fail(
      'BAD_ARTIFACT_NAME',
      `expected a transcript artifact name "transcript.<vatID>.<startPos>.<endPos>", got ${JSON.stringify(name)}`,
    );
  }
  return { vatID, startPos, endPos };
}

export function parseSpanExportKey(key: string): { vatID: string; startPos: number | 'current' } {
  const parts = key.split('.');
  const [tag, vatID, rawPos] = parts;
  const startPos = rawPos === 'current' ? 'current' : parsePosition(rawPos);
  if (parts.length !== 3 || tag !== 'transcript' || !vatID || startPos === undefined) {
    return fail(
      'BAD_EXPORT_DATA',
      `expected a transcript export key "transcript.<vatID>.current" or "transcript.<vatID>.<startPos>", got ${JSON.stringify(key)}`,
    );
  }
  return { vatID, startPos };
}

const isNonNegativeInteger = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Validates an export-data entry for a span: the value must be a complete
 * record and must agree with its key (vatID, startPos, current-ness).
 */
export function parseSpanRecord(key: string, value: string): SpanRecord {
  const keyParts = parseSpanExportKey(key);
  const bad = (why: string): never =>
    fail('BAD_EXPORT_DATA', `transcript export record ${JSON.stringify(key)}: ${why} (value ${value})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return bad('value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) return bad('value is not an object');
  const { vatID, startPos, endPos, hash, isCurrent, incarnation } = parsed as Record<string, unknown>;
  if (typeof vatID !== 'string' || !vatID) bad('missing vatID');
  if (!isNonNegativeInteger(startPos)) return bad('missing or invalid startPos');
  if (!isNonNegativeInteger(endPos) || endPos < startPos) return bad('missing or invalid endPos');
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return bad('missing or invalid hash');
  if (isCurrent !== 0 && isCurrent !== 1 && isCurrent !== true && isCurrent !== false) {
    return bad('missing or invalid isCurrent');
  }
  if (!isNonNegativeInteger(incarnation)) return bad('missing or invalid incarnation');
  const current = isCurrent === 1 || isCurrent === true;
  if (keyParts.vatID !== vatID) bad('key vatID does not match the record');
  if ((keyParts.startPos === 'current') !== current) bad('key current-ness does not match isCurrent');
  if (keyParts.startPos !== 'current' && keyParts.startPos !== startPos) {
    bad('key startPos does not match the record');
  }
  return { vatID: vatID as string, startPos, endPos, hash, isCurrent: current ? 1 : 0, incarnation };
}

/** Artifact bytes of one item: the item followed by a newline. */
export function encodeSpanItem(item: string): Buffer {
  return Buffer.from(`${item}\n`, 'utf8');
}

/**
 * Splits an artifact byte stream into items at "\n". Lines are decoded only
 * once complete, so multi-byte characters may straddle chunk boundaries. A
 * final line without a newline is still yielded.
 */
export async function* splitSpanItems(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<string> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
    let newline = buf.indexOf(0x0a);
    while (newline >= 0) {
      yield buf.toString('utf8', 0, newline);
      buf = buf.subarray(newline + 1);
      newline = buf.indexOf(0x0a);
    }
    // Copy so the (possibly large) source chunk can be released.
    pending = Buffer.from(buf);
  }
  if (pending.length > 0) yield pending.toString('utf8');
}
