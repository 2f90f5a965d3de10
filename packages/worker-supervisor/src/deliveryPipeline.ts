// Kernel side of one delivery: feed the items a worker sends up (syscalls
// and console lines, in the order the vat made them) to the kernel's
// syscall handler, and remember whether the delivery is doomed.
//
// Why remember: a queued syscall was "answered" ['ok', null] in the worker
// at once, so when the kernel rejects it the vat has already moved on. As
// in SwingSet, a rejected result-less syscall ends the delivery: from then
// on nothing more of this delivery reaches the handler (the kernel rolls the
// crank back and terminates the vat anyway), later syscalls are answered
// with an error, and the delivery result becomes `error`. The same happens
// with batching off, so both modes report identically.
import { WorkerError } from './errors.js';
import { checkVatSyscallResult, isResultlessSyscall, type QueuedItem } from './protocol.js';
import type { VatSyscallHandler, VatSyscallObject, VatSyscallResult } from './types.js';

export interface SyscallFailure {
  syscall: VatSyscallObject;
  /** The kernel's error text. */
  message: string;
}

export interface DeliveryPipeline {
  /** Process items in order; returns the result for the last item. */
  processItems(items: readonly QueuedItem[]): VatSyscallResult;
  /** The first rejected result-less syscall, if any. */
  failure(): SyscallFailure | undefined;
  /** Set when the kernel's handler threw or answered nonsense (a kernel bug). */
  handlerError(): WorkerError | undefined;
  /** Syscalls handed to the kernel so far. */
  syscallCount(): number;
}

export type ConsoleItemSink = (source: string, level: string, args: string[]) => void;

export function makeDeliveryPipeline(handler: VatSyscallHandler, onConsole: ConsoleItemSink): DeliveryPipeline {
  let failure: SyscallFailure | undefined;
  let handlerError: WorkerError | undefined;
  let count = 0;

  const doomedResult = (): VatSyscallResult => [
    'error',
    `delivery already failed: ${failure ? `syscall.${failure.syscall[0]} failed: ${failure.message}` : 'kernel syscall handler failed'}`,
  ];

  const runSyscall = (vso: VatSyscallObject): VatSyscallResult => {
    if (failure !== undefined || handlerError !== undefined) {
      return doomedResult();
    }
    count += 1;
    let result: unknown;
    try {
      result = handler(vso);
    } catch (err) {
      handlerError = new WorkerError('SYSCALL_HANDLER', `syscall handler threw on ${vso[0]}: ${String(err)}`, {
        cause: err,
      });
      return doomedResult();
    }
    // The kernel normalises undefined to null (transcripts are JSON).
    const normalised = Array.isArray(result) && result[0] === 'ok' && result[1] === undefined ? ['ok', null] : result;
    if (!checkVatSyscallResult(normalised)) {
      handlerError = new WorkerError(
        'SYSCALL_HANDLER',
        `syscall handler returned a malformed result for ${vso[0]}: ${JSON.stringify(result)}`,
      );
      return doomedResult();
    }
    if (normalised[0] === 'error' && isResultlessSyscall(vso[0])) {
      failure = { syscall: vso, message: normalised[1] };
    }
    return normalised;
  };

  const processItems = (items: readonly QueuedItem[]): VatSyscallResult => {
    let last: VatSyscallResult = ['ok', null];
    for (const item of items) {
      if (item[0] === 'console') {
        onConsole(item[1], item[2], item[3]);
        last = ['ok', null];
      } else {
        last = runSyscall(item[1]);
      }
    }
    return last;
  };

  return {
    processItems,
    failure: () => failure,
    handlerError: () => handlerError,
    syscallCount: () => count,
  };
}

/** The error text a doomed delivery reports (matches the vat-side throw). */
export const describeSyscallFailure = (failure: SyscallFailure): string =>
  `syscall.${failure.syscall[0]} failed: ${failure.message}`;
