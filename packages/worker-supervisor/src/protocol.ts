// The kernel <-> supervisor message protocol (see docs/worker-protocol.md).
// Pure: shared by the supervisor bundle (inside XS) and the kernel side.
// Every message is UTF-8 JSON of a tagged array.
import type {
  LiveSlotsOptions,
  VatBundle,
  VatDeliveryObject,
  VatSyscallObject,
  VatSyscallResult,
  VatSyscallType,
} from './types.js';

/**
 * Syscalls whose result the vat never looks at. The worker may queue these
 * and send them later, in order, with the next syscall that returns a value
 * or with the delivery's reply.
 */
export const RESULTLESS_SYSCALLS: readonly VatSyscallType[] = [
  'send',
  'resolve',
  'subscribe',
  'exit',
  'dropImports',
  'retireImports',
  'retireExports',
  'abandonExports',
  'vatstoreSet',
  'vatstoreDelete',
];
/** Syscalls the vat waits on: each one flushes the queue ahead of it. */
export const VALUE_SYSCALLS: readonly VatSyscallType[] = ['vatstoreGet', 'vatstoreGetNextKey', 'callNow'];

export const isResultlessSyscall = (type: string): boolean =>
  (RESULTLESS_SYSCALLS as readonly string[]).includes(type);

/** An item the worker sends up: a syscall, or a line of console output. */
export type QueuedItem =
  | [tag: 'syscall', vso: VatSyscallObject]
  | [tag: 'console', source: string, level: string, args: string[]];

/** Per-delivery settings the kernel side sends with each delivery. */
export interface DeliverySettings {
  /** Compute limit for this delivery in XS meter units; 0 = unlimited. */
  computeLimit: number;
  /** Queue result-less syscalls (true) or send each at once (false). */
  batchSyscalls: boolean;
}

/** A delivery to replay and the recorded results of its syscalls, in order. */
export type ReplayCommandItem = [delivery: VatDeliveryObject, results: VatSyscallResult[]];

/** Kernel -> worker commands (xsnap `?` commands, answered by `handleCommand`). */
export type WorkerCommand =
  | [tag: 'growHeap', slots: number]
  | [tag: 'setBundle', vatID: string, vatBundle: VatBundle, options: LiveSlotsOptions]
  | [tag: 'deliver', delivery: VatDeliveryObject, settings: DeliverySettings]
  | [tag: 'replay', items: ReplayCommandItem[], settings: DeliverySettings];

export type DeliveryOutcome = [tag: 'ok'] | [tag: 'error', message: string];

/**
 * The worker's report on one replayed delivery: the syscalls that reached
 * the (recorded) kernel, the outcome (a doomed delivery reports its failed
 * syscall), and the computrons it used.
 */
export type ReplayReport = [syscalls: VatSyscallObject[], outcome: DeliveryOutcome, computrons: number];

/** Worker -> kernel answers to a command; each carries the flushed queue. */
export type CommandReply =
  | [tag: 'ready', items: QueuedItem[]]
  | [tag: 'delivered', items: QueuedItem[], outcome: DeliveryOutcome]
  | [tag: 'replayed', items: QueuedItem[], reports: ReplayReport[]]
  | [tag: 'failed', items: QueuedItem[], message: string];

/**
 * Worker -> kernel query (the worker's synchronous `issueCommand`): send the
 * queued items in order. The answer is the VatSyscallResult of the last item
 * when that item is a syscall, else `['ok', null]`.
 */
export type WorkerQuery = [tag: 'flush', items: QueuedItem[]];

// ------------------------------------------------------------ validation
// The kernel side parses what the worker sends: everything is `unknown`
// until checked here.

const isString = (x: unknown): x is string => typeof x === 'string';
const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every(isString);
const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

export const isCapData = (x: unknown): boolean =>
  isRecord(x) && isString(x['body']) && isStringArray(x['slots']);

const isMessage = (x: unknown): boolean =>
  isRecord(x) &&
  isCapData(x['methargs']) &&
  (x['result'] === undefined || x['result'] === null || isString(x['result']));

const isResolutions = (x: unknown): boolean =>
  Array.isArray(x) &&
  x.every(
    r => Array.isArray(r) && r.length === 3 && isString(r[0]) && typeof r[1] === 'boolean' && isCapData(r[2]),
  );

/** Returns a reason string when `x` is not a VatSyscallObject, else undefined. */
export function checkVatSyscallObject(x: unknown): string | undefined {
  if (!Array.isArray(x) || x.length === 0 || !isString(x[0])) {
    return 'syscall must be a tagged array';
  }
  const [tag, ...args] = x as [string, ...unknown[]];
  const ok = ((): boolean => {
    switch (tag) {
      case 'send':
        return args.length === 2 && isString(args[0]) && isMessage(args[1]);
      case 'callNow':
        return args.length === 3 && isString(args[0]) && isString(args[1]) && isCapData(args[2]);
      case 'subscribe':
      case 'vatstoreGet':
      case 'vatstoreGetNextKey':
      case 'vatstoreDelete':
        return args.length === 1 && isString(args[0]);
      case 'resolve':
        return args.length === 1 && isResolutions(args[0]);
      case 'exit':
        return args.length === 2 && typeof args[0] === 'boolean' && isCapData(args[1]);
      case 'vatstoreSet':
        return args.length === 2 && isString(args[0]) && isString(args[1]);
      case 'dropImports':
      case 'retireImports':
      case 'retireExports':
      case 'abandonExports':
        return args.length === 1 && isStringArray(args[0]);
      default:
        return false;
    }
  })();
  return ok ? undefined : `malformed syscall ${JSON.stringify(tag)}`;
}

/** Returns a reason string when `x` is not a QueuedItem, else undefined. */
export function checkQueuedItem(x: unknown): string | undefined {
  if (!Array.isArray(x) || x.length === 0) {
    return 'queued item must be a tagged array';
  }
  if (x[0] === 'syscall' && x.length === 2) {
    return checkVatSyscallObject(x[1]);
  }
  if (x[0] === 'console' && x.length === 4 && isString(x[1]) && isString(x[2]) && isStringArray(x[3])) {
    return undefined;
  }
  return `unknown queued item ${JSON.stringify(x[0])}`;
}

const checkItems = (x: unknown): string | undefined => {
  if (!Array.isArray(x)) {
    return 'items must be an array';
  }
  for (const item of x) {
    const problem = checkQueuedItem(item);
    if (problem !== undefined) {
      return problem;
    }
  }
  return undefined;
};

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

const parseJSON = (text: string): ParseResult<unknown> => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, problem: `not JSON: ${(err as Error).message}` };
  }
};

/** Parse and check a worker query (the kernel side of `issueCommand`). */
export function parseWorkerQuery(text: string): ParseResult<WorkerQuery> {
  const parsed = parseJSON(text);
  if (!parsed.ok) return parsed;
  const x = parsed.value;
  if (!Array.isArray(x) || x[0] !== 'flush' || x.length !== 2) {
    return { ok: false, problem: 'query must be ["flush", items]' };
  }
  const problem = checkItems(x[1]);
  return problem === undefined ? { ok: true, value: x as WorkerQuery } : { ok: false, problem };
}

const isOutcome = (x: unknown): x is DeliveryOutcome =>
  Array.isArray(x) &&
  ((x.length === 1 && x[0] === 'ok') || (x.length === 2 && x[0] === 'error' && isString(x[1])));

/** Returns a reason string when `x` is not a list of ReplayReports, else undefined. */
function checkReplayReports(x: unknown): string | undefined {
  if (!Array.isArray(x)) return 'replay reports must be an array';
  for (const [i, report] of x.entries()) {
    if (!Array.isArray(report) || report.length !== 3 || !Array.isArray(report[0])) {
      return `replay report ${i} must be [syscalls, outcome, computrons]`;
    }
    for (const vso of report[0] as unknown[]) {
      const problem = checkVatSyscallObject(vso);
      if (problem !== undefined) return `replay report ${i}: ${problem}`;
    }
    if (!isOutcome(report[1])) return `replay report ${i}: malformed outcome`;
    if (!Number.isSafeInteger(report[2]) || (report[2] as number) < 0) {
      return `replay report ${i}: computrons must be a non-negative integer`;
    }
  }
  return undefined;
}

/** Parse and check a worker's answer to a command. */
export function parseCommandReply(text: string): ParseResult<CommandReply> {
  const parsed = parseJSON(text);
  if (!parsed.ok) return parsed;
  const x = parsed.value;
  if (!Array.isArray(x) || !isString(x[0])) {
    return { ok: false, problem: 'reply must be a tagged array' };
  }
  const itemsProblem = checkItems(x[1]);
  if (itemsProblem !== undefined) {
    return { ok: false, problem: itemsProblem };
  }
  switch (x[0]) {
    case 'ready':
      if (x.length === 2) return { ok: true, value: x as CommandReply };
      break;
    case 'failed':
      if (x.length === 3 && isString(x[2])) return { ok: true, value: x as CommandReply };
      break;
    case 'delivered':
      if (x.length === 3 && isOutcome(x[2])) return { ok: true, value: x as CommandReply };
      break;
    case 'replayed': {
      if (x.length !== 3) break;
      const problem = checkReplayReports(x[2]);
      if (problem !== undefined) return { ok: false, problem };
      return { ok: true, value: x as CommandReply };
    }
    default:
      break;
  }
  return { ok: false, problem: `malformed reply ${JSON.stringify(x[0])}` };
}

/** Check a syscall result produced by the kernel's handler. */
export function checkVatSyscallResult(x: unknown): x is VatSyscallResult {
  if (!Array.isArray(x) || x.length !== 2) return false;
  if (x[0] === 'error') return isString(x[1]);
  if (x[0] !== 'ok') return false;
  const data: unknown = x[1];
  return data === null || isString(data) || isStringArray(data) || isCapData(data);
}

/** A short human label for a delivery, used in error messages. */
export function describeDelivery(delivery: VatDeliveryObject): string {
  switch (delivery[0]) {
    case 'message': {
      const [, target, msg] = delivery;
      const method = methodOf(msg.methargs.body);
      return `message to ${target}${method === undefined ? '' : `.${method}`}`;
    }
    case 'notify':
      return `notify ${delivery[1].map(r => r[0]).join(',')}`;
    case 'dropExports':
    case 'retireExports':
    case 'retireImports':
      return `${delivery[0]} ${delivery[1].join(',')}`;
    default:
      return delivery[0];
  }
}

// Method names are the first element of the methargs array; smallcaps
// bodies start with '#', and a plain string method is JSON-encoded.
function methodOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.startsWith('#') ? body.slice(1) : body);
    if (Array.isArray(parsed) && isString(parsed[0])) {
      return parsed[0];
    }
  } catch {
    // a label is best-effort
  }
  return undefined;
}
