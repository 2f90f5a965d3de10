// Replay mode, worker side: answer a replayed delivery's syscalls from the
// results they got when the delivery first ran, by position, and keep the
// syscalls the vat actually makes. The kernel side compares those with the
// record afterwards (vat-warehouse), so nothing here checks them.
//
// The answers follow the live path exactly (deliveryPipeline.ts and the
// syscall queue), so a replayed vat sees what it saw the first time:
// - a result-less syscall answers ['ok', null] when batching is on (it was
//   queued), else its recorded result;
// - a value syscall answers its recorded result;
// - once a result-less syscall's recorded result is an error, the delivery
//   is doomed: later syscalls never reached the kernel (they are not
//   reported) and value syscalls answer "delivery already failed: ...".
// Pure: shared by the XS supervisor and the local worker.
import { isResultlessSyscall } from './protocol.js';
import type { VatSyscallObject, VatSyscallResult } from './types.js';

export interface RecordedAnswers {
  /** Answer one syscall the vat makes. */
  syscall(vso: VatSyscallObject): VatSyscallResult;
  /** The syscalls that reached the "kernel", in order. */
  readonly made: VatSyscallObject[];
  /** `syscall.<type> failed: <message>` once the delivery is doomed. */
  readonly failure: string | undefined;
}

export function makeRecordedAnswers(results: readonly VatSyscallResult[], batching: boolean): RecordedAnswers {
  const made: VatSyscallObject[] = [];
  let failure: string | undefined;

  const syscall = (vso: VatSyscallObject): VatSyscallResult => {
    const resultless = isResultlessSyscall(vso[0]);
    if (failure !== undefined) {
      return resultless && batching ? ['ok', null] : ['error', `delivery already failed: ${failure}`];
    }
    const index = made.length;
    made.push(vso);
    // Past the record: the kernel side reports an 'extra' divergence.
    const recorded: VatSyscallResult = results[index] ?? ['error', `replay has no recorded syscall at sc${index}`];
    if (recorded[0] === 'error' && resultless) {
      failure = `syscall.${vso[0]} failed: ${recorded[1]}`;
    }
    return resultless && batching ? ['ok', null] : recorded;
  };

  return {
    syscall,
    made,
    get failure() {
      return failure;
    },
  };
}
