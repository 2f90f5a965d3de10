// Where a `send` goes: to the vat that owns the target object, to a
// pipelining decider, onto an unresolved promise's queue, or "splat"
// (the result promise is rejected). The rejection texts reach vats, so
// they are SwingSet's words exactly.
import { extractMethod, extractSingleSlot } from '../shared/capdata.js';
import { KernelError } from '../shared/errors.js';
import { makeError } from '../shared/kmarshal.js';
import type { KernelQueueHandler } from './kernelQueue.js';
import { parseKref } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData, SendEvent } from '../shared/types.js';

/** What routing needs to know about a vat; undefined when it is dead. */
export interface VatLookup {
  (vatID: string): { enablePipelining: boolean; meterID?: string } | undefined;
}

/**
 * `{ vatID, target }`: deliver to that vat (target may be re-aimed at the
 * object a promise was fulfilled to). `{ vatID: null, target }`: queue on
 * the promise. `null`: splatted; the result (if any) was rejected.
 * Refcounts are left to the caller.
 */
export type Route = { vatID: string | null; target: string } | null;

export function undeliverableError(methargs: CapData): CapData {
  return makeError(`data is not callable, has no method ${extractMethod(methargs)}`);
}

export function makeSendRouter(keeper: KernelKeeper, queue: KernelQueueHandler, lookupVat: VatLookup) {
  const { objects, promises } = keeper;

  return function routeSendEvent(message: SendEvent): Route {
    const { target, msg } = message;
    const { type } = parseKref(target);
    if (type !== 'object' && type !== 'promise') {
      throw new KernelError('BAD_REF', `unable to send() to slot.type ${type}`);
    }
    const splat = (error: CapData): Route => {
      if (msg.result) queue.resolveToError(msg.result, error);
      return null;
    };
    const sendToObject = (kref: string): Route => {
      const vatID = objects.ownerOfKernelObject(kref);
      return vatID ? { vatID, target: kref } : splat(makeError('vat terminated'));
    };

    if (type === 'object') return sendToObject(target);
    const kp = promises.getKernelPromise(target);
    switch (kp.state) {
      case 'fulfilled': {
        const slot = extractSingleSlot(kp.data);
        if (slot && parseKref(slot).type === 'object') return sendToObject(slot);
        return splat(undeliverableError(msg.methargs));
      }
      case 'rejected':
        return splat(kp.data);
      case 'unresolved': {
        if (!kp.decider) return { vatID: null, target };
        const decider = lookupVat(kp.decider);
        if (!decider) return splat(makeError('vat terminated'));
        if (decider.enablePipelining) return { vatID: kp.decider, target };
        return { vatID: null, target };
      }
      default:
        throw new KernelError('BAD_STATE', `unknown promise state for ${target}`);
    }
  };
}

export type SendRouter = ReturnType<typeof makeSendRouter>;
