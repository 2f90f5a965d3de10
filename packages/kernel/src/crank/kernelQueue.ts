// Putting work on the acceptance queue: sends (with their refcounts),
// subscriptions and notifies, promise resolution, and host/kernel sends to
// a kref (queueToKref).
import { insistCapData, insistMessage } from '../shared/capdata.js';
import { kser } from '../shared/kmarshal.js';
import { insistKrefType, insistVatID, parseKref } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData, KernelMessage, KernelOneResolution, ResolutionPolicy } from '../shared/types.js';

export interface KernelQueueHandler {
  doSend(target: string, msg: KernelMessage): void;
  doSubscribe(vatID: string, kpid: string): void;
  /** `vatID` is the resolving vat, or undefined when the kernel resolves. */
  doResolve(vatID: string | undefined, resolutions: KernelOneResolution[]): void;
  notify(vatID: string, kpid: string): void;
  resolveToError(kpid: string, errorData: CapData, expectedDecider?: string): void;
  /** Sends [method, args] (kser'd) to a kref; returns the result kpid unless policy is 'none'. */
  queueToKref(kref: string, method: string, args: unknown[], policy?: ResolutionPolicy): string | undefined;
}

export interface KernelQueueTools {
  keeper: KernelKeeper;
  panic(problem: string, err?: Error): void;
  log?(line: string): void;
}

export function makeKernelQueueHandler(tools: KernelQueueTools): KernelQueueHandler {
  const { keeper, panic, log = line => console.log(line) } = tools;
  const { refcounts, promises, queues, stats } = keeper;

  function notify(vatID: string, kpid: string): void {
    refcounts.incrementRefCount(kpid, 'enq|notify');
    queues.enqueue('acceptanceQueue', { type: 'notify', vatID, kpid });
  }

  function doSubscribe(vatID: string, kpid: string): void {
    insistVatID(vatID);
    const p = promises.getKernelPromise(kpid);
    if (p.state === 'unresolved') {
      promises.addSubscriberToPromise(kpid, vatID);
    } else {
      notify(vatID, kpid);
    }
  }

  function doResolve(vatID: string | undefined, resolutions: KernelOneResolution[]): void {
    if (vatID !== undefined) insistVatID(vatID);
    for (const [kpid, rejected, data] of resolutions) {
      insistKrefType('promise', kpid);
      insistCapData(data);
      const p = promises.getResolveablePromise(kpid, vatID);
      for (const subscriber of p.subscribers) notify(subscriber, kpid);
      promises.resolveKernelPromise(kpid, rejected, data);
      const tag = rejected ? 'rejected' : 'fulfilled';
      if (p.policy === 'logAlways' || (rejected && p.policy === 'logFailure')) {
        log(`${kpid}.policy ${p.policy}: ${tag} ${JSON.stringify(data)}`);
      } else if (rejected && p.policy === 'panic') {
        panic(`${kpid}.policy panic: ${tag} ${JSON.stringify(data)}`);
      }
    }
  }

  function doSend(target: string, msg: KernelMessage): void {
    parseKref(target);
    insistMessage(msg);
    refcounts.incrementRefCount(target, 'enq|msg|t');
    if (msg.result) refcounts.incrementRefCount(msg.result, 'enq|msg|r');
    msg.methargs.slots.forEach((slot, idx) => refcounts.incrementRefCount(slot, `enq|msg|s${idx}`));
    queues.enqueue('acceptanceQueue', { type: 'send', target, msg });
  }

  function queueToKref(kref: string, method: string, args: unknown[], policy: ResolutionPolicy = 'ignore'): string | undefined {
    const methargs = kser([method, args]);
    for (const slot of methargs.slots) parseKref(slot);
    const result = policy === 'none' ? undefined : promises.addKernelPromise(policy);
    stats.incStat('syscalls');
    stats.incStat('syscallSend');
    // An absent result (policy 'none') is left out of the stored JSON.
    doSend(kref, result === undefined ? { methargs } : { methargs, result });
    return result;
  }

  return {
    doSend,
    doSubscribe,
    doResolve,
    notify,
    resolveToError(kpid, errorData, expectedDecider) {
      doResolve(expectedDecider, [[kpid, true, errorData]]);
    },
    queueToKref,
  };
}
