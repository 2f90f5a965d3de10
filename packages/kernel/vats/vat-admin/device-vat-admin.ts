// The vatAdmin device: a raw device (buildDevice) the kernel endows with
// access to installed bundles and meters. Only the vat-admin vat holds its
// root node. It hands out bundlecaps (device nodes standing for one
// installed bundle) and forwards vat creation, upgrade, termination and
// option changes to the kernel through its hooks.
//
// Bundlecap nodes are numbered in the device's vatstore (`nextDev`,
// `id.<bundleID>`, `slot.<d+N>`) so the same bundle keeps the same node
// across kernel restarts. The vatstore is written only inside invocations:
// buildDevice runs on every kernel start, which is not a consensus event.
import { Far } from '@endo/far';
import { makeMarshal } from '@endo/marshal';

interface CapData {
  body: string;
  slots: string[];
}

interface DeviceSyscall {
  vatstoreGet(key: string): string | undefined;
  vatstoreSet(key: string, value: string): void;
  callKernelHook(name: string, args: CapData): CapData;
}

type MeterRemaining = bigint | 'unlimited';

/** What the kernel gives this device (see kernel.ts). */
export interface VatAdminDeviceEndowments {
  hasBundle(bundleID: string): boolean;
  getBundle(bundleID: string): unknown;
  getNamedBundleID(name: string): string;
  meterCreate(remaining: MeterRemaining, threshold: bigint): string;
  meterAddRemaining(meterID: string, delta: bigint): void;
  meterSetThreshold(meterID: string, threshold: bigint): void;
  meterGet(meterID: string): { remaining: MeterRemaining; threshold: bigint };
}

type InvocationResult = ['ok', CapData];

const ROOT = 'd+0';
const NEXT_NODE_KEY = 'nextDev';
const bundleIDPattern = /^b1-[0-9a-f]{128}$/;
const vatIDPattern = /^v[0-9]+$/;

const fail = (message: string): never => {
  throw Error(message);
};

function insistString(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`${what} must be a string, got ${typeof value}`);
  return value as string;
}

function insistNat(value: unknown, what: string): bigint {
  if (typeof value !== 'bigint' || value < 0n) fail(`${what} must be a non-negative bigint, got ${String(value)}`);
  return value as bigint;
}

function insistArgs(args: unknown, count: number, method: string): unknown[] {
  if (!Array.isArray(args) || args.length !== count) fail(`${method}() takes ${count} arguments`);
  return args as unknown[];
}

export function buildDevice(tools: { syscall: DeviceSyscall }, endowments: VatAdminDeviceEndowments) {
  const { syscall } = tools;
  const { hasBundle, getBundle, getNamedBundleID, meterCreate, meterAddRemaining, meterSetThreshold, meterGet } =
    endowments;

  // Device nodes and imported presences, both ways. Only nodes this device
  // made (d+N) and kernel-given objects (o-N) ever cross.
  const slotToVal = new Map<string, object>();
  const valToSlot = new WeakMap<object, string>();
  const nodeForSlot = (slot: string): object => {
    let val = slotToVal.get(slot);
    if (val === undefined) {
      val = Far(slot.startsWith('d') ? 'device node' : 'presence', {});
      slotToVal.set(slot, val);
      valToSlot.set(val, slot);
    }
    return val;
  };
  const marshal = makeMarshal<string>(
    (val: unknown) => {
      const slot = valToSlot.get(val as object);
      if (slot === undefined) throw Error('vatAdmin device can only return its own device nodes');
      return slot;
    },
    ((slot: string) => nodeForSlot(slot)) as never,
    { serializeBodyFormat: 'smallcaps', marshalName: 'device:vatAdmin', errorTagging: 'off' },
  );
  const unserialize = (data: CapData): unknown => marshal.fromCapData(data as never);
  const returnValue = (value: unknown): InvocationResult => {
    const { body, slots } = marshal.toCapData(harden(value) as never);
    return ['ok', { body, slots: [...slots] }];
  };
  const hookValue = (hook: string, args: CapData): unknown => unserialize(syscall.callKernelHook(hook, args));

  function allocateNode(): string {
    const next = BigInt(syscall.vatstoreGet(NEXT_NODE_KEY) ?? '1');
    syscall.vatstoreSet(NEXT_NODE_KEY, `${next + 1n}`);
    return `d+${next}`;
  }

  /** The bundlecap for an installed bundle, or undefined if it is not installed. */
  function bundleCapFor(bundleID: string): InvocationResult {
    const idKey = `id.${bundleID}`;
    let slot = syscall.vatstoreGet(idKey);
    if (slot === undefined) {
      if (!hasBundle(bundleID)) return returnValue(undefined);
      slot = allocateNode();
      syscall.vatstoreSet(idKey, slot);
      syscall.vatstoreSet(`slot.${slot}`, bundleID);
    }
    return returnValue(nodeForSlot(slot));
  }

  function namedBundleID(name: string): string {
    try {
      return getNamedBundleID(name);
    } catch {
      throw Error(`unregistered bundle name '${name}'`);
    }
  }

  const rootMethods: Record<string, (argsCapData: CapData) => InvocationResult> = {
    createMeter(argsCapData) {
      const [remaining, threshold] = insistArgs(unserialize(argsCapData), 2, 'createMeter');
      return returnValue(
        meterCreate(insistNat(remaining, 'createMeter() remaining'), insistNat(threshold, 'createMeter() threshold')),
      );
    },
    createUnlimitedMeter: () => returnValue(meterCreate('unlimited', 0n)),
    addMeterRemaining(argsCapData) {
      const [meterID, delta] = insistArgs(unserialize(argsCapData), 2, 'addMeterRemaining');
      meterAddRemaining(insistString(meterID, 'addMeterRemaining() meterID'), insistNat(delta, 'addMeterRemaining() delta'));
      return returnValue(undefined);
    },
    setMeterThreshold(argsCapData) {
      const [meterID, threshold] = insistArgs(unserialize(argsCapData), 2, 'setMeterThreshold');
      meterSetThreshold(
        insistString(meterID, 'setMeterThreshold() meterID'),
        insistNat(threshold, 'setMeterThreshold() threshold'),
      );
      return returnValue(undefined);
    },
    getMeter(argsCapData) {
      const [meterID] = insistArgs(unserialize(argsCapData), 1, 'getMeter');
      return returnValue(meterGet(insistString(meterID, 'getMeter() meterID')));
    },

    // The kernel hooks take the capdata as given: vatParameters may carry
    // slots, which the kernel re-marshals with krefs.
    createByBundle(argsCapData) {
      const vatID = hookValue('createByBundle', argsCapData);
      return returnValue(insistString(vatID, 'createByBundle result'));
    },
    createByBundleID(argsCapData) {
      const [bundleID] = insistArgs(unserialize(argsCapData), 2, 'createByBundleID');
      insistString(bundleID, 'createByBundleID() bundleID');
      const vatID = hookValue('createByID', argsCapData);
      return returnValue(insistString(vatID, 'createByID result'));
    },
    upgradeVat(argsCapData) {
      const [vatID, bundleID, , upgradeMessage] = insistArgs(unserialize(argsCapData), 4, 'upgradeVat');
      if (!vatIDPattern.test(insistString(vatID, 'upgradeVat() vatID'))) fail(`upgradeVat(): not a vatID: ${String(vatID)}`);
      insistString(bundleID, 'upgradeVat() bundleID');
      insistString(upgradeMessage, 'upgradeVat() upgradeMessage');
      const upgradeID = hookValue('upgrade', argsCapData);
      return returnValue(insistString(upgradeID, 'upgrade result'));
    },
    terminateWithFailure(argsCapData) {
      const [vatID] = insistArgs(unserialize(argsCapData), 2, 'terminateWithFailure');
      insistString(vatID, 'terminateWithFailure() vatID');
      syscall.callKernelHook('terminate', argsCapData);
      return returnValue(undefined);
    },
    changeOptions(argsCapData) {
      const [vatID] = insistArgs(unserialize(argsCapData), 2, 'changeOptions');
      insistString(vatID, 'changeOptions() vatID');
      syscall.callKernelHook('changeOptions', argsCapData);
      return returnValue(undefined);
    },

    getBundleCap(argsCapData) {
      const [bundleID] = insistArgs(unserialize(argsCapData), 1, 'getBundleCap');
      if (!bundleIDPattern.test(insistString(bundleID, 'getBundleCap() bundleID'))) {
        fail(`getBundleCap(): not a bundleID: ${String(bundleID)}`);
      }
      return bundleCapFor(bundleID as string);
    },
    getNamedBundleCap(argsCapData) {
      const [name] = insistArgs(unserialize(argsCapData), 1, 'getNamedBundleCap');
      return bundleCapFor(namedBundleID(insistString(name, 'getNamedBundleCap() name')));
    },
    getBundleIDByName(argsCapData) {
      const [name] = insistArgs(unserialize(argsCapData), 1, 'getBundleIDByName');
      return returnValue(namedBundleID(insistString(name, 'getBundleIDByName() name')));
    },
  };

  return {
    invoke(target: string, method: string, argsCapData: CapData): InvocationResult {
      if (target === ROOT) {
        const handler = Object.hasOwn(rootMethods, method) ? rootMethods[method] : undefined;
        if (!handler) throw TypeError(`vatAdmin device has no method ${method}`);
        return handler(argsCapData);
      }
      // Any other node is a bundlecap.
      const bundleID = syscall.vatstoreGet(`slot.${target}`);
      if (bundleID === undefined) throw TypeError(`vatAdmin device has no node ${target}`);
      if (method === 'getBundleID') return returnValue(bundleID);
      if (method === 'getBundle') return returnValue(getBundle(bundleID));
      throw TypeError(`bundlecap has no method ${method}`);
    },
  };
}
