// Replay's stand-in for the kernel: each syscall a replayed delivery makes
// is compared (canonical JSON) with the one recorded at that index, and the
// recorded result is returned; nothing is executed. The first difference is
// kept (sticky) and reported as a ReplayDivergenceError.
import { canonicalJSON } from './canonicalJSON.js';
import { ReplayDivergenceError, type DivergenceDetails, type DivergenceKind } from './errors.js';
import type { RecordedSyscall } from './transcriptEntry.js';
import type { VatSyscallObject, VatSyscallResult } from './workerTypes.js';

const describe = (syscall: VatSyscallObject | undefined): string =>
  syscall === undefined ? '(none)' : canonicalJSON(syscall);

/** The message: the reference's first line, then expected vs actual. */
export function divergenceMessage(details: DivergenceDetails): string {
  const { kind, vatID, deliveryNum, syscallIndex, expected, actual } = details;
  return [
    `anachrophobia in ${vatID} delivery d${deliveryNum}: ${kind} syscall at index sc${syscallIndex}`,
    `  expected: ${describe(expected)}`,
    `  actual:   ${describe(actual)}`,
  ].join('\n');
}

export function makeDivergenceError(details: DivergenceDetails): ReplayDivergenceError {
  return new ReplayDivergenceError(details, divergenceMessage(details));
}

/**
 * Pure comparison of one syscall against the recording. Returns the
 * divergence kind, or undefined when they match.
 */
export function compareSyscall(
  recorded: RecordedSyscall | undefined,
  actual: VatSyscallObject,
): Exclude<DivergenceKind, 'missing'> | undefined {
  if (recorded === undefined) return 'extra';
  // Identical JSON text means identical structure (key order included), so
  // the canonical forms are equal too; only a difference needs sorting.
  if (JSON.stringify(recorded.s) === JSON.stringify(actual)) return undefined;
  return canonicalJSON(recorded.s) === canonicalJSON(actual) ? undefined : 'wrong';
}

export interface SyscallSimulator {
  /** Give this to the worker for the replayed delivery. */
  syscallHandler(vso: VatSyscallObject): VatSyscallResult;
  /**
   * Call after the delivery: notices missing syscalls and returns the
   * first divergence, if any (it does not throw).
   */
  finish(): ReplayDivergenceError | undefined;
  /** The first divergence seen so far. */
  readonly failure: ReplayDivergenceError | undefined;
}

export function makeSyscallSimulator(
  vatID: string,
  deliveryNum: number,
  recorded: readonly RecordedSyscall[],
): SyscallSimulator {
  let index = 0;
  let failure: ReplayDivergenceError | undefined;

  const diverge = (
    kind: DivergenceKind,
    syscallIndex: number,
    expected: VatSyscallObject | undefined,
    actual: VatSyscallObject | undefined,
  ): ReplayDivergenceError => {
    failure ??= makeDivergenceError({ kind, vatID, deliveryNum, syscallIndex, expected, actual });
    return failure;
  };

  return {
    syscallHandler(vso) {
      // Once diverged, every later syscall fails too: the state is suspect.
      if (failure) throw failure;
      const here = recorded[index];
      const kind = compareSyscall(here, vso);
      if (kind !== undefined) throw diverge(kind, index, here?.s, vso);
      index += 1;
      // here is defined: compareSyscall returned no 'extra'.
      return (here as RecordedSyscall).r;
    },
    finish() {
      if (!failure && index < recorded.length) {
        diverge('missing', index, recorded[index]?.s, undefined);
      }
      return failure;
    },
    get failure() {
      return failure;
    },
  };
}
