// The slog: a JSON-lines stream of structured kernel events, in SwingSet's
// shapes (see docs and the reference fact sheet §7). Time stamps are added
// here, to the emitted record only; nothing from this module is ever
// written to kernel state, so the clock cannot affect consensus.
import fs from 'node:fs';
import path from 'node:path';

/** Any slog event: a `type` plus event-specific fields. */
export interface SlogEvent {
  type: string;
  [field: string]: unknown;
}

/** What leaves the slogger: the event plus wall and monotonic seconds. */
export type SlogRecord = SlogEvent & { time: number; monotime: number };

export type SlogSender = (record: SlogRecord) => void;

/** Seconds, for the two stamps. Injectable so tests are repeatable. */
export interface SlogClock {
  wallSeconds(): number;
  monoSeconds(): number;
}

export const systemClock: SlogClock = {
  wallSeconds: () => Date.now() / 1000,
  monoSeconds: () => performance.now() / 1000,
};

export interface SloggerOptions {
  /** Append JSON lines to this file (created with its directory if missing). */
  slogFile?: string;
  /** Receive every record as an object. */
  slogSender?: SlogSender;
  clock?: SlogClock;
  /** Buffered bytes that force a write to `slogFile` (default 64 KiB). */
  flushThreshold?: number;
}

/** Ends a duration: emits the end event with the start props, the finish props and `seconds`. */
export type FinishDuration = (finishProps?: Record<string, unknown>) => void;

export interface Slogger {
  /** True when someone listens; callers may skip building costly events otherwise. */
  readonly enabled: boolean;
  write(event: SlogEvent): void;
  /**
   * Emit `labels[0]` now with `props`; the returned function emits
   * `labels[1]`. A finish prop set to undefined removes that field.
   */
  startDuration(labels: readonly [start: string, finish: string], props?: Record<string, unknown>): FinishDuration;
  /** Push buffered lines to the file. */
  flush(): void;
  /** Flush and close the file; later writes are refused. */
  close(): void;
}

export class SlogError extends Error {
  readonly code: 'SLOG_CLOSED' | 'SLOG_FILE';
  constructor(code: SlogError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlogError';
    this.code = code;
  }
}

/**
 * JSON text of one record. BigInts (computrons) become numbers when exact,
 * else decimal strings; undefined fields are dropped, as JSON does.
 */
export function serializeSlogRecord(record: SlogRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') {
      const asNumber = Number(value);
      return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
    }
    return value;
  });
}

/** The end-event fields: start props overlaid by finish props, undefined ones removed. */
export function mergeFinishProps(
  startProps: Record<string, unknown>,
  finishProps: Record<string, unknown>,
  seconds: number,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...startProps };
  for (const [key, value] of Object.entries(finishProps)) {
    if (value === undefined) {
      delete merged[key];
    } else {
      merged[key] = value;
    }
  }
  merged.seconds = seconds;
  return merged;
}

const openSlogFile = (slogFile: string): number => {
  try {
    fs.mkdirSync(path.dirname(path.resolve(slogFile)), { recursive: true });
    return fs.openSync(slogFile, 'a');
  } catch (err) {
    throw new SlogError('SLOG_FILE', `cannot open slog file ${slogFile}: ${(err as Error).message}`, { cause: err });
  }
};

/** A slogger writing to a file and/or a callback; with neither it is a no-op. */
export function makeSlogger(options: SloggerOptions = {}): Slogger {
  const { slogFile, slogSender, clock = systemClock, flushThreshold = 64 * 1024 } = options;
  let fd: number | undefined = slogFile === undefined ? undefined : openSlogFile(slogFile);
  let pending: string[] = [];
  let pendingBytes = 0;
  let closed = false;
  const enabled = fd !== undefined || slogSender !== undefined;

  const flush = (): void => {
    if (fd === undefined || pending.length === 0) return;
    fs.writeSync(fd, pending.join(''));
    pending = [];
    pendingBytes = 0;
  };

  const write = (event: SlogEvent): void => {
    if (closed) {
      throw new SlogError('SLOG_CLOSED', `slog event ${event.type} written after close`);
    }
    if (!enabled) return;
    const record: SlogRecord = { ...event, time: clock.wallSeconds(), monotime: clock.monoSeconds() };
    if (slogSender !== undefined) slogSender(record);
    if (fd !== undefined) {
      const line = `${serializeSlogRecord(record)}\n`;
      pending.push(line);
      pendingBytes += line.length;
      // Crank boundaries are a natural place to make the file current.
      if (pendingBytes >= flushThreshold || event.type === 'crank-finish') flush();
    }
  };

  const startDuration = (
    labels: readonly [string, string],
    props: Record<string, unknown> = {},
  ): FinishDuration => {
    const started = clock.monoSeconds();
    write({ ...props, type: labels[0] });
    let finished = false;
    return (finishProps = {}) => {
      if (finished) return;
      finished = true;
      const seconds = clock.monoSeconds() - started;
      write({ ...mergeFinishProps(props, finishProps, seconds), type: labels[1] });
    };
  };

  const close = (): void => {
    if (closed) return;
    flush();
    closed = true;
    if (fd !== undefined) {
      fs.closeSync(fd);
      fd = undefined;
    }
  };

  return { enabled, write, startDuration, flush, close };
}

// ------------------------------------------------------------ event shapes
// Builders for the events the kernel itself emits, so every producer uses
// the reference's field names. Warehouse events (deliver, syscall, replay,
// heap snapshots) are shaped by @crankshaft/vat-warehouse.

export type CrankType = 'routing' | 'delivery';

/** Props for `startDuration(['crank-start', 'crank-finish'], ...)`. */
export const crankStartProps = (
  crankType: CrankType,
  crankNum: number,
  message: { type: string },
): Record<string, unknown> => ({
  crankType,
  crankNum,
  messageType: message.type,
  message,
});

/** Finish props for a crank; the (possibly large) message is not repeated. */
export const crankFinishProps = (crankhash: string, activityhash: string): Record<string, unknown> => ({
  crankhash,
  activityhash,
  message: undefined,
});

export interface CreateVatEventFields {
  vatID: string;
  dynamic: boolean;
  description: string;
  name: string | undefined;
  managerType: string;
  vatParameters: unknown;
  vatSourceBundle: unknown;
}

export const createVatEvent = (fields: CreateVatEventFields): SlogEvent => ({ type: 'create-vat', ...fields });

export type ClistMode = 'import' | 'export' | 'drop';

export const clistEvent = (crankNum: number, mode: ClistMode, vatID: string, kobj: string, vobj: string): SlogEvent => ({
  type: 'clist',
  crankNum,
  mode,
  vatID,
  kobj,
  vobj,
});

export const terminateEvent = (vatID: string, shouldReject: boolean, info: unknown): SlogEvent => ({
  type: 'terminate',
  vatID,
  shouldReject,
  info,
});

export const vatCleanupEvent = (vatID: string, work: Record<string, number>, seconds: number): SlogEvent => {
  const nonZero: Record<string, number> = {};
  for (const [phase, count] of Object.entries(work)) {
    if (count !== 0) nonZero[phase] = count;
  }
  return { type: 'vat-cleanup', vatID, work: nonZero, seconds };
};

export const vatCleanupCompleteEvent = (vatID: string): SlogEvent => ({ type: 'vat-cleanup-complete', vatID });

export const hostConsoleEvent = (source: 'kernel' | 'controller', level: string, args: unknown[]): SlogEvent => ({
  type: 'console',
  source,
  level,
  args,
});
