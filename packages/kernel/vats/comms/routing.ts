// Moving messages and resolutions between the kernel and remotes: c-list
// translation in both directions, routing a message to whoever can act on
// its target, and telling every subscriber of a promise how it settled.
// Local refs (lo<N>, lp<N>) are the comms vat's own names; see state.ts.
import { krefOf, kser, kunser } from '../../src/shared/kmarshal.js';
import { passStyleOf } from '@endo/far';
import { decodeDeliver, decodeResolve, encodeDeliver, encodeResolve, parseRemoteRef, type WireResolution } from './wire.js';
import { isPromiseLref, KERNEL, type CapData, type CommsState, type Party } from './state.js';

export interface CommsSyscall {
  send(target: string, methargs: CapData, result?: string): unknown;
  subscribe(vpid: string): unknown;
  resolve(resolutions: [string, boolean, CapData][]): unknown;
  dropImports(vrefs: string[]): unknown;
  retireImports(vrefs: string[]): unknown;
  retireExports(vrefs: string[]): unknown;
}

export type Resolution = [lpid: string, rejected: boolean, data: CapData];

/** Sends one frame body to a remote (numbered and acked by the caller's transmit). */
export type Transmit = (remoteID: string, body: string) => void;

const isKernelObject = (vref: string): boolean => /^o[+-]\d+$/.test(vref);
const isKernelPromise = (vref: string): boolean => /^p[+-]\d+$/.test(vref);

export function makeRouting(state: CommsState, syscall: CommsSyscall, transmit: Transmit) {
  // ---- refs coming in: from the kernel, from a remote ----

  /** The lref for a vref the kernel gave us (new imports become ours to track). */
  function localForKernel(vref: string, doNotSubscribe?: ReadonlySet<string>): string {
    let lref = state.lookup(KERNEL, vref);
    if (isKernelObject(vref)) {
      if (lref === undefined) {
        if (vref.startsWith('o+')) throw Error(`comms: kernel used ${vref}, which comms never exported`);
        lref = state.allocateObject(KERNEL);
        state.addMapping(KERNEL, vref, lref);
      }
      // A kernel import the kernel hands us is ours to hold (again, if we had dropped it).
      if (vref.startsWith('o-')) state.setReachable(KERNEL, lref);
      return lref;
    }
    if (!isKernelPromise(vref)) throw Error(`comms: cannot accept ${vref} from the kernel`);
    if (lref === undefined) {
      if (vref.startsWith('p+')) throw Error(`comms: kernel used ${vref}, which comms never exported`);
      lref = state.allocatePromise(KERNEL);
      state.addMapping(KERNEL, vref, lref);
      if (!doNotSubscribe?.has(vref)) syscall.subscribe(vref);
    }
    return lref;
  }

  function localForRemote(remoteID: string, rref: string): string {
    const { type, allocatedByRecipient } = parseRemoteRef(rref);
    let lref = state.lookup(remoteID, rref);
    if (lref === undefined) {
      if (allocatedByRecipient) throw Error(`comms: ${remoteID} used ${rref}, which was never sent to it`);
      lref = type === 'object' ? state.allocateObject(remoteID) : state.allocatePromise(remoteID);
      state.addMapping(remoteID, rref, lref);
    }
    if (type === 'object') {
      if (!allocatedByRecipient) state.setReachable(remoteID, lref);
      else if (!state.isReachable(remoteID, lref)) throw Error(`comms: ${remoteID} used ${rref} after dropping it`);
    }
    return lref;
  }

  // ---- refs going out ----

  /** The vref to give the kernel for lref (exporting it if the kernel has never seen it). */
  function kernelForLocal(lref: string): string {
    let vref = state.outbound(KERNEL, lref);
    if (isPromiseLref(lref)) {
      if (vref === undefined) {
        vref = state.allocateKernelPromise();
        state.addMapping(KERNEL, vref, lref);
        const record = state.requirePromise(lref);
        if (record.status === 'unresolved' && record.decider !== KERNEL) {
          state.putPromise(lref, { ...record, kernelSubscribed: true });
        }
      }
      return vref;
    }
    if (vref === undefined) {
      vref = state.allocateKernelObject();
      state.addMapping(KERNEL, vref, lref);
    }
    const { owner } = state.requireObject(lref);
    if (owner === KERNEL) {
      if (!state.isReachable(KERNEL, lref)) throw Error(`comms: sending dropped kernel import ${lref} (${vref})`);
    } else {
      state.setReachable(KERNEL, lref);
    }
    return vref;
  }

  function remoteForLocal(remoteID: string, lref: string): string {
    let rref = state.outbound(remoteID, lref);
    const remote = state.getRemote(remoteID);
    if (isPromiseLref(lref)) {
      if (rref === undefined) {
        const id = remote.nextPromise;
        state.putRemote(remoteID, { ...remote, nextPromise: id + 1 });
        // stored as the remote will write it back to us
        state.addMapping(remoteID, `rp+${id}`, lref);
        rref = `rp-${id}`;
        const record = state.requirePromise(lref);
        if (record.status === 'unresolved' && record.decider !== remoteID && !record.subscribers.includes(remoteID)) {
          state.putPromise(lref, { ...record, subscribers: [...record.subscribers, remoteID].sort() });
        }
      }
      return rref;
    }
    const { owner } = state.requireObject(lref);
    if (owner === remoteID) {
      if (rref === undefined || !state.isReachable(remoteID, lref)) throw Error(`comms: sending dropped import ${lref} to ${remoteID}`);
      return rref;
    }
    if (rref === undefined) {
      const id = remote.nextObject;
      state.putRemote(remoteID, { ...remote, nextObject: id + 1 });
      state.addMapping(remoteID, `ro+${id}`, lref);
      rref = `ro-${id}`;
    }
    state.setReachable(remoteID, lref);
    // The remote's drop counts only once it has seen this message.
    state.setLastSent(remoteID, lref, state.getRemote(remoteID).sendSeq);
    return rref;
  }

  const dataToKernel = (data: CapData): CapData => ({ body: data.body, slots: data.slots.map(kernelForLocal) });
  const dataToRemote = (remoteID: string, data: CapData): CapData => ({
    body: data.body,
    slots: data.slots.map(s => remoteForLocal(remoteID, s)),
  });

  // ---- resolutions ----

  /** Settled promises among `slots` (recursively through their data) not yet in `seen`. */
  function settledAmong(slots: readonly string[], seen: Set<string>): Resolution[] {
    const found: Resolution[] = [];
    const visit = (lref: string): void => {
      if (!isPromiseLref(lref) || seen.has(lref)) return;
      const record = state.getPromise(lref);
      if (record === undefined || record.status === 'unresolved') return;
      seen.add(lref);
      const data = record.data as CapData;
      found.push([lref, record.status === 'rejected', data]);
      data.slots.forEach(visit);
    };
    slots.forEach(visit);
    return found;
  }

  /** Resolutions the kernel needs (plus settled promises their data mentions); its entries retire. */
  function resolveToKernel(resolutions: readonly Resolution[]): void {
    const all = [...resolutions, ...settledAmong(resolutions.flatMap(r => r[2].slots), new Set(resolutions.map(r => r[0])))];
    const kernelResolutions: [string, boolean, CapData][] = all.map(([lpid, rejected, data]) => [
      kernelForLocal(lpid),
      rejected,
      dataToKernel(data),
    ]);
    syscall.resolve(kernelResolutions);
    for (const [lpid] of all) state.deleteMapping(KERNEL, lpid);
  }

  function resolveToRemote(remoteID: string, resolutions: readonly Resolution[]): void {
    const all = [...resolutions, ...settledAmong(resolutions.flatMap(r => r[2].slots), new Set(resolutions.map(r => r[0])))];
    const wire: WireResolution[] = all.map(([lpid, rejected, data]) => ({
      rpid: remoteForLocal(remoteID, lpid),
      rejected,
      data: dataToRemote(remoteID, data),
    }));
    // The remote forgets these on receipt; we forget them once it acks this message.
    const remote = state.getRemote(remoteID);
    const retiring: [number, string][] = all.map(([lpid]) => [remote.sendSeq, lpid]);
    state.putRemote(remoteID, { ...remote, retirements: [...remote.retirements, ...retiring] });
    transmit(remoteID, encodeResolve(wire));
  }

  /** Records the settlements comms now decides, then tells each subscriber. */
  function settle(resolutions: readonly Resolution[]): void {
    const kernelWants: Resolution[] = [];
    const remotesWant = new Map<string, Resolution[]>();
    for (const resolution of resolutions) {
      const [lpid, rejected, data] = resolution;
      const record = state.requirePromise(lpid);
      if (record.status !== 'unresolved') throw Error(`comms: ${lpid} is already resolved`);
      if (record.decider !== 'comms') throw Error(`comms: ${lpid} is decided by ${record.decider}, not comms`);
      if (record.kernelSubscribed) kernelWants.push(resolution);
      for (const remoteID of record.subscribers) remotesWant.set(remoteID, [...(remotesWant.get(remoteID) ?? []), resolution]);
      state.putPromise(lpid, {
        status: rejected ? 'rejected' : 'fulfilled',
        subscribers: [],
        kernelSubscribed: false,
        data,
        refs: record.refs,
      });
      for (const slot of data.slots) state.changeDataRefs(slot, 1);
    }
    for (const remoteID of [...remotesWant.keys()].sort()) resolveToRemote(remoteID, remotesWant.get(remoteID) as Resolution[]);
    if (kernelWants.length > 0) resolveToKernel(kernelWants);
  }

  // ---- messages ----

  interface LocalDelivery {
    target: string;
    methargs: CapData;
    result?: string;
  }

  const undeliverable = (methargs: CapData): CapData => {
    const [method] = kunser(methargs) as [unknown];
    return kser(TypeError(`data is not callable, has no method ${String(method)}`)) as CapData;
  };

  /** Where a message to `target` goes: a party that can take it, or a rejection for its result. */
  function routeOf(target: string, methargs: CapData): { party: Party; target: string } | { reject: CapData } {
    if (!isPromiseLref(target)) return { party: state.requireObject(target).owner, target };
    const record = state.requirePromise(target);
    if (record.status === 'rejected') return { reject: record.data as CapData };
    if (record.status === 'fulfilled') {
      // fulfilled to exactly one object: the message follows it
      const value: unknown = kunser(record.data as CapData);
      const single = (passStyleOf(value as Parameters<typeof passStyleOf>[0]) as string) === 'remotable' ? krefOf(value) : undefined;
      return single !== undefined && !isPromiseLref(single) ? routeOf(single, methargs) : { reject: undeliverable(methargs) };
    }
    if (record.decider === 'comms' || record.decider === undefined) throw Error(`comms: no one to deliver to ${target}`);
    return { party: record.decider, target };
  }

  function sendToKernel(delivery: LocalDelivery): void {
    const target = state.outbound(KERNEL, delivery.target);
    if (target === undefined) throw Error(`comms: ${delivery.target} has no kernel ref`);
    const methargs = dataToKernel(delivery.methargs);
    let result: string | undefined;
    if (delivery.result !== undefined) {
      const record = state.requirePromise(delivery.result);
      state.putPromise(delivery.result, { ...record, decider: KERNEL, kernelSubscribed: false });
      result = kernelForLocal(delivery.result);
    }
    if (result === undefined) syscall.send(target, methargs);
    else {
      syscall.send(target, methargs, result);
      syscall.subscribe(result);
    }
    const settled = settledAmong(delivery.methargs.slots, new Set());
    if (settled.length > 0) resolveToKernel(settled);
  }

  function sendToRemote(remoteID: string, delivery: LocalDelivery): void {
    const target = state.outbound(remoteID, delivery.target);
    if (target === undefined) throw Error(`comms: ${delivery.target} has no ref in ${remoteID}`);
    let result = '';
    if (delivery.result !== undefined) {
      result = remoteForLocal(remoteID, delivery.result);
      const record = state.requirePromise(delivery.result);
      state.putPromise(delivery.result, {
        ...record,
        decider: remoteID,
        subscribers: record.subscribers.filter(s => s !== remoteID),
      });
    }
    const methargs = dataToRemote(remoteID, delivery.methargs);
    transmit(remoteID, encodeDeliver({ target, result, methargs }));
    const settled = settledAmong(delivery.methargs.slots, new Set());
    if (settled.length > 0) resolveToRemote(remoteID, settled);
  }

  function route(delivery: LocalDelivery): void {
    const where = routeOf(delivery.target, delivery.methargs);
    if ('reject' in where) {
      if (delivery.result !== undefined) settle([[delivery.result, true, where.reject]]);
      return;
    }
    const next = { ...delivery, target: where.target };
    if (where.party === KERNEL) sendToKernel(next);
    else sendToRemote(where.party, next);
  }

  // ---- entry points ----

  function sendFromKernel(target: string, methargs: CapData, result: string | undefined): void {
    const ltarget = state.lookup(KERNEL, target);
    if (ltarget === undefined) throw Error(`comms: unknown message target ${target}`);
    const slots = methargs.slots.map(s => localForKernel(s));
    let lresult: string | undefined;
    if (result) {
      lresult = localForKernel(result, new Set([result]));
      const record = state.requirePromise(lresult);
      if (record.status !== 'unresolved' || record.decider !== KERNEL) throw Error(`comms: result ${result} is not the kernel's to give`);
      state.putPromise(lresult, { ...record, decider: 'comms', kernelSubscribed: true });
    }
    route({ target: ltarget, methargs: { body: methargs.body, slots }, ...(lresult === undefined ? {} : { result: lresult }) });
  }

  function resolveFromKernel(resolutions: readonly [string, boolean, CapData][]): void {
    const batch = new Set(resolutions.map(r => r[0]));
    const local: Resolution[] = [];
    for (const [vpid, rejected, data] of resolutions) {
      const lpid = state.lookup(KERNEL, vpid);
      if (lpid === undefined) throw Error(`comms: notified of unknown promise ${vpid}`);
      const record = state.requirePromise(lpid);
      if (record.decider !== KERNEL) throw Error(`comms: kernel resolved ${vpid} but ${record.decider} decides it`);
      state.putPromise(lpid, { ...record, decider: 'comms' });
      local.push([lpid, rejected, { body: data.body, slots: data.slots.map(s => localForKernel(s, batch)) }]);
    }
    // The kernel has forgotten these promises in our c-list.
    for (const [lpid] of local) state.deleteMapping(KERNEL, lpid);
    settle(local);
  }

  function deliverFromRemote(remoteID: string, body: string): void {
    const { target, result, methargs } = decodeDeliver(body);
    const ltarget = state.lookup(remoteID, target);
    if (ltarget === undefined) throw Error(`comms: ${remoteID} sent to unknown ${target}`);
    if (!isPromiseLref(ltarget) && !state.isReachable(remoteID, ltarget)) throw Error(`comms: ${remoteID} sent to dropped ${target}`);
    let lresult: string | undefined;
    if (result !== '') {
      lresult = localForRemote(remoteID, result);
      const record = state.requirePromise(lresult);
      if (record.status !== 'unresolved' || record.decider !== remoteID) throw Error(`comms: result ${result} is not ${remoteID}'s to give`);
      state.putPromise(lresult, { ...record, decider: 'comms', subscribers: [...new Set([...record.subscribers, remoteID])].sort() });
    }
    const slots = methargs.slots.map(s => localForRemote(remoteID, s));
    route({ target: ltarget, methargs: { body: methargs.body, slots }, ...(lresult === undefined ? {} : { result: lresult }) });
  }

  function resolveFromRemote(remoteID: string, body: string): void {
    const local: Resolution[] = [];
    for (const { rpid, rejected, data } of decodeResolve(body)) {
      const lpid = state.lookup(remoteID, rpid);
      if (lpid === undefined) throw Error(`comms: ${remoteID} resolved unknown ${rpid}`);
      const record = state.requirePromise(lpid);
      if (record.decider !== remoteID) throw Error(`comms: ${remoteID} resolved ${rpid} but ${record.decider} decides it`);
      state.putPromise(lpid, { ...record, decider: 'comms' });
      local.push([lpid, rejected, { body: data.body, slots: data.slots.map(s => localForRemote(remoteID, s)) }]);
    }
    for (const [lpid] of local) state.deleteMapping(remoteID, lpid);
    settle(local);
  }

  /** The peer has seen everything up to ackSeqNum: promise entries waiting on that retire. */
  function ackFromRemote(remoteID: string, ackSeqNum: number): void {
    const remote = state.getRemote(remoteID);
    const ready = remote.retirements.filter(([seq]) => seq <= ackSeqNum);
    if (ready.length === 0) return;
    state.putRemote(remoteID, { ...remote, retirements: remote.retirements.filter(([seq]) => seq > ackSeqNum) });
    for (const [, lpid] of ready) {
      if (state.outbound(remoteID, lpid) !== undefined) state.deleteMapping(remoteID, lpid);
    }
  }

  return {
    localForKernel,
    localForRemote,
    kernelForLocal,
    sendFromKernel,
    resolveFromKernel,
    deliverFromRemote,
    resolveFromRemote,
    ackFromRemote,
  };
}
