// Per-device kernel state: a c-list without reachability flags
// (`d<N>.c.<kref>` = devSlot, `d<N>.c.<devSlot>` = kref), import allocators
// (o-10, d-20, p-30), source/options and the device's own state blob.
// Devices count as full importers of the objects they hold.
import { KernelError } from '../shared/errors.js';
import { insistDeviceID, makeVref, parseKref, parseVref } from '../shared/refs.js';
import {
  FIRST_DEVICE_IMPORT_DEVICE_ID,
  FIRST_DEVICE_IMPORT_OBJECT_ID,
  FIRST_DEVICE_IMPORT_PROMISE_ID,
  keys,
} from './kvSchema.js';
import { allocateFrom, enumeratePrefixedKeys, getRequired, parseJSON, type KVStore } from './kv.js';
import type { ObjectTable } from './objects.js';
import type { Refcounts } from './refcounts.js';

export interface DeviceSourceAndOptions {
  source: { bundleID: string };
  options: { deviceParameters?: Record<string, unknown>; unendowed?: boolean; [key: string]: unknown };
}

export interface DeviceKeeper {
  readonly deviceID: string;
  getSourceAndOptions(): DeviceSourceAndOptions;
  setSourceAndOptions(source: { bundleID: string }, options: DeviceSourceAndOptions['options']): void;
  mapDeviceSlotToKernelSlot(devSlot: string): string;
  mapKernelSlotToDeviceSlot(kref: string): string;
  getDeviceState(): unknown;
  setDeviceState(value: unknown): void;
  dumpState(): [string, string, string][];
}

export function initializeDeviceState(kv: KVStore, deviceID: string): void {
  kv.set(keys.vatONextID(deviceID), `${FIRST_DEVICE_IMPORT_OBJECT_ID}`);
  kv.set(keys.vatDNextID(deviceID), `${FIRST_DEVICE_IMPORT_DEVICE_ID}`);
  kv.set(keys.vatPNextID(deviceID), `${FIRST_DEVICE_IMPORT_PROMISE_ID}`);
}

export function makeDeviceKeeper(
  kv: KVStore,
  deviceID: string,
  tools: { objects: ObjectTable; refcounts: Refcounts },
): DeviceKeeper {
  insistDeviceID(deviceID);
  const clistKey = (ref: string) => keys.clist(deviceID, ref);
  return {
    deviceID,
    getSourceAndOptions: () => ({
      source: parseJSON<{ bundleID: string }>(kv, keys.vatSource(deviceID)),
      options: parseJSON<DeviceSourceAndOptions['options']>(kv, keys.vatOptions(deviceID)),
    }),
    setSourceAndOptions(source, options) {
      kv.set(keys.vatSource(deviceID), JSON.stringify(source));
      kv.set(keys.vatOptions(deviceID), JSON.stringify(options));
    },
    mapDeviceSlotToKernelSlot(devSlot) {
      if (typeof devSlot !== 'string') throw new KernelError('BAD_REF', `non-string devSlot ${JSON.stringify(devSlot)}`);
      const devKey = clistKey(devSlot);
      if (!kv.has(devKey)) {
        const { type, allocatedByVat } = parseVref(devSlot);
        if (!allocatedByVat) throw new KernelError('BAD_REF', `unknown devSlot ${devSlot} in ${deviceID}`);
        if (type !== 'device') throw new KernelError('BAD_REF', `devices can only export device nodes, not ${devSlot}`);
        const kref = tools.objects.addKernelDeviceNode(deviceID);
        kv.set(clistKey(kref), devSlot);
        kv.set(devKey, kref);
      }
      return getRequired(kv, devKey);
    },
    mapKernelSlotToDeviceSlot(kref) {
      if (typeof kref !== 'string') throw new KernelError('BAD_REF', 'non-string kernelSlot');
      const krefKey = clistKey(kref);
      if (!kv.has(krefKey)) {
        const { type } = parseKref(kref);
        const counterKey =
          type === 'object'
            ? keys.vatONextID(deviceID)
            : type === 'device'
              ? keys.vatDNextID(deviceID)
              : keys.vatPNextID(deviceID);
        const devSlot = makeVref(type, false, allocateFrom(kv, counterKey));
        tools.refcounts.incrementRefCount(kref, `${deviceID}|dk|clist`, { isExport: false, onlyRecognizable: false });
        kv.set(clistKey(devSlot), kref);
        kv.set(krefKey, devSlot);
      }
      return getRequired(kv, krefKey);
    },
    getDeviceState() {
      const text = kv.get(keys.deviceState(deviceID));
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    setDeviceState(value) {
      kv.set(keys.deviceState(deviceID), JSON.stringify(value));
    },
    dumpState() {
      const rows: [string, string, string][] = [];
      for (const { key, suffix } of enumeratePrefixedKeys(kv, keys.clistPrefix(deviceID))) {
        if (!suffix.startsWith('k')) rows.push([getRequired(kv, key), deviceID, suffix]);
      }
      return rows;
    },
  };
}
