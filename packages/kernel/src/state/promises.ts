// The kernel promise table. Unresolved: state, decider ('' = none),
// subscribers (sorted comma list), policy (absent = ignore), a message
// queue (`kp<N>.queue.<i>` plus `.queue.nextID`) and the refCount.
// Settled: state plus `data.body` and `data.slots` (comma list).
import { KernelError } from '../shared/errors.js';
import { insistKrefType, insistVatID, makeKref, parseKref } from '../shared/refs.js';
import type {
  CapData,
  KernelMessage,
  PromiseRecord,
  ResolutionPolicy,
  UnresolvedPromiseRecord,
} from '../shared/types.js';
import { keys } from './kvSchema.js';
import { allocateFrom, commaSplit, deleteNumericKeys, enumerateNumericKeys, getNat, getRequired, type KVStore } from './kv.js';
import type { KernelQueues } from './queues.js';
import type { Refcounts } from './refcounts.js';
import type { KernelStats } from './stats.js';

export interface PromiseTable {
  addKernelPromise(policy?: ResolutionPolicy): string;
  addKernelPromiseForVat(deciderVatID: string): string;
  hasKernelPromise(kpid: string): boolean;
  getKernelPromise(kpid: string): PromiseRecord;
  /** The unresolved record, if `expectedDecider` (or the kernel, when undefined) may resolve it. */
  getResolveablePromise(kpid: string, expectedDecider: string | undefined): UnresolvedPromiseRecord;
  deleteKernelPromise(kpid: string): void;
  /** Moves the queued messages back to the acceptance queue, aimed at the kpid. */
  requeueKernelPromise(kpid: string): void;
  resolveKernelPromise(kpid: string, rejected: boolean, data: CapData): void;
  addMessageToPromiseQueue(kpid: string, msg: KernelMessage): void;
  addSubscriberToPromise(kpid: string, vatID: string): void;
  setDecider(kpid: string, vatID: string): void;
  clearDecider(kpid: string): void;
}

const policies: ReadonlySet<string> = new Set(['ignore', 'logAlways', 'logFailure', 'panic']);

export function makePromiseTable(
  kv: KVStore,
  stats: KernelStats,
  refcounts: Refcounts,
  queues: KernelQueues,
): PromiseTable {
  function addKernelPromise(policy?: ResolutionPolicy): string {
    const kpid = makeKref('promise', allocateFrom(kv, keys.kpNextID));
    kv.set(keys.kpState(kpid), 'unresolved');
    kv.set(keys.kpSubscribers(kpid), '');
    kv.set(keys.kpQueueNextID(kpid), '0');
    kv.set(keys.refCount(kpid), '0');
    kv.set(keys.kpDecider(kpid), '');
    if (policy && policy !== 'ignore' && policy !== 'none') kv.set(keys.kpPolicy(kpid), policy);
    stats.incStat('kernelPromises');
    stats.incStat('kpUnresolved');
    return kpid;
  }

  function getKernelPromise(kpid: string): PromiseRecord {
    insistKrefType('promise', kpid);
    const state = kv.get(keys.kpState(kpid));
    if (state === undefined) throw new KernelError('BAD_REF', `unknown kernel promise ${kpid}`);
    const refCount = Number(kv.get(keys.refCount(kpid)));
    switch (state) {
      case 'unresolved': {
        const policy = kv.get(keys.kpPolicy(kpid)) || 'ignore';
        if (!policies.has(policy)) throw new KernelError('BAD_STATE', `${kpid} has unknown policy ${policy}`);
        const queue = [...enumerateNumericKeys(kv, keys.kpQueuePrefix(kpid))].map(
          key => JSON.parse(getRequired(kv, key)) as KernelMessage,
        );
        return {
          state,
          refCount,
          decider: kv.get(keys.kpDecider(kpid)) || undefined,
          policy: policy as UnresolvedPromiseRecord['policy'],
          subscribers: commaSplit(kv.get(keys.kpSubscribers(kpid)) ?? ''),
          queue,
        };
      }
      case 'fulfilled':
      case 'rejected': {
        const slots = commaSplit(getRequired(kv, keys.kpDataSlots(kpid)));
        for (const slot of slots) parseKref(slot);
        return { state, refCount, data: { body: getRequired(kv, keys.kpDataBody(kpid)), slots } };
      }
      default:
        throw new KernelError('BAD_STATE', `unknown state for ${kpid}: ${state}`);
    }
  }

  function getUnresolved(kpid: string, what: string): UnresolvedPromiseRecord {
    const p = getKernelPromise(kpid);
    if (p.state !== 'unresolved') throw new KernelError('BAD_STATE', `${kpid} was already resolved (${what})`);
    return p;
  }

  /** The keys only an unresolved promise has. (SwingSet also deletes keys it knows are absent; we skip those writes.) */
  function deleteUnresolvedKeys(kpid: string): void {
    kv.delete(keys.kpDecider(kpid));
    kv.delete(keys.kpSubscribers(kpid));
    kv.delete(keys.kpPolicy(kpid));
    deleteNumericKeys(kv, keys.kpQueuePrefix(kpid));
    kv.delete(keys.kpQueueNextID(kpid));
  }

  function requeueKernelPromise(kpid: string): void {
    const p = getUnresolved(kpid, 'requeue');
    // A lateral move: the messages keep the refcounts they already hold.
    for (const msg of p.queue) queues.enqueue('acceptanceQueue', { type: 'send', target: kpid, msg });
    stats.decStat('promiseQueuesLength', p.queue.length);
    deleteNumericKeys(kv, keys.kpQueuePrefix(kpid));
    kv.set(keys.kpQueueNextID(kpid), '0');
  }

  return {
    addKernelPromise,
    addKernelPromiseForVat(deciderVatID) {
      insistVatID(deciderVatID);
      const kpid = addKernelPromise();
      kv.set(keys.kpDecider(kpid), deciderVatID);
      return kpid;
    },
    hasKernelPromise(kpid) {
      insistKrefType('promise', kpid);
      return kv.has(keys.kpState(kpid));
    },
    getKernelPromise,
    getResolveablePromise(kpid, expectedDecider) {
      insistKrefType('promise', kpid);
      if (expectedDecider !== undefined) insistVatID(expectedDecider);
      const p = getKernelPromise(kpid);
      if (p.state !== 'unresolved') throw new KernelError('ILLEGAL_SYSCALL', `${kpid} was already resolved`);
      if (expectedDecider !== undefined) {
        if (p.decider !== expectedDecider) {
          throw new KernelError('ILLEGAL_SYSCALL', `${kpid} is decided by ${p.decider}, not ${expectedDecider}`);
        }
      } else if (p.decider) {
        throw new KernelError('ILLEGAL_SYSCALL', `${kpid} is decided by ${p.decider}, not the kernel`);
      }
      return p;
    },
    deleteKernelPromise(kpid) {
      const state = getRequired(kv, keys.kpState(kpid));
      if (state === 'unresolved') stats.decStat('kpUnresolved');
      else if (state === 'fulfilled') stats.decStat('kpFulfilled');
      else if (state === 'rejected') stats.decStat('kpRejected');
      else throw new KernelError('BAD_STATE', `unknown state for ${kpid}: ${state}`);
      stats.decStat('kernelPromises');
      if (state === 'unresolved') {
        deleteUnresolvedKeys(kpid);
      } else {
        kv.delete(keys.kpDataBody(kpid));
        kv.delete(keys.kpDataSlots(kpid));
      }
      kv.delete(keys.kpState(kpid));
      kv.delete(keys.refCount(kpid));
    },
    requeueKernelPromise,
    resolveKernelPromise(kpid, rejected, data) {
      insistKrefType('promise', kpid);
      data.slots.forEach((slot, idx) => refcounts.incrementRefCount(slot, `resolve|${kpid}|s${idx}`));
      requeueKernelPromise(kpid);
      deleteUnresolvedKeys(kpid);
      stats.decStat('kpUnresolved');
      stats.incStat(rejected ? 'kpRejected' : 'kpFulfilled');
      kv.set(keys.kpState(kpid), rejected ? 'rejected' : 'fulfilled');
      kv.set(keys.kpDataBody(kpid), data.body);
      kv.set(keys.kpDataSlots(kpid), data.slots.join(','));
    },
    addMessageToPromiseQueue(kpid, msg) {
      getUnresolved(kpid, 'queue a message');
      // Queued messages keep the refcounts they took when first enqueued.
      const nextID = getNat(kv, keys.kpQueueNextID(kpid));
      kv.set(keys.kpQueueNextID(kpid), `${nextID + 1}`);
      kv.set(`${keys.kpQueuePrefix(kpid)}${nextID}`, JSON.stringify(msg));
      stats.incStat('promiseQueuesLength');
    },
    addSubscriberToPromise(kpid, vatID) {
      insistVatID(vatID);
      const p = getUnresolved(kpid, 'subscribe');
      const subscribers = new Set(p.subscribers);
      subscribers.add(vatID);
      kv.set(keys.kpSubscribers(kpid), [...subscribers].sort().join(','));
    },
    setDecider(kpid, vatID) {
      insistVatID(vatID);
      const p = getUnresolved(kpid, 'set decider');
      if (p.decider) throw new KernelError('BAD_STATE', `${kpid} has decider ${p.decider}, not empty`);
      kv.set(keys.kpDecider(kpid), vatID);
    },
    clearDecider(kpid) {
      const p = getUnresolved(kpid, 'clear decider');
      if (!p.decider) throw new KernelError('BAD_STATE', `${kpid} does not have a decider`);
      kv.set(keys.kpDecider(kpid), '');
    },
  };
}
