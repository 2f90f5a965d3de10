// Worker side of pipelined syscalls. Result-less syscalls (and console
// lines) are encoded when made and held; the next syscall that returns a
// value carries them to the kernel in one round trip, in order, and so does
// the delivery's reply. Pure: `sendQuery` is the only way out, so this runs
// unchanged inside XS and in unit tests.
import { isResultlessSyscall } from './protocol.js';
import type { VatSyscallObject, VatSyscallResult } from './types.js';

/** Flush early once this many bytes are queued, to bound message size. */
export const MAX_QUEUED_BYTES = 1_000_000;

export interface SyscallQueue {
  /** Make a syscall. Queued result-less ones report `['ok', null]` at once. */
  syscall(vso: VatSyscallObject): VatSyscallResult;
  /** Forward a console line (queued with the syscalls, in order). */
  console(source: string, level: string, args: string[]): void;
  /** Take everything queued, as the JSON text of an items array. */
  takeQueuedJSON(): string;
  setBatching(on: boolean): void;
  /** Round trips made so far (for benchmarks). */
  queryCount(): number;
}

/**
 * @param sendQuery synchronous round trip: takes the JSON text of a
 *   `['flush', items]` query, returns the JSON text of the answer.
 */
export function makeSyscallQueue(sendQuery: (queryJSON: string) => string): SyscallQueue {
  let batching = true;
  let parts: string[] = [];
  let queuedBytes = 0;
  let queries = 0;

  const takeQueuedJSON = (): string => {
    const text = `[${parts.join(',')}]`;
    parts = [];
    queuedBytes = 0;
    return text;
  };

  const flush = (): unknown => {
    queries += 1;
    const answer = sendQuery(`["flush",${takeQueuedJSON()}]`);
    return JSON.parse(answer);
  };

  const enqueue = (encodedItem: string): void => {
    parts.push(encodedItem);
    queuedBytes += encodedItem.length;
  };

  const syscall = (vso: VatSyscallObject): VatSyscallResult => {
    enqueue(JSON.stringify(['syscall', vso]));
    if (batching && isResultlessSyscall(vso[0])) {
      if (queuedBytes >= MAX_QUEUED_BYTES) {
        // The kernel answers for the last (result-less) item; batched
        // failures are remembered kernel-side, so the answer is not needed.
        flush();
      }
      return ['ok', null];
    }
    return flush() as VatSyscallResult;
  };

  const consoleLine = (source: string, level: string, args: string[]): void => {
    enqueue(JSON.stringify(['console', source, level, args]));
    if (!batching || queuedBytes >= MAX_QUEUED_BYTES) {
      flush();
    }
  };

  return {
    syscall,
    console: consoleLine,
    takeQueuedJSON,
    setBatching: on => {
      batching = on;
    },
    queryCount: () => queries,
  };
}
