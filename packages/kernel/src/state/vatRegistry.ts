// Which vats and devices exist: IDs, static names (`vat.name.<NAME>`,
// `vat.names`), dynamic IDs, the terminated-but-not-yet-deleted list
// (`vats.terminated`, cached in RAM), device names, and upgrade IDs.
import { KernelError } from '../shared/errors.js';
import { insistVatID, makeDeviceID, makeVatID } from '../shared/refs.js';
import { FIRST_DEVICE_ID, FIRST_VAT_ID, keys } from './kvSchema.js';
import { allocateFrom, enumeratePrefixedKeys, getNat, getRequired, parseJSON, type KVStore } from './kv.js';
import type { KernelStats } from './stats.js';

export interface VatRegistry {
  allocateUnusedVatID(): string;
  allocateVatIDForNameIfNeeded(name: string): string;
  hasVatWithName(name: string): boolean;
  getVatIDForName(name: string): string;
  addDynamicVatID(vatID: string): void;
  /** [name, vatID] in `vat.name.` key order. */
  getStaticVats(): [string, string][];
  getDynamicVats(): string[];
  /** Vats with state (alive or awaiting deletion), in ID order. */
  getAllVatIDs(): string[];
  /** Removes the vat from the static or dynamic lists. */
  deleteVatID(vatID: string): void;
  vatIsAlive(vatID: string): boolean;
  isTerminated(vatID: string): boolean;
  markVatAsTerminated(vatID: string): void;
  getFirstTerminatedVat(): string | undefined;
  forgetTerminatedVat(vatID: string): void;
  /** Reloads the terminated-vat cache from kv (startup, rollback). */
  reloadTerminated(): void;
  allocateUpgradeID(): string;
  allocateDeviceIDForNameIfNeeded(name: string): string;
  getDeviceIDForName(name: string): string | undefined;
  /** [name, deviceID] in `device.name.` key order. */
  getDevices(): [string, string][];
  getAllDeviceIDs(): string[];
}

export function makeVatRegistry(kv: KVStore, stats: KernelStats): VatRegistry {
  let terminated: string[] = [];

  function allocateUnusedVatID(): string {
    stats.incStat('vats');
    return makeVatID(allocateFrom(kv, keys.vatNextID));
  }

  const getStaticVats = (): [string, string][] =>
    [...enumeratePrefixedKeys(kv, keys.vatNamePrefix)].map(({ key, suffix }) => [suffix, getRequired(kv, key)]);

  return {
    allocateUnusedVatID,
    allocateVatIDForNameIfNeeded(name) {
      const key = keys.vatName(name);
      if (!kv.has(key)) {
        kv.set(key, allocateUnusedVatID());
        const names = parseJSON<string[]>(kv, keys.vatNames);
        names.push(name);
        kv.set(keys.vatNames, JSON.stringify(names));
      }
      return getRequired(kv, key);
    },
    hasVatWithName: name => kv.has(keys.vatName(name)),
    getVatIDForName(name) {
      if (typeof name !== 'string') throw new KernelError('BAD_ARGUMENT', `vat name must be a string, got ${typeof name}`);
      const vatID = kv.get(keys.vatName(name));
      if (vatID === undefined) throw new KernelError('BAD_ARGUMENT', `vat name ${JSON.stringify(name)} must exist, but doesn't`);
      return vatID;
    },
    addDynamicVatID(vatID) {
      const ids = parseJSON<string[]>(kv, keys.vatDynamicIDs);
      ids.push(vatID);
      kv.set(keys.vatDynamicIDs, JSON.stringify(ids));
    },
    getStaticVats,
    getDynamicVats: () => parseJSON<string[]>(kv, keys.vatDynamicIDs),
    getAllVatIDs() {
      const next = getNat(kv, keys.vatNextID);
      const ids: string[] = [];
      for (let i = FIRST_VAT_ID; i < next; i += 1) {
        const vatID = makeVatID(i);
        if (kv.has(keys.vatONextID(vatID))) ids.push(vatID);
      }
      return ids;
    },
    deleteVatID(vatID) {
      const dynamic = parseJSON<string[]>(kv, keys.vatDynamicIDs);
      const remaining = dynamic.filter(id => id !== vatID);
      if (remaining.length !== dynamic.length) {
        kv.set(keys.vatDynamicIDs, JSON.stringify(remaining));
        return;
      }
      for (const [name, id] of getStaticVats()) {
        if (id === vatID) {
          kv.delete(keys.vatName(name));
          const names = parseJSON<string[]>(kv, keys.vatNames).filter(n => n !== name);
          kv.set(keys.vatNames, JSON.stringify(names));
          break;
        }
      }
      stats.decStat('vats');
    },
    vatIsAlive(vatID) {
      insistVatID(vatID);
      return kv.has(keys.vatONextID(vatID)) && !terminated.includes(vatID);
    },
    isTerminated: vatID => terminated.includes(vatID),
    markVatAsTerminated(vatID) {
      if (!terminated.includes(vatID)) {
        terminated.push(vatID);
        kv.set(keys.vatsTerminated, JSON.stringify(terminated));
      }
    },
    getFirstTerminatedVat: () => terminated[0],
    forgetTerminatedVat(vatID) {
      terminated = terminated.filter(id => id !== vatID);
      kv.set(keys.vatsTerminated, JSON.stringify(terminated));
    },
    reloadTerminated() {
      terminated = JSON.parse(kv.get(keys.vatsTerminated) ?? '[]') as string[];
    },
    allocateUpgradeID: () => `up${allocateFrom(kv, keys.vatNextUpgradeID)}`,
    allocateDeviceIDForNameIfNeeded(name) {
      const key = keys.deviceName(name);
      if (!kv.has(key)) {
        kv.set(key, makeDeviceID(allocateFrom(kv, keys.deviceNextID)));
        const names = parseJSON<string[]>(kv, keys.deviceNames);
        names.push(name);
        kv.set(keys.deviceNames, JSON.stringify(names));
      }
      return getRequired(kv, key);
    },
    getDeviceIDForName: name => kv.get(keys.deviceName(name)),
    getDevices: () =>
      [...enumeratePrefixedKeys(kv, keys.deviceNamePrefix)].map(({ key, suffix }) => [suffix, getRequired(kv, key)]),
    getAllDeviceIDs() {
      const next = getNat(kv, keys.deviceNextID);
      const ids: string[] = [];
      for (let i = FIRST_DEVICE_ID; i < next; i += 1) {
        const deviceID = makeDeviceID(i);
        if (kv.has(keys.vatONextID(deviceID))) ids.push(deviceID);
      }
      return ids;
    },
  };
}
