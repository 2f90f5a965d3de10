// The kernel side of syscalls, in kernel form (already translated and
// validated). Every syscall bumps the `syscalls` stat and its own counter.
import { insistCapData } from '../shared/capdata.js';
import { KernelError } from '../shared/errors.js';
import type { KernelQueueHandler } from '../crank/kernelQueue.js';
import { insistKrefType, insistVatID } from '../shared/refs.js';
import type { KernelGC } from '../gc/kernelGC.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import { keys } from '../state/kvSchema.js';
import type { CapData, KernelSyscallObject, KernelSyscallResult } from '../shared/types.js';

/** What syscalls need from the device layer. */
export interface DeviceInvoker {
  invoke(deviceKref: string, method: string, args: CapData): KernelSyscallResult;
  callKernelHook(deviceID: string, hookName: string, args: CapData): CapData;
}

export interface KernelSyscallTools {
  keeper: KernelKeeper;
  gc: KernelGC;
  queue: KernelQueueHandler;
  devices: DeviceInvoker;
  /** A vat asked to exit; acted upon at the end of the crank. */
  requestTermination(vatID: string, reject: boolean, info: CapData): void;
}

export type KernelSyscallHandler = (ksc: KernelSyscallObject) => KernelSyscallResult;

const OK_NULL: KernelSyscallResult = ['ok', null];

export function makeKernelSyscallHandler(tools: KernelSyscallTools): KernelSyscallHandler {
  const { keeper, gc, queue, devices } = tools;
  const { kv, stats } = keeper;
  const count = (stat: Parameters<typeof stats.incStat>[0]): void => {
    stats.incStat('syscalls');
    stats.incStat(stat);
  };

  return function kernelSyscallHandler(ksc) {
    switch (ksc[0]) {
      case 'send':
        count('syscallSend');
        queue.doSend(ksc[1], ksc[2]);
        return OK_NULL;
      case 'invoke': {
        const [, deviceKref, method, args] = ksc;
        insistKrefType('device', deviceKref);
        insistCapData(args);
        count('syscallCallNow');
        return devices.invoke(deviceKref, method, args);
      }
      case 'subscribe':
        count('syscallSubscribe');
        queue.doSubscribe(ksc[1], ksc[2]);
        return OK_NULL;
      case 'resolve':
        insistVatID(ksc[1]);
        count('syscallResolve');
        queue.doResolve(ksc[1], ksc[2]);
        return OK_NULL;
      case 'exit':
        count('syscallExit');
        tools.requestTermination(ksc[1], !!ksc[2], ksc[3]);
        return OK_NULL;
      case 'vatstoreGet':
        count('syscallVatstoreGet');
        return ['ok', kv.get(keys.vatstore(ksc[1], ksc[2])) || null];
      case 'vatstoreSet':
        count('syscallVatstoreSet');
        kv.set(keys.vatstore(ksc[1], ksc[2]), ksc[3]);
        return OK_NULL;
      case 'vatstoreGetNextKey': {
        count('syscallVatstoreGetNextKey');
        const prefix = keys.vatstorePrefix(ksc[1]);
        const next = kv.getNextKey(`${prefix}${ksc[2]}`);
        return ['ok', next && next.startsWith(prefix) ? next.slice(prefix.length) : null];
      }
      case 'vatstoreDelete':
        count('syscallVatstoreDelete');
        kv.delete(keys.vatstore(ksc[1], ksc[2]));
        return OK_NULL;
      case 'dropImports':
      case 'retireImports':
        // The translator already updated the c-list; the kernel has nothing more to do.
        return OK_NULL;
      case 'retireExports':
        gc.retireKernelObjects(ksc[1]);
        return OK_NULL;
      case 'abandonExports':
        for (const kref of ksc[2]) gc.orphanKernelObject(kref, ksc[1]);
        return OK_NULL;
      case 'callKernelHook':
        return ['ok', devices.callKernelHook(ksc[1], ksc[2], ksc[3])];
      default:
        throw new KernelError('BAD_DATA', `unknown kernel syscall type ${String((ksc as unknown[])[0])}`);
    }
  };
}
