// The device-side runtime for `buildRootDeviceNode` devices: marshalling
// with device slots (d+N exports, o-N imports), SO(presence) for sendOnly
// messages, and device state kept as capdata.
import { Far, passStyleOf } from '@endo/far';
import { makeMarshal } from '@endo/marshal';
import { insistCapData } from '../shared/capdata.js';
import { KernelError } from '../shared/errors.js';
import { makeVref, parseVref } from '../shared/refs.js';
import type { CapData } from '../shared/types.js';

/** What a device may ask the kernel for. */
export interface DeviceSyscall {
  sendOnly(target: string, methargs: CapData): void;
  vatstoreGet(key: string): string | undefined;
  vatstoreSet(key: string, value: string): void;
  vatstoreDelete(key: string): void;
  callKernelHook(name: string, args: CapData): CapData;
}

export interface DeviceStateCell {
  get(): unknown;
  set(value: unknown): void;
}

export type DeviceInvocationResult = [status: 'ok', data: CapData] | [status: 'error', problem: string];

export interface DeviceDispatch {
  invoke(target: string, method: string, args: CapData): DeviceInvocationResult;
}

export interface RootDeviceNodeTools {
  SO(presence: unknown): Record<string, (...args: unknown[]) => void>;
  getDeviceState(): unknown;
  setDeviceState(value: unknown): void;
  testLog(...args: unknown[]): void;
  endowments: unknown;
  deviceParameters: Record<string, unknown>;
  serialize(value: unknown): CapData;
}

export function makeDeviceSlots(
  syscall: DeviceSyscall,
  state: DeviceStateCell,
  buildRootDeviceNode: (tools: RootDeviceNodeTools) => unknown,
  deviceName: string,
  endowments: unknown,
  testLog: (...args: unknown[]) => void,
  deviceParameters: Record<string, unknown>,
): DeviceDispatch {
  const valToSlot = new WeakMap<object, string>();
  const slotToVal = new Map<string, object>();
  const proxies = new WeakSet<object>();
  let nextExportID = 1;

  const convertValToSlot = (val: unknown): string => {
    const obj = val as object;
    let slot = valToSlot.get(obj);
    if (slot === undefined) {
      if ((passStyleOf(val as Parameters<typeof passStyleOf>[0]) as string) !== 'remotable') {
        throw new KernelError('BAD_DATA', `device ${deviceName} can only export remotables`);
      }
      slot = makeVref('device', true, nextExportID);
      nextExportID += 1;
      valToSlot.set(obj, slot);
      slotToVal.set(slot, obj);
    }
    return slot;
  };

  const convertSlotToVal = (slot: string, iface?: string): unknown => {
    let val = slotToVal.get(slot);
    if (val === undefined) {
      const { type, allocatedByVat } = parseVref(slot);
      if (allocatedByVat) throw new KernelError('BAD_REF', `device ${deviceName} does not remember allocating ${slot}`);
      if (type !== 'object') throw new KernelError('BAD_REF', `devices cannot be given ${type} ${slot}`);
      val = Far(iface?.replace(/^Alleged: /, '') ?? 'presence', {});
      slotToVal.set(slot, val);
      valToSlot.set(val, slot);
    }
    return val;
  };

  const m = makeMarshal<string>(convertValToSlot, convertSlotToVal as never, {
    marshalName: `device:${deviceName}`,
    serializeBodyFormat: 'smallcaps',
    errorIdNum: 50_000,
  });
  const serialize = (value: unknown): CapData => {
    const { body, slots } = m.toCapData(harden(value) as never);
    return { body, slots: [...slots] };
  };

  function SO(presence: unknown): Record<string, (...args: unknown[]) => void> {
    if (proxies.has(presence as object)) throw new KernelError('BAD_ARGUMENT', 'SO(SO(x)) is invalid');
    const slot = valToSlot.get(presence as object);
    if (slot === undefined || parseVref(slot).type !== 'object') {
      throw new KernelError('BAD_ARGUMENT', 'SO(x) must be called on a Presence');
    }
    const proxy = new Proxy(
      {},
      {
        get: (_target, prop) => {
          if (typeof prop !== 'string' && typeof prop !== 'symbol') return undefined;
          return (...args: unknown[]) => syscall.sendOnly(slot, serialize([prop, args]));
        },
        has: () => true,
      },
    ) as Record<string, (...args: unknown[]) => void>;
    proxies.add(proxy);
    return proxy;
  }

  const root = buildRootDeviceNode({
    SO,
    getDeviceState: () => {
      const stored = state.get();
      if (!stored) return undefined;
      insistCapData(stored, `device ${deviceName} state`);
      return m.fromCapData(stored);
    },
    setDeviceState: value => state.set(serialize(value)),
    testLog,
    endowments,
    deviceParameters,
    serialize,
  });
  if ((passStyleOf(root as Parameters<typeof passStyleOf>[0]) as string) !== 'remotable') {
    throw new KernelError('BAD_CONFIG', `device ${deviceName}: buildRootDeviceNode must return a remotable`);
  }
  const rootSlot = makeVref('device', true, 0);
  valToSlot.set(root as object, rootSlot);
  slotToVal.set(rootSlot, root as object);

  return {
    invoke(target, method, args) {
      insistCapData(args);
      const node = slotToVal.get(target) as Record<string, unknown> | undefined;
      if (node === undefined) throw new KernelError('BAD_REF', `device ${deviceName} has no node ${target}`);
      const fn = node[method];
      if (typeof fn !== 'function') throw TypeError(`target[${method}] is not a function`);
      const result = (fn as (...a: unknown[]) => unknown).apply(node, m.fromCapData(args) as unknown[]);
      return ['ok', serialize(result)];
    },
  };
}
