// The syscall handler a vat's worker talks to during a delivery: vat form
// in, translation (where illegal syscalls are caught), the kernel
// handler, and the result translated back. The error texts returned to
// the vat are recorded in its transcript, so they are SwingSet's words.
import type { VatSyscallHandler, VatSyscallObject, VatSyscallResult } from '@crankshaft/worker-supervisor';
import type { KernelContext } from '../crank/context.js';
import { messageOf } from '../shared/errors.js';
import { makeError } from '../shared/kmarshal.js';
import type { KernelSyscallHandler } from './syscalls.js';
import type { KernelSyscallObject, KernelSyscallResult } from '../shared/types.js';

export const ILLEGAL_SYSCALL_PROBLEM = 'syscall translation error: prepare to die';
export const KERNEL_FAILURE_PROBLEM = 'you killed my kernel. prepare to die';
export const DEAD_VAT_PROBLEM = 'vat is dead';

/** Slog numbering for the syscalls of the delivery in progress. */
interface SyscallCounter {
  deliveryNum: number;
  syscallNum: number;
}

export function makeVatSyscallHandlerFactory(ctx: KernelContext, kernelSyscallHandler: KernelSyscallHandler) {
  const counters = new Map<string, SyscallCounter>();

  function vatFatalSyscall(vatID: string, problem: string): void {
    ctx.flags.illegalSyscall = { vatID, info: makeError(problem) };
  }

  function slogSyscall(vatID: string, ksc: KernelSyscallObject | undefined, vsc: VatSyscallObject) {
    if (!ctx.slog.enabled) return undefined;
    const deliveryNum = ctx.warehouse.nextDeliveryNum(vatID);
    let counter = counters.get(vatID);
    if (!counter || counter.deliveryNum !== deliveryNum) {
      counter = { deliveryNum, syscallNum: 0 };
      counters.set(vatID, counter);
    }
    const syscallNum = counter.syscallNum;
    counter.syscallNum += 1;
    return ctx.slog.startDuration(['syscall', 'syscall-result'], {
      crankNum: ctx.keeper.getCrankNumber(),
      vatID,
      deliveryNum,
      syscallNum,
      replay: false,
      syscall: vsc[0],
      ksc,
      vsc,
    });
  }

  return function buildVatSyscallHandler(vatID: string): VatSyscallHandler {
    return function vatSyscallHandler(vsc: VatSyscallObject): VatSyscallResult {
      if (!ctx.lookupVat(vatID)) {
        ctx.console.error(`vatSyscallHandler invoked on dead vat ${vatID}`);
        vatFatalSyscall(vatID, DEAD_VAT_PROBLEM);
        return ['error', DEAD_VAT_PROBLEM];
      }
      const translators = ctx.translators(vatID);
      let ksc: KernelSyscallObject | undefined;
      let kres: KernelSyscallResult = ['error', 'incomplete'];
      let vres: VatSyscallResult = ['error', 'incomplete'];
      try {
        ksc = translators.vatSyscallToKernelSyscall(vsc);
      } catch (err) {
        ctx.console.log(`error during syscall translation in ${vatID}: ${messageOf(err)} ${safeJSON(vsc)}`);
        vatFatalSyscall(vatID, ILLEGAL_SYSCALL_PROBLEM);
        kres = ['error', ILLEGAL_SYSCALL_PROBLEM];
        vres = ['error', ILLEGAL_SYSCALL_PROBLEM];
      }
      const finish = slogSyscall(vatID, ksc, vsc);
      if (ksc) {
        try {
          kres = kernelSyscallHandler(ksc);
          vres = translators.kernelSyscallResultToVatSyscallResult(ksc[0], kres);
        } catch (err) {
          ctx.panic(`error during syscall/device.invoke: ${messageOf(err)}`, err instanceof Error ? err : undefined);
          vatFatalSyscall(vatID, KERNEL_FAILURE_PROBLEM);
          vres = ['error', KERNEL_FAILURE_PROBLEM];
        }
      }
      finish?.({ ksc: undefined, vsc: undefined, ksr: kres, vsr: vres });
      return vres;
    };
  };
}

const safeJSON = (x: unknown): string => {
  try {
    return JSON.stringify(x);
  } catch {
    return String(x);
  }
};
