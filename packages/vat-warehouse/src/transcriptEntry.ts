// The transcript entry format: one JSON text per transcript position.
//   { d: delivery, sc: [{ s: syscall, r: syscallResult }...], r: result }
// Real deliveries are vat-form VatDeliveryObjects. Four pseudo-deliveries
// mark worker life events; they are recorded but never sent to a worker.
import { fail } from './errors.js';
import type {
  DeliveryResult,
  VatDeliveryObject,
  VatSyscallObject,
  VatSyscallResult,
  WorkerOptions,
} from './workerTypes.js';

/** Payload of `initialize-worker`: the bundleID only, never the bundle. */
export interface InitializeWorkerPayload {
  source: { bundleID: string };
  workerOptions: WorkerOptions;
}

export type PseudoDelivery =
  | [tag: 'initialize-worker', payload: InitializeWorkerPayload]
  | [tag: 'save-snapshot']
  | [tag: 'load-snapshot', payload: { snapshotID: string }]
  | [tag: 'shutdown-worker'];

export type PseudoDeliveryType = PseudoDelivery[0];
export type TranscriptDelivery = VatDeliveryObject | PseudoDelivery;
export type TranscriptEntryType = TranscriptDelivery[0];

export interface RecordedSyscall {
  s: VatSyscallObject;
  r: VatSyscallResult;
}

/** The `r` of an entry. `snapshotID` only on save-snapshot. */
export interface TranscriptResult {
  status: 'ok' | 'error';
  snapshotID?: string;
  metering?: { computrons: number };
}

export interface TranscriptEntry {
  d: TranscriptDelivery;
  sc: RecordedSyscall[];
  r: TranscriptResult;
}

export const pseudoDeliveryTypes: readonly PseudoDeliveryType[] = [
  'initialize-worker',
  'save-snapshot',
  'load-snapshot',
  'shutdown-worker',
];

export const isPseudoDelivery = (d: TranscriptDelivery): d is PseudoDelivery =>
  (pseudoDeliveryTypes as readonly string[]).includes(d[0]);

export const entryType = (entry: TranscriptEntry): TranscriptEntryType => entry.d[0];

// ------------------------------------------------------------ constructors
// Property order is fixed here ({d, sc, r}; status first) because the
// stored text feeds the span hash.

export function makeInitializeWorkerEntry(bundleID: string, workerOptions: WorkerOptions): TranscriptEntry {
  return { d: ['initialize-worker', { source: { bundleID }, workerOptions }], sc: [], r: { status: 'ok' } };
}

export function makeSaveSnapshotEntry(snapshotID: string): TranscriptEntry {
  return { d: ['save-snapshot'], sc: [], r: { status: 'ok', snapshotID } };
}

export function makeLoadSnapshotEntry(snapshotID: string): TranscriptEntry {
  return { d: ['load-snapshot', { snapshotID }], sc: [], r: { status: 'ok' } };
}

export function makeShutdownWorkerEntry(): TranscriptEntry {
  return { d: ['shutdown-worker'], sc: [], r: { status: 'ok' } };
}

/** `r` for a real delivery: status, plus metering for an ok delivery that reported usage. */
export function transcriptResultFromDelivery(result: DeliveryResult): TranscriptResult {
  if (result.status === 'ok' && result.metering !== undefined) {
    return { status: 'ok', metering: { computrons: result.metering.computrons } };
  }
  return { status: result.status };
}

export function makeDeliveryEntry(
  delivery: VatDeliveryObject,
  syscalls: RecordedSyscall[],
  result: DeliveryResult,
): TranscriptEntry {
  return { d: delivery, sc: syscalls, r: transcriptResultFromDelivery(result) };
}

// ------------------------------------------------------- encode / decode

export function encodeTranscriptEntry(entry: TranscriptEntry): string {
  return JSON.stringify(entry);
}

/** Where an entry came from, for error messages. */
export interface EntryLocation {
  vatID: string;
  position: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isTaggedArray = (x: unknown): x is [string, ...unknown[]] =>
  Array.isArray(x) && x.length >= 1 && typeof x[0] === 'string';
const isResultTag = (x: unknown): boolean => x === 'ok' || x === 'error';

/** Checks a pseudo-delivery's payload; returns a reason, or undefined if fine. */
function pseudoDeliveryProblem(d: [string, ...unknown[]]): string | undefined {
  switch (d[0]) {
    case 'initialize-worker': {
      const payload = d[1];
      if (d.length !== 2 || !isRecord(payload)) return 'initialize-worker needs one payload record';
      const source = payload['source'];
      if (!isRecord(source) || typeof source['bundleID'] !== 'string') {
        return 'initialize-worker payload needs source.bundleID (a string)';
      }
      const options = payload['workerOptions'];
      if (!isRecord(options) || typeof options['type'] !== 'string') {
        return 'initialize-worker payload needs workerOptions with a type';
      }
      return undefined;
    }
    case 'load-snapshot': {
      const payload = d[1];
      if (d.length !== 2 || !isRecord(payload) || typeof payload['snapshotID'] !== 'string') {
        return 'load-snapshot needs a payload { snapshotID: string }';
      }
      return undefined;
    }
    case 'save-snapshot':
    case 'shutdown-worker':
      return d.length === 1 ? undefined : `${d[0]} takes no payload`;
    default:
      return undefined;
  }
}

/**
 * Parses and shape-checks one stored entry. This is the parse boundary: the
 * vat-form payloads inside `d` and `sc` are checked only for their tags, as
 * the worker and the comparator treat them as opaque data.
 */
export function decodeTranscriptEntry(text: string, where: EntryLocation): TranscriptEntry {
  const bad = (reason: string): never =>
    fail('BAD_TRANSCRIPT_ENTRY', `transcript entry ${where.vatID} #${where.position}: ${reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (!isRecord(parsed)) return bad('not a JSON object');
  const { d, sc, r } = parsed;
  if (!isTaggedArray(d)) return bad('"d" must be an array starting with a type string');
  const problem = pseudoDeliveryProblem(d);
  if (problem !== undefined) bad(problem);
  if (!Array.isArray(sc)) return bad('"sc" must be an array');
  sc.forEach((call: unknown, i) => {
    if (!isRecord(call) || !isTaggedArray(call['s'])) bad(`sc[${i}].s must be a tagged syscall array`);
    const result = (call as Record<string, unknown>)['r'];
    if (!Array.isArray(result) || !isResultTag(result[0])) bad(`sc[${i}].r must be ['ok'|'error', ...]`);
  });
  if (!isRecord(r) || !isResultTag(r['status'])) return bad('"r" must be a record with status "ok" or "error"');
  // Shapes checked above; the vat-form contents pass through unchanged.
  return parsed as unknown as TranscriptEntry;
}
