// The kernel hooks the vatAdmin device calls (through callKernelHook) for
// vat creation, termination and option changes. Each runs inside the
// vat-admin vat's delivery, takes kernel-form capdata (krefs in the slots)
// and returns capdata. Creation only queues a `create-vat` event and hands
// back the new vatID; the vat is built when that event's crank runs.
// (The `upgrade` hook lives with the upgrade code, in upgrade.ts.)
import { insistEndoZipBase64Bundle, bundleIDOfEndoZip } from '../bundles/bundles.js';
import type { DeviceHook } from '../devices/devices.js';
import { KernelError } from '../shared/errors.js';
import { kser, kunser } from '../shared/kmarshal.js';
import { insistVatID } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData, DynamicVatOptions, ReapLimit } from '../shared/types.js';

export interface VatAdminHookTools {
  keeper: KernelKeeper;
  /** Terminates a vat now (the bookkeeping is synchronous); a failure panics the kernel. */
  terminateVat(vatID: string, reject: boolean, info: CapData): void;
}

const badArgument = (hook: string, problem: string): never => {
  throw new KernelError('BAD_ARGUMENT', `vatAdmin hook ${hook}: ${problem}`);
};

function decodeArgs(hook: string, args: CapData, count: number): unknown[] {
  const decoded = kunser(args);
  if (!Array.isArray(decoded) || decoded.length !== count) badArgument(hook, `takes ${count} arguments`);
  return decoded as unknown[];
}

const optionTypes: Record<keyof DynamicVatOptions, 'string' | 'boolean' | 'reapLimit'> = {
  name: 'string',
  meterID: 'string',
  managerType: 'string',
  enableSetup: 'boolean',
  enablePipelining: 'boolean',
  useTranscript: 'boolean',
  reapInterval: 'reapLimit',
  critical: 'boolean',
};

const isReapLimit = (value: unknown): value is ReapLimit =>
  value === 'never' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);

/**
 * Splits `{ vatParameters, ...options }` into the vatParameters capdata
 * (krefs) and checked options with the undefined members left out (the
 * event is stored as JSON).
 */
export function splitCreateOptions(
  hook: string,
  given: unknown,
): { vatParameters: CapData; dynamicOptions: DynamicVatOptions } {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) badArgument(hook, 'options must be a record');
  const { vatParameters, ...rest } = given as Record<string, unknown>;
  const dynamicOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    const type = (optionTypes as Record<string, string | undefined>)[key];
    if (type === undefined) badArgument(hook, `unknown option ${JSON.stringify(key)}`);
    const ok = type === 'reapLimit' ? isReapLimit(value) : typeof value === type;
    if (!ok) badArgument(hook, `option ${key} has a bad value ${String(value)}`);
    dynamicOptions[key] = value;
  }
  const { meterID } = dynamicOptions;
  if (meterID !== undefined && !/^m[0-9]+$/.test(meterID as string)) badArgument(hook, `bad meterID ${String(meterID)}`);
  return { vatParameters: kser(vatParameters), dynamicOptions: dynamicOptions as DynamicVatOptions };
}

export function makeVatAdminHooks(tools: VatAdminHookTools): Record<string, DeviceHook> {
  const { keeper } = tools;

  /** Allocates the vatID and queues create-vat; the parameters' krefs are held until it runs. */
  function queueCreateVat(bundleID: string, vatParameters: CapData, dynamicOptions: DynamicVatOptions): CapData {
    for (const kref of vatParameters.slots) keeper.refcounts.incrementRefCount(kref, 'create-vat-event');
    const vatID = keeper.vats.allocateUnusedVatID();
    keeper.queues.enqueue('acceptanceQueue', {
      type: 'create-vat',
      vatID,
      source: { bundleID },
      vatParameters,
      dynamicOptions,
    });
    return kser(vatID);
  }

  return {
    createByID(args) {
      const [bundleID, options] = decodeArgs('createByID', args, 2);
      if (typeof bundleID !== 'string') badArgument('createByID', 'bundleID must be a string');
      if (!keeper.hasBundle(bundleID as string)) badArgument('createByID', `bundle ${String(bundleID)} is not installed`);
      const { vatParameters, dynamicOptions } = splitCreateOptions('createByID', options);
      return queueCreateVat(bundleID as string, vatParameters, dynamicOptions);
    },

    // The older form, with the whole bundle in the message. SwingSet keeps
    // such a vat's bundle in its source record; we install it like any
    // other bundle and record its ID.
    createByBundle(args) {
      const [given, options] = decodeArgs('createByBundle', args, 2);
      const bundle = insistEndoZipBase64Bundle(given, 'createVat(bundle)');
      const { vatParameters, dynamicOptions } = splitCreateOptions('createByBundle', options);
      const bundleID = bundleIDOfEndoZip(bundle);
      if (!keeper.hasBundle(bundleID)) keeper.addBundle(bundleID, bundle);
      return queueCreateVat(bundleID, vatParameters, dynamicOptions);
    },

    terminate(args) {
      const [vatID, reason] = decodeArgs('terminate', args, 2);
      insistVatID(vatID);
      // vatTerminated carries the reason to vat-admin through a send,
      // which takes its own references; nothing to hold here.
      tools.terminateVat(vatID as string, true, kser(reason));
      return kser(undefined);
    },

    changeOptions(args) {
      if (args.slots.length !== 0) badArgument('changeOptions', 'options may not carry slots');
      const [vatID, options] = decodeArgs('changeOptions', args, 2);
      insistVatID(vatID);
      if (typeof options !== 'object' || options === null) badArgument('changeOptions', 'options must be a record');
      keeper.queues.enqueue('acceptanceQueue', {
        type: 'changeVatOptions',
        vatID: vatID as string,
        options: { ...(options as Record<string, unknown>) },
      });
      return kser(undefined);
    },
  };
}
