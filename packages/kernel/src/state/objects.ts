// The kernel object table (`ko<N>.owner`, `ko<N>.refCount`), the device
// node table (`kd<N>.owner`) and pins (`pinnedObjects`).
import { KernelError } from '../shared/errors.js';
import { insistDeviceID, insistKrefType, insistVatID, makeKref } from '../shared/refs.js';
import { keys } from './kvSchema.js';
import { allocateFrom, commaSplit, type KVStore } from './kv.js';
import type { Refcounts } from './refcounts.js';
import type { KernelStats } from './stats.js';

export interface ObjectTable {
  addKernelObject(ownerID: string): string;
  kernelObjectExists(kref: string): boolean;
  /** The owner, or undefined if orphaned or owned by a terminated vat. */
  ownerOfKernelObject(kref: string): string | undefined;
  /** The stored owner key, even for a terminated owner. */
  rawOwnerOf(kref: string): string | undefined;
  deleteKernelObject(kref: string): void;
  addKernelDeviceNode(deviceID: string): string;
  ownerOfKernelDevice(kref: string): string;
  pinObject(kref: string): void;
  pinnedObjects(): string[];
}

export function makeObjectTable(
  kv: KVStore,
  stats: KernelStats,
  refcounts: Refcounts,
  isTerminated: (vatID: string) => boolean,
): ObjectTable {
  return {
    addKernelObject(ownerID) {
      insistVatID(ownerID);
      const kref = makeKref('object', allocateFrom(kv, keys.koNextID));
      kv.set(keys.owner(kref), ownerID);
      refcounts.setObjectRefCount(kref, { reachable: 0, recognizable: 0 });
      stats.incStat('kernelObjects');
      return kref;
    },
    kernelObjectExists: kref => kv.has(keys.refCount(kref)),
    ownerOfKernelObject(kref) {
      insistKrefType('object', kref);
      const owner = kv.get(keys.owner(kref));
      if (!owner) return undefined;
      insistVatID(owner);
      return isTerminated(owner) ? undefined : owner;
    },
    rawOwnerOf: kref => kv.get(keys.owner(kref)) || undefined,
    deleteKernelObject(kref) {
      kv.delete(keys.owner(kref));
      kv.delete(keys.refCount(kref));
      stats.decStat('kernelObjects');
    },
    addKernelDeviceNode(deviceID) {
      insistDeviceID(deviceID);
      const kref = makeKref('device', allocateFrom(kv, keys.kdNextID));
      kv.set(keys.owner(kref), deviceID);
      stats.incStat('kernelDevices');
      return kref;
    },
    ownerOfKernelDevice(kref) {
      insistKrefType('device', kref);
      const owner = kv.get(keys.owner(kref));
      if (owner === undefined) throw new KernelError('BAD_REF', `unknown device node ${kref}`);
      return insistDeviceID(owner);
    },
    pinObject(kref) {
      const pinned = new Set(commaSplit(kv.get(keys.pinnedObjects) ?? ''));
      if (!pinned.has(kref)) {
        refcounts.incrementRefCount(kref, 'pin');
        pinned.add(kref);
        kv.set(keys.pinnedObjects, [...pinned].sort().join(','));
      }
    },
    pinnedObjects: () => commaSplit(kv.get(keys.pinnedObjects) ?? ''),
  };
}
