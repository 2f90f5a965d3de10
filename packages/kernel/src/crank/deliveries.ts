// Delivery cranks: one handler per run-queue event type. Each translates
// the kernel-form delivery for the vat, hands it to the warehouse, and
// returns CrankResults telling the crank loop what to commit, roll back,
// charge, or terminate.
import type { VatDeliveryObject, VatSyscallHandler } from '@crankshaft/worker-supervisor';
import type { KernelContext } from './context.js';
import { makeError } from '../shared/kmarshal.js';
import { insistKrefType, insistVatID } from '../shared/refs.js';
import { getKpidsToRetire } from '../gc/retire.js';
import type { CleanupWork } from './runPolicies.js';
import type {
  CapData,
  GCEvent,
  KernelDeliveryObject,
  KernelMessage,
  NotifyEvent,
  ReapDirt,
  SettledPromiseDescriptor,
} from '../shared/types.js';

export interface CrankResults {
  /** Roll the crank back. */
  abort?: boolean;
  /** With abort: roll back to after the dequeue ('deliver') rather than 'start'. */
  consumeMessage?: boolean;
  /** The vat that received a delivery (policy input, snapshot check). */
  didDelivery?: string;
  computrons?: bigint;
  cleanups?: CleanupWork;
  meterID?: string;
  measureDirt?: { vatID: string; dirt: ReapDirt };
  terminate?: { vatID: string; reject: boolean; info: CapData };
  vatAdminMethargs?: [method: string, args: unknown[]];
}

export const NO_DELIVERY: CrankResults = Object.freeze({});

export interface DeliveryStatus {
  computrons: number | undefined;
  deliveryError: string | undefined;
  illegalSyscall: KernelContext['flags']['illegalSyscall'];
  vatRequestedTermination: KernelContext['flags']['vatRequestedTermination'];
}

export function makeDeliveryProcessors(
  ctx: KernelContext,
  buildVatSyscallHandler: (vatID: string) => VatSyscallHandler,
) {
  const { keeper, warehouse } = ctx;
  const { stats, promises, refcounts } = keeper;
  const handlers = new Map<string, VatSyscallHandler>();
  const handlerFor = (vatID: string): VatSyscallHandler => {
    let handler = handlers.get(vatID);
    if (!handler) {
      handler = buildVatSyscallHandler(vatID);
      handlers.set(vatID, handler);
    }
    return handler;
  };

  async function deliverAndLogToVat(vatID: string, kd: KernelDeliveryObject, vd: VatDeliveryObject): Promise<DeliveryStatus> {
    ctx.flags.illegalSyscall = undefined;
    ctx.flags.vatRequestedTermination = undefined;
    const result = await warehouse.deliverToVat(vatID, vd, handlerFor(vatID), {
      crankNum: keeper.getCrankNumber(),
      kd,
    });
    const status: DeliveryStatus = {
      computrons: result.metering?.computrons,
      deliveryError: undefined,
      illegalSyscall: ctx.flags.illegalSyscall,
      vatRequestedTermination: ctx.flags.vatRequestedTermination,
    };
    if (result.status !== 'ok') {
      await warehouse.stopWorker(vatID);
      status.deliveryError = result.error ?? 'delivery failed';
    }
    return status;
  }

  /** Translation sets deciders and allocates vrefs, so it happens exactly once. */
  const translate = (vatID: string, kd: KernelDeliveryObject): VatDeliveryObject =>
    ctx.translators(vatID).kernelDeliveryToVatDelivery(kd);

  /**
   * Turns a delivery's outcome into crank instructions. Priority: illegal
   * syscall, then delivery error, then meter underrun, then exit.
   */
  function deliveryCrankResults(
    vatID: string,
    status: DeliveryStatus,
    measureDirt: boolean,
    meterID?: string,
    gcKrefs?: number,
  ): CrankResults {
    const computrons = status.computrons ? BigInt(status.computrons) : undefined;
    const results: CrankResults = { didDelivery: vatID };
    if (computrons !== undefined) results.computrons = computrons;
    let meterUnderrun = false;
    if (meterID && computrons) {
      results.meterID = meterID;
      if (!keeper.checkMeter(meterID, computrons)) meterUnderrun = true;
    }
    if (status.illegalSyscall) {
      results.abort = true;
      results.terminate = { vatID, reject: true, info: status.illegalSyscall.info };
    } else if (status.deliveryError !== undefined) {
      results.abort = true;
      results.terminate = { vatID, reject: true, info: makeError(status.deliveryError) };
    } else if (meterUnderrun) {
      results.abort = true;
      results.terminate = { vatID, reject: true, info: makeError('meter underflow, vat terminated') };
    } else if (status.vatRequestedTermination) {
      // exitVatWithFailure wants the crank unwound; a clean exit keeps it.
      if (status.vatRequestedTermination.reject) results.abort = true;
      results.terminate = { vatID, ...status.vatRequestedTermination };
    }
    if (measureDirt && !(results.abort || results.terminate)) {
      const dirt: ReapDirt = { deliveries: 1 };
      if (computrons) dirt.computrons = Number(computrons);
      if (gcKrefs) dirt.gcKrefs = gcKrefs;
      results.measureDirt = { vatID, dirt };
    }
    return results;
  }

  async function processSend(vatID: string, target: string, msg: KernelMessage): Promise<CrankResults> {
    stats.incStat('dispatches');
    stats.incStat('dispatchDeliver');
    const vatInfo = ctx.lookupVat(vatID);
    if (!vatInfo) throw new Error(`routeSendEvent() should have noticed dead vat ${vatID}`);
    const kd: KernelDeliveryObject = ['message', target, msg];
    // Translate first: that makes this vat the result's decider ...
    const vd = translate(vatID, kd);
    // ... so messages already queued on the result can now pipeline to it.
    if (vatInfo.enablePipelining && msg.result) promises.requeueKernelPromise(msg.result);
    const status = await deliverAndLogToVat(vatID, kd, vd);
    return deliveryCrankResults(vatID, status, true, vatInfo.meterID);
  }

  async function processNotify(message: NotifyEvent): Promise<CrankResults> {
    const { vatID, kpid } = message;
    insistVatID(vatID);
    insistKrefType('promise', kpid);
    stats.incStat('dispatches');
    const vatInfo = ctx.lookupVat(vatID);
    if (!vatInfo) return NO_DELIVERY; // the vat is dead
    const p = promises.getKernelPromise(kpid);
    stats.incStat('dispatchNotify');
    const vatKeeper = keeper.provideVatKeeper(vatID);
    if (p.state === 'unresolved') throw new Error(`spurious notification ${kpid}`);
    // Already retired by an earlier notify that covered it.
    if (!vatKeeper.hasCListEntry(kpid)) return NO_DELIVERY;
    const targets = getKpidsToRetire(keeper, kpid, p.data);
    if (targets.length === 0) return NO_DELIVERY;
    const resolutions: [string, SettledPromiseDescriptor][] = targets.map(toResolve => {
      const tp = promises.getKernelPromise(toResolve);
      if (tp.state === 'unresolved') throw new Error(`notify of unresolved ${toResolve}`);
      return [toResolve, { state: tp.state, data: tp.data }];
    });
    const kd: KernelDeliveryObject = ['notify', resolutions];
    const vd = translate(vatID, kd);
    vatKeeper.deleteCListEntriesForKernelSlots(targets);
    const status = await deliverAndLogToVat(vatID, kd, vd);
    return deliveryCrankResults(vatID, status, true, vatInfo.meterID);
  }

  async function processGCMessage(message: GCEvent): Promise<CrankResults> {
    const { type, vatID, krefs } = message;
    insistVatID(vatID);
    if (!ctx.lookupVat(vatID)) return NO_DELIVERY; // can't collect from the dead
    if (type === 'retireExports') {
      for (const kref of krefs) keeper.objects.deleteKernelObject(kref);
    }
    const kd: KernelDeliveryObject = [type, krefs];
    const status = await deliverAndLogToVat(vatID, kd, translate(vatID, kd));
    return deliveryCrankResults(vatID, status, true, undefined, krefs.length);
  }

  async function processBringOutYourDead(vatID: string): Promise<CrankResults> {
    insistVatID(vatID);
    if (!ctx.lookupVat(vatID)) return NO_DELIVERY;
    const status = await deliverAndLogToVat(vatID, ['bringOutYourDead'], ['bringOutYourDead']);
    return deliveryCrankResults(vatID, status, false); // no meter; BOYD clears dirt
  }

  async function processStartVat(vatID: string, vatParameters: CapData): Promise<CrankResults> {
    insistVatID(vatID);
    const vatInfo = ctx.lookupVat(vatID);
    if (!vatInfo) return NO_DELIVERY; // terminated before it started
    keeper.provideVatKeeper(vatID).setVatParameters(vatParameters);
    const kd: KernelDeliveryObject = ['startVat', vatParameters];
    const vd = translate(vatID, kd);
    for (const kref of vatParameters.slots) refcounts.decrementRefCount(kref, 'create-vat-event');
    const status = await deliverAndLogToVat(vatID, kd, vd);
    return { ...deliveryCrankResults(vatID, status, true, vatInfo.meterID), consumeMessage: true };
  }

  /** reapInterval is the kernel's business; everything else goes to the vat. */
  function setKernelVatOption(vatID: string, option: string, value: unknown): boolean {
    if (option !== 'reapInterval') return false;
    if (value === 'never' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      const vatKeeper = keeper.provideVatKeeper(vatID);
      vatKeeper.setReapDirtThreshold({ ...vatKeeper.getReapDirtThreshold(), deliveries: value });
    } else {
      ctx.console.log(`WARNING: invalid reapInterval value ${String(value)}`);
    }
    return true;
  }

  async function processChangeVatOptions(vatID: string, options: Record<string, unknown>): Promise<CrankResults> {
    insistVatID(vatID);
    if (!ctx.lookupVat(vatID)) return NO_DELIVERY;
    const forVat: Record<string, unknown> = {};
    let haveOptionsForVat = false;
    for (const option of Object.getOwnPropertyNames(options)) {
      if (!setKernelVatOption(vatID, option, options[option])) {
        forVat[option] = options[option];
        haveOptionsForVat = true;
      }
    }
    ctx.forgetVat(vatID);
    if (!haveOptionsForVat) return NO_DELIVERY;
    const kd: KernelDeliveryObject = ['changeVatOptions', forVat];
    const status = await deliverAndLogToVat(vatID, kd, translate(vatID, kd));
    return { ...deliveryCrankResults(vatID, status, false), consumeMessage: true };
  }

  return {
    // The building blocks, for cranks made of several deliveries (upgrade).
    deliverAndLogToVat,
    deliveryCrankResults,
    translate,
    processSend,
    processNotify,
    processGCMessage,
    processBringOutYourDead,
    processStartVat,
    processChangeVatOptions,
    /** The handler warehouse-initiated deliveries (BOYD before a snapshot) use. */
    syscallHandlerFor: handlerFor,
    forgetHandler(vatID: string) {
      handlers.delete(vatID);
    },
  };
}

export type DeliveryProcessors = ReturnType<typeof makeDeliveryProcessors>;
