// Translation between kernel form (krefs) and vat form (vrefs), through
// the vat's c-list: deliveries going in, syscalls coming out, and syscall
// results going back. The order in which slots are mapped decides which
// o-/p-/d- numbers a vat sees, so it follows SwingSet exactly: target,
// then argument slots, then the result promise.
import type {
  VatDeliveryObject,
  VatOneResolution,
  VatSyscallObject,
  VatSyscallResult,
} from '@crankshaft/worker-supervisor';
import { extractSingleSlot, insistCapData, insistMessage } from '../shared/capdata.js';
import { KernelError } from '../shared/errors.js';
import { insistKrefType, insistVrefType, parseKref, parseVref } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { VatKeeper } from '../state/vatKeeper.js';
import type {
  CapData,
  KernelDeliveryObject,
  KernelMessage,
  KernelOneResolution,
  KernelSyscallObject,
  KernelSyscallResult,
  VatTranslators,
} from '../shared/types.js';

export type { VatTranslators } from '../shared/types.js';

const illegal = (message: string): never => {
  throw new KernelError('ILLEGAL_SYSCALL', message);
};

const gcDeliveryMapOptions = { setReachable: false, required: true } as const;
const gcSyscallMapOptions = { required: true, setReachable: false } as const;

function makeDeliveryTranslator(vatID: string, keeper: KernelKeeper, vk: VatKeeper) {
  const { promises } = keeper;
  const mapSlots = (data: CapData): CapData => ({ ...data, slots: data.slots.map(s => vk.mapKernelSlotToVatSlot(s)) });

  function translateMessage(target: string, msg: KernelMessage): VatDeliveryObject {
    insistMessage(msg);
    const targetSlot = vk.mapKernelSlotToVatSlot(target);
    const parsed = parseVref(targetSlot);
    if (parsed.type === 'object') {
      if (!parsed.allocatedByVat) throw new KernelError('BAD_STATE', `deliver() to wrong vat: ${target} in ${vatID}`);
    } else if (parsed.type === 'promise') {
      const p = promises.getKernelPromise(target);
      if (p.state !== 'unresolved' || p.decider !== vatID) {
        throw new KernelError('BAD_STATE', `message to ${target} delivered to ${vatID}, which does not decide it`);
      }
    }
    const inputSlots = msg.methargs.slots.map(slot => vk.mapKernelSlotToVatSlot(slot));
    let resultSlot: string | null = null;
    if (msg.result) {
      insistKrefType('promise', msg.result);
      const p = promises.getKernelPromise(msg.result);
      if (p.state !== 'unresolved') throw new KernelError('BAD_STATE', `result ${msg.result} already resolved`);
      if (p.decider) throw new KernelError('BAD_STATE', `result ${msg.result} already has decider ${p.decider}`);
      resultSlot = vk.mapKernelSlotToVatSlot(msg.result);
      insistVrefType('promise', resultSlot);
      promises.setDecider(msg.result, vatID);
    }
    return ['message', targetSlot, { methargs: { ...msg.methargs, slots: inputSlots }, result: resultSlot }];
  }

  function translateNotify(resolutions: Extract<KernelDeliveryObject, { 0: 'notify' }>[1]): VatDeliveryObject {
    const vResolutions: VatOneResolution[] = [];
    for (const [kpid, desc] of resolutions) {
      const vpid = vk.mapKernelSlotToVatSlot(kpid);
      vResolutions.push([vpid, desc.state === 'rejected', mapSlots(desc.data)]);
    }
    return ['notify', vResolutions];
  }

  return function kernelDeliveryToVatDelivery(kd: KernelDeliveryObject): VatDeliveryObject {
    switch (kd[0]) {
      case 'message':
        return translateMessage(kd[1], kd[2]);
      case 'notify':
        return translateNotify(kd[1]);
      case 'dropExports': {
        const vrefs = kd[1].map(kref => vk.mapKernelSlotToVatSlot(kref, gcDeliveryMapOptions));
        for (const kref of kd[1]) vk.clearReachableFlag(kref);
        return ['dropExports', vrefs];
      }
      case 'retireExports':
      case 'retireImports': {
        const vrefs: string[] = [];
        for (const kref of kd[1]) {
          const vref = vk.mapKernelSlotToVatSlot(kref, gcDeliveryMapOptions);
          vk.deleteCListEntry(kref, vref);
          vrefs.push(vref);
        }
        return [kd[0], vrefs];
      }
      case 'changeVatOptions':
        return ['changeVatOptions', kd[1]];
      case 'startVat':
        return ['startVat', mapSlots(kd[1])];
      case 'bringOutYourDead':
        return ['bringOutYourDead'];
      default: {
        const never: never = kd;
        throw new KernelError('BAD_DATA', `unknown kernelDelivery type ${String((never as unknown[])[0])}`);
      }
    }
  };
}

function makeSyscallTranslator(vatID: string, keeper: KernelKeeper, vk: VatKeeper) {
  const { promises } = keeper;
  const { enablePipelining = false } = vk.getOptions();
  const mapSlots = (data: CapData): CapData => ({ ...data, slots: data.slots.map(s => vk.mapVatSlotToKernelSlot(s)) });
  const insistArray = (x: unknown, what: string): string[] => {
    if (!Array.isArray(x)) illegal(`${what}() given non-Array`);
    return x as string[];
  };
  const insistString = (x: unknown, what: string): string => {
    if (typeof x !== 'string') illegal(`${what} must be a string`);
    return x as string;
  };

  function translateSend(targetSlot: unknown, msg: unknown): KernelSyscallObject {
    insistString(targetSlot, 'send target');
    insistMessage(msg, 'send message');
    const target = vk.mapVatSlotToKernelSlot(targetSlot as string);
    // SwingSet panics later, while routing, on a send to a device node;
    // we refuse it here so only the vat dies.
    if (parseKref(target).type === 'device') illegal(`send() to device node ${target}`);
    const kernelArgs = mapSlots(msg.methargs);
    let result: string | null = null;
    if (msg.result) {
      insistVrefType('promise', msg.result);
      result = vk.mapVatSlotToKernelSlot(msg.result, { requireNew: !enablePipelining });
      insistKrefType('promise', result);
      const p = promises.getKernelPromise(result);
      if (p.state !== 'unresolved') illegal(`send() result ${result} is already resolved`);
      if (p.state === 'unresolved' && p.decider !== vatID) {
        illegal(`send() result ${result} is decided by ${String(p.decider)} not ${vatID}`);
      }
      // The run-queue holds the authority to decide until delivery.
      promises.clearDecider(result);
    }
    return ['send', target, { methargs: kernelArgs, result }];
  }

  function translateResolve(vresolutions: unknown): KernelSyscallObject {
    const resolutions = insistArray(vresolutions, 'resolve') as unknown as unknown[];
    const kresolutions: KernelOneResolution[] = [];
    const kpidsResolved: string[] = [];
    for (const resolution of resolutions) {
      if (!Array.isArray(resolution)) illegal('resolve() given a non-Array resolution');
      const [vpid, rejected, data] = resolution as [unknown, unknown, unknown];
      insistVrefType('promise', vpid);
      insistCapData(data, 'resolution data');
      if (!rejected) {
        const single = extractSingleSlot(data);
        if (single && parseVref(single).type === 'promise') illegal('cannot resolve to a promise');
      }
      const kpid = vk.mapVatSlotToKernelSlot(vpid as string);
      // SwingSet checks the decider later and panics; refusing it here
      // terminates only the offending vat.
      const p = promises.getKernelPromise(kpid);
      if (p.state !== 'unresolved') illegal(`resolve() of ${kpid}, which was already resolved`);
      if (p.state === 'unresolved' && p.decider !== vatID) {
        illegal(`resolve() of ${kpid}, which is decided by ${String(p.decider)}, not ${vatID}`);
      }
      if (kpidsResolved.includes(kpid)) illegal(`resolve() names ${kpid} twice`);
      kresolutions.push([kpid, !!rejected, mapSlots(data)]);
      kpidsResolved.push(kpid);
    }
    vk.deleteCListEntriesForKernelSlots(kpidsResolved);
    return ['resolve', vatID, kresolutions];
  }

  const gcVrefs = (vrefs: unknown, what: string, exports: boolean): string[] =>
    insistArray(vrefs, what).map(vref => {
      const { type, allocatedByVat } = parseVref(vref);
      if (type !== 'object') illegal(`${what}() given non-object ${vref}`);
      if (allocatedByVat !== exports) illegal(`${what}() given ${exports ? 'an import' : 'an export'} ${vref}`);
      return vref;
    });

  return function vatSyscallToKernelSyscall(vsc: VatSyscallObject): KernelSyscallObject {
    if (!Array.isArray(vsc)) illegal('syscall is not an Array');
    switch (vsc[0]) {
      case 'send':
        return translateSend(vsc[1], vsc[2]);
      case 'callNow': {
        const [, target, method, args] = vsc;
        insistCapData(args, 'callNow args');
        const dev = vk.mapVatSlotToKernelSlot(insistString(target, 'callNow target'));
        if (parseKref(dev).type !== 'device') illegal(`doCallNow must target a device, not ${dev}`);
        for (const slot of args.slots) {
          if (parseVref(slot).type === 'promise') illegal(`syscall.callNow() args cannot include promises like ${slot}`);
        }
        return ['invoke', dev, insistString(method, 'callNow method'), mapSlots(args)];
      }
      case 'subscribe': {
        const kpid = vk.mapVatSlotToKernelSlot(insistString(vsc[1], 'subscribe vpid'));
        if (parseKref(kpid).type !== 'promise' || !promises.hasKernelPromise(kpid)) {
          illegal(`unknown kernelPromise id '${kpid}'`);
        }
        return ['subscribe', vatID, kpid];
      }
      case 'resolve':
        return translateResolve(vsc[1]);
      case 'exit': {
        const [, isFailure, info] = vsc;
        insistCapData(info, 'exit info');
        return ['exit', vatID, !!isFailure, mapSlots(info)];
      }
      case 'vatstoreGet':
        return ['vatstoreGet', vatID, insistString(vsc[1], 'vatstore key')];
      case 'vatstoreSet':
        return ['vatstoreSet', vatID, insistString(vsc[1], 'vatstore key'), insistString(vsc[2], 'vatstore value')];
      case 'vatstoreGetNextKey':
        return ['vatstoreGetNextKey', vatID, insistString(vsc[1], 'vatstore key')];
      case 'vatstoreDelete':
        return ['vatstoreDelete', vatID, insistString(vsc[1], 'vatstore key')];
      case 'dropImports': {
        const krefs = gcVrefs(vsc[1], 'dropImports', false).map(vref => {
          const kref = vk.mapVatSlotToKernelSlot(vref, gcSyscallMapOptions);
          vk.clearReachableFlag(kref);
          return kref;
        });
        return ['dropImports', krefs];
      }
      case 'retireImports': {
        const krefs = gcVrefs(vsc[1], 'retireImports', false).map(vref => {
          const kref = vk.mapVatSlotToKernelSlot(vref, gcSyscallMapOptions);
          if (vk.getReachableFlag(kref)) illegal(`syscall.retireImports but ${vref} is still reachable`);
          vk.deleteCListEntry(kref, vref);
          return kref;
        });
        return ['retireImports', krefs];
      }
      case 'retireExports': {
        const krefs = gcVrefs(vsc[1], 'retireExports', true).map(vref => {
          const kref = vk.mapVatSlotToKernelSlot(vref, gcSyscallMapOptions);
          if (vk.getReachableFlag(kref)) illegal(`syscall.retireExports but ${vref} is still reachable`);
          vk.deleteCListEntry(kref, vref);
          return kref;
        });
        return ['retireExports', krefs];
      }
      case 'abandonExports': {
        const krefs = gcVrefs(vsc[1], 'abandonExports', true).map(vref =>
          vk.mapVatSlotToKernelSlot(vref, gcSyscallMapOptions),
        );
        return ['abandonExports', vatID, krefs];
      }
      default:
        return illegal(`unknown vatSyscall type ${String((vsc as unknown[])[0])}`);
    }
  };
}

function makeResultTranslator(vk: VatKeeper) {
  return function kernelSyscallResultToVatSyscallResult(
    type: KernelSyscallObject[0],
    kres: KernelSyscallResult,
  ): VatSyscallResult {
    const [status, data] = kres;
    if (type === 'invoke') {
      if (status !== 'ok') return ['error', data as string];
      insistCapData(data, 'device result');
      return ['ok', { ...data, slots: data.slots.map(slot => vk.mapKernelSlotToVatSlot(slot)) }];
    }
    if (status !== 'ok') throw new KernelError('BAD_STATE', `unexpected kernel syscall error for ${type}: ${String(data)}`);
    if (type === 'vatstoreGet' || type === 'vatstoreGetNextKey') {
      if (data && typeof data !== 'string') throw new KernelError('BAD_STATE', `${type} produced a non-string`);
      return ['ok', data || null];
    }
    if (data !== null && data !== undefined) throw new KernelError('BAD_STATE', `${type} produced unexpected data`);
    return ['ok', null];
  };
}

export function makeVatTranslators(vatID: string, keeper: KernelKeeper): VatTranslators {
  const vk = keeper.provideVatKeeper(vatID);
  return {
    kernelDeliveryToVatDelivery: makeDeliveryTranslator(vatID, keeper, vk),
    vatSyscallToKernelSyscall: makeSyscallTranslator(vatID, keeper, vk),
    kernelSyscallResultToVatSyscallResult: makeResultTranslator(vk),
  };
}
