// The comms vat's tables, kept in the vatstore (the comms vat has no
// transcript, so this is all that survives a restart). Keys:
//   counters            JSON Counters
//   rname.<name>        remote ID for a remote name
//   remote.<rid>        JSON RemoteRecord
//   meta.<kernel vref>  'controller' or the remote ID whose receiver it is
//   o.<lref>            JSON ObjectRecord   (local objects: lo<N>)
//   p.<lpid>            JSON PromiseRecord  (local promises: lp<N>)
//   c.<party>.<ref>     lref for a ref as <party> writes it
//   c.<party>.<lref>    the ref to write when sending lref to <party>
//   cr.<party>.<lref>   '1' while the party's side of the entry is reachable
//   ls.<rid>.<lref>     sequence number of the last message that carried lref to rid
// A party is 'kernel' or a remote ID (r1, r2, ...).
import { flipRemoteRef } from './wire.js';

export const KERNEL = 'kernel';
export type Party = string;

export interface CommsSyscallStore {
  vatstoreGet(key: string): string | undefined;
  vatstoreSet(key: string, value: string): void;
  vatstoreDelete(key: string): void;
}

export interface Counters {
  nextObject: number;
  nextPromise: number;
  nextKernelObject: number;
  nextKernelPromise: number;
  nextRemote: number;
  identifierBase: number;
  explicitSeqNums: boolean;
}

export interface RemoteRecord {
  name: string;
  transmitter: string;
  receiver: string;
  sendSeq: number;
  recvSeq: number;
  nextObject: number;
  nextPromise: number;
  /** [seqNum of the resolve message, lpid]: mappings to drop once the peer acks it. */
  retirements: [number, string][];
}

export interface ObjectRecord {
  owner: Party;
  /** Parties with a c-list entry for this object (the owner included while it has one). */
  parties: Party[];
  /** References from resolved promises' data held here. */
  dataRefs: number;
}

export interface CapData {
  body: string;
  slots: string[];
}

export interface PromiseRecord {
  status: 'unresolved' | 'fulfilled' | 'rejected';
  /** Who may resolve it ('kernel', 'comms' or a remote ID); absent once resolved. */
  decider?: Party;
  /** Remotes to tell the resolution. */
  subscribers: string[];
  kernelSubscribed: boolean;
  data?: CapData;
  /** c-list entries plus references from other resolved promises' data. */
  refs: number;
}

export const isPromiseLref = (lref: string): boolean => lref.startsWith('lp');
export const isObjectLref = (lref: string): boolean => lref.startsWith('lo');

export type CommsState = ReturnType<typeof makeCommsState>;

export function makeCommsState(syscall: CommsSyscallStore) {
  const get = (key: string): string | undefined => {
    const value = syscall.vatstoreGet(key);
    return value === null ? undefined : value;
  };
  const set = (key: string, value: string): void => syscall.vatstoreSet(key, value);
  const del = (key: string): void => syscall.vatstoreDelete(key);
  const getJSON = <T>(key: string): T | undefined => {
    const text = get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  };
  const requireJSON = <T>(key: string, what: string): T => {
    const value = getJSON<T>(key);
    if (value === undefined) throw Error(`comms: no ${what} (${key})`);
    return value;
  };
  const setJSON = (key: string, value: unknown): void => set(key, JSON.stringify(value));

  /** Touched lrefs: looked at for GC at the end of the delivery. */
  const maybeFree = new Set<string>();

  const counters = (): Counters => requireJSON<Counters>('counters', 'counters (startVat has not run)');
  const bump = (field: 'nextObject' | 'nextPromise' | 'nextKernelObject' | 'nextKernelPromise' | 'nextRemote'): number => {
    const c = counters();
    const value = c[field];
    c[field] = value + 1;
    setJSON('counters', c);
    return value;
  };

  const state = {
    isInitialized: (): boolean => get('counters') !== undefined,
    initialize(identifierBase: number, explicitSeqNums: boolean): void {
      const c: Counters = {
        nextObject: identifierBase + 10,
        nextPromise: identifierBase + 20,
        nextKernelObject: identifierBase + 30,
        nextKernelPromise: identifierBase + 40,
        nextRemote: 1,
        identifierBase,
        explicitSeqNums,
      };
      setJSON('counters', c);
    },
    counters,
    setExplicitSeqNums(explicit: boolean): void {
      setJSON('counters', { ...counters(), explicitSeqNums: explicit });
    },
    allocateKernelObject: (): string => `o+${bump('nextKernelObject')}`,
    allocateKernelPromise: (): string => `p+${bump('nextKernelPromise')}`,

    // meta objects: the controller and the receivers
    getMeta: (vref: string): string | undefined => get(`meta.${vref}`),
    setMeta: (vref: string, what: string): void => set(`meta.${vref}`, what),

    // remotes
    addRemote(name: string, transmitter: string): { remoteID: string; receiver: string } {
      if (!/^[-\w.+]+$/.test(name)) throw Error(`comms: not a valid remote name: ${JSON.stringify(name)}`);
      if (get(`rname.${name}`) !== undefined) throw Error(`comms: remote name ${name} already in use`);
      const remoteID = `r${bump('nextRemote')}`;
      const c = counters();
      const base = c.identifierBase;
      setJSON('counters', { ...c, identifierBase: base + 1000 });
      const receiver = state.allocateKernelObject();
      const record: RemoteRecord = {
        name,
        transmitter,
        receiver,
        sendSeq: 1,
        recvSeq: 0,
        nextObject: base + 20,
        nextPromise: base + 40,
        retirements: [],
      };
      setJSON(`remote.${remoteID}`, record);
      set(`rname.${name}`, remoteID);
      state.setMeta(receiver, remoteID);
      return { remoteID, receiver };
    },
    remoteIDForName: (name: string): string | undefined => get(`rname.${name}`),
    getRemote: (remoteID: string): RemoteRecord => requireJSON<RemoteRecord>(`remote.${remoteID}`, `remote ${remoteID}`),
    putRemote: (remoteID: string, record: RemoteRecord): void => setJSON(`remote.${remoteID}`, record),

    // objects
    allocateObject(owner: Party): string {
      const lref = `lo${bump('nextObject')}`;
      const record: ObjectRecord = { owner, parties: [], dataRefs: 0 };
      setJSON(`o.${lref}`, record);
      maybeFree.add(lref); // collected at the end of the delivery if nobody took it
      return lref;
    },
    getObject: (lref: string): ObjectRecord | undefined => getJSON<ObjectRecord>(`o.${lref}`),
    requireObject: (lref: string): ObjectRecord => requireJSON<ObjectRecord>(`o.${lref}`, `object ${lref}`),
    putObject: (lref: string, record: ObjectRecord): void => setJSON(`o.${lref}`, record),
    deleteObject: (lref: string): void => del(`o.${lref}`),

    // promises
    allocatePromise(decider: Party): string {
      const lpid = `lp${bump('nextPromise')}`;
      const record: PromiseRecord = { status: 'unresolved', decider, subscribers: [], kernelSubscribed: false, refs: 0 };
      setJSON(`p.${lpid}`, record);
      maybeFree.add(lpid);
      return lpid;
    },
    getPromise: (lpid: string): PromiseRecord | undefined => getJSON<PromiseRecord>(`p.${lpid}`),
    requirePromise: (lpid: string): PromiseRecord => requireJSON<PromiseRecord>(`p.${lpid}`, `promise ${lpid}`),
    putPromise: (lpid: string, record: PromiseRecord): void => setJSON(`p.${lpid}`, record),
    deletePromise: (lpid: string): void => del(`p.${lpid}`),

    /** Adds to (or takes from) an lref's count of references from promise data. */
    changeDataRefs(lref: string, delta: number): void {
      if (isPromiseLref(lref)) {
        const record = state.requirePromise(lref);
        record.refs += delta;
        state.putPromise(lref, record);
      } else {
        const record = state.requireObject(lref);
        record.dataRefs += delta;
        state.putObject(lref, record);
      }
      maybeFree.add(lref);
    },

    // c-lists
    lookup: (party: Party, ref: string): string | undefined => get(`c.${party}.${ref}`),
    outbound: (party: Party, lref: string): string | undefined => get(`c.${party}.${lref}`),
    /** A c-list entry for `ref` as the party writes it in messages to us. */
    addMapping(party: Party, ref: string, lref: string): void {
      if (get(`c.${party}.${ref}`) !== undefined) throw Error(`comms: ${party} already has ${ref}`);
      if (get(`c.${party}.${lref}`) !== undefined) throw Error(`comms: ${party} already has ${lref}`);
      set(`c.${party}.${ref}`, lref);
      set(`c.${party}.${lref}`, party === KERNEL ? ref : flipRemoteRef(ref));
      if (isPromiseLref(lref)) {
        const record = state.requirePromise(lref);
        record.refs += 1;
        state.putPromise(lref, record);
      } else {
        const record = state.requireObject(lref);
        record.parties = [...record.parties, party].sort();
        state.putObject(lref, record);
      }
    },
    deleteMapping(party: Party, lref: string): void {
      const out = get(`c.${party}.${lref}`);
      if (out === undefined) throw Error(`comms: ${party} has no entry for ${lref}`);
      del(`c.${party}.${lref}`);
      del(`c.${party}.${party === KERNEL ? out : flipRemoteRef(out)}`);
      del(`cr.${party}.${lref}`);
      del(`ls.${party}.${lref}`);
      if (isPromiseLref(lref)) {
        const record = state.getPromise(lref);
        if (record) {
          record.refs -= 1;
          state.putPromise(lref, record);
        }
      } else {
        const record = state.requireObject(lref);
        record.parties = record.parties.filter(p => p !== party);
        state.putObject(lref, record);
      }
      maybeFree.add(lref);
    },
    isReachable: (party: Party, lref: string): boolean => get(`cr.${party}.${lref}`) !== undefined,
    setReachable: (party: Party, lref: string): void => set(`cr.${party}.${lref}`, '1'),
    clearReachable(party: Party, lref: string): void {
      del(`cr.${party}.${lref}`);
      maybeFree.add(lref);
    },
    setLastSent: (remoteID: string, lref: string, seqNum: number): void => set(`ls.${remoteID}.${lref}`, `${seqNum}`),
    getLastSent: (remoteID: string, lref: string): number => Number(get(`ls.${remoteID}.${lref}`) ?? '0'),

    maybeFree,
  };
  return state;
}
