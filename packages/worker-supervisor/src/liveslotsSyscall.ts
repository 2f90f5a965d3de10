// The `syscall` object liveslots is built with: one method per syscall,
// each turning its arguments into a vat-form tuple. Shared by the XS
// supervisor and the local worker.
import type { CapData, VatOneResolution, VatSyscallObject, VatSyscallResult } from './types.js';

export interface LiveslotsSyscall {
  send(target: string, methargs: CapData, result?: string | null): unknown;
  subscribe(vpid: string): unknown;
  resolve(resolutions: VatOneResolution[]): unknown;
  exit(isFailure: boolean, info: CapData): unknown;
  dropImports(vrefs: string[]): unknown;
  retireImports(vrefs: string[]): unknown;
  retireExports(vrefs: string[]): unknown;
  abandonExports(vrefs: string[]): unknown;
  callNow(target: string, method: string, args: CapData): unknown;
  vatstoreGet(key: string): unknown;
  vatstoreGetNextKey(priorKey: string): unknown;
  vatstoreSet(key: string, value: string): unknown;
  vatstoreDelete(key: string): unknown;
}

/**
 * @param doSyscall performs one syscall and returns the kernel's result (for
 *   queued result-less syscalls, a stand-in `['ok', null]`).
 */
export function makeLiveslotsSyscall(doSyscall: (vso: VatSyscallObject) => VatSyscallResult): LiveslotsSyscall {
  const call = (vso: VatSyscallObject): unknown => {
    const result = doSyscall(vso);
    if (result[0] === 'error') {
      // Liveslots sees a failed syscall as a throw, as in SwingSet.
      throw Error(`syscall.${vso[0]} failed: ${result[1]}`);
    }
    return result[1];
  };
  return {
    // liveslots passes `undefined` for "no result"; leave the key out so the
    // in-process and JSON-carried forms are the same.
    send: (target, methargs, result) =>
      call(['send', target, result === undefined ? { methargs } : { methargs, result }]),
    subscribe: vpid => call(['subscribe', vpid]),
    resolve: resolutions => call(['resolve', resolutions]),
    exit: (isFailure, info) => call(['exit', isFailure, info]),
    dropImports: vrefs => call(['dropImports', vrefs]),
    retireImports: vrefs => call(['retireImports', vrefs]),
    retireExports: vrefs => call(['retireExports', vrefs]),
    abandonExports: vrefs => call(['abandonExports', vrefs]),
    callNow: (target, method, args) => call(['callNow', target, method, args]),
    vatstoreGet: key => {
      // the kernel says null for "absent"; liveslots expects undefined
      const value = call(['vatstoreGet', key]);
      return value === null ? undefined : value;
    },
    vatstoreGetNextKey: priorKey => call(['vatstoreGetNextKey', priorKey]),
    vatstoreSet: (key, value) => call(['vatstoreSet', key, value]),
    vatstoreDelete: key => call(['vatstoreDelete', key]),
  };
}
