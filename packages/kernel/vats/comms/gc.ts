// Garbage collection across comms: what the kernel and the remotes tell us
// they dropped or retired, and, at the end of every delivery, what we can in
// turn tell the owners (drop, then retire, once no importer holds an object)
// and the importers (retire, once the owner has retired it).
//
// An object's importers are the parties with a c-list entry for it other
// than its owner. It is reachable while an importer's entry is marked
// reachable or resolved promise data here mentions it, and recognizable
// while any importer has an entry at all or promise data mentions it.
// A remote's drop or retire counts only if the remote had seen our latest
// message carrying the object (its ack covers our lastSent for it):
// otherwise that message re-imports it there and the remote will drop it
// again later.
import { decodeGC, encodeGC, type WireGC } from './wire.js';
import { isPromiseLref, KERNEL, type CommsState, type Party } from './state.js';
import type { CommsSyscall, Transmit } from './routing.js';

export type KernelGCKind = 'dropExports' | 'retireExports' | 'retireImports';

interface Outgoing {
  drop: string[];
  retireOwner: string[];
  retireImporter: string[];
}

export function makeCommsGC(state: CommsState, syscall: CommsSyscall, transmit: Transmit) {
  function gcFromKernel(kind: KernelGCKind, vrefs: readonly string[]): void {
    for (const vref of vrefs) {
      if (state.getMeta(vref) !== undefined || vref === 'o+0') continue; // controller and receivers are never collected
      const lref = state.lookup(KERNEL, vref);
      if (lref === undefined) continue;
      if (kind === 'dropExports') state.clearReachable(KERNEL, lref);
      else state.deleteMapping(KERNEL, lref);
    }
  }

  function gcFromRemote(remoteID: string, body: string, ackSeqNum: number): void {
    for (const { kind, rref } of decodeGC(body)) {
      const lref = state.lookup(remoteID, rref);
      if (lref === undefined) continue;
      if (kind === 'retireImport') {
        state.deleteMapping(remoteID, lref);
        continue;
      }
      if (ackSeqNum < state.getLastSent(remoteID, lref)) continue; // a newer send is on its way there
      if (kind === 'dropExport') state.clearReachable(remoteID, lref);
      else state.deleteMapping(remoteID, lref);
    }
  }

  function releasePromise(lpid: string): void {
    const record = state.getPromise(lpid);
    if (record === undefined || record.refs > 0) return;
    state.deletePromise(lpid);
    for (const slot of record.data?.slots ?? []) state.changeDataRefs(slot, -1);
  }

  function examineObject(lref: string, work: (party: Party) => Outgoing, refOf: Map<string, string>): void {
    const record = state.getObject(lref);
    if (record === undefined) return;
    const { owner, parties, dataRefs } = record;
    const importers = parties.filter(p => p !== owner);
    if (!parties.includes(owner)) {
      // The owner retired it: nobody can use it any more.
      for (const importer of importers) {
        refOf.set(`${importer} ${lref}`, state.outbound(importer, lref) as string);
        work(importer).retireImporter.push(lref);
        state.deleteMapping(importer, lref);
      }
      if (dataRefs === 0) state.deleteObject(lref);
      return;
    }
    const reachable = dataRefs > 0 || importers.some(p => state.isReachable(p, lref));
    const recognizable = dataRefs > 0 || importers.length > 0;
    if (!reachable && state.isReachable(owner, lref)) {
      refOf.set(`${owner} ${lref}`, state.outbound(owner, lref) as string);
      work(owner).drop.push(lref);
      state.clearReachable(owner, lref);
    }
    if (!recognizable) {
      refOf.set(`${owner} ${lref}`, state.outbound(owner, lref) as string);
      work(owner).retireOwner.push(lref);
      state.deleteMapping(owner, lref);
      state.deleteObject(lref);
    }
  }

  /** End of delivery: settle everything touched, then tell the kernel and the remotes. */
  function processGC(): void {
    const outgoing = new Map<Party, Outgoing>();
    const work = (party: Party): Outgoing => {
      let entry = outgoing.get(party);
      if (entry === undefined) {
        entry = { drop: [], retireOwner: [], retireImporter: [] };
        outgoing.set(party, entry);
      }
      return entry;
    };
    const refOf = new Map<string, string>();
    const { maybeFree } = state;
    while (maybeFree.size > 0) {
      const lrefs = [...maybeFree].sort();
      maybeFree.clear();
      for (const lref of lrefs) {
        if (isPromiseLref(lref)) releasePromise(lref);
        else examineObject(lref, work, refOf);
      }
    }
    for (const party of [...outgoing.keys()].sort()) {
      const { drop, retireOwner, retireImporter } = outgoing.get(party) as Outgoing;
      const refs = (lrefs: string[]): string[] => lrefs.map(lref => refOf.get(`${party} ${lref}`) as string).sort();
      if (party === KERNEL) {
        if (drop.length > 0) syscall.dropImports(refs(drop));
        if (retireOwner.length > 0) syscall.retireImports(refs(retireOwner));
        if (retireImporter.length > 0) syscall.retireExports(refs(retireImporter));
        continue;
      }
      const lines: WireGC[] = [
        ...refs(drop).map(rref => ({ kind: 'dropExport' as const, rref })),
        ...refs(retireOwner).map(rref => ({ kind: 'retireExport' as const, rref })),
        ...refs(retireImporter).map(rref => ({ kind: 'retireImport' as const, rref })),
      ];
      if (lines.length > 0) transmit(party, encodeGC(lines));
    }
  }

  return { gcFromKernel, gcFromRemote, processGC };
}
