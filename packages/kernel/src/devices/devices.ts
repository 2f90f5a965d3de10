// Device infrastructure: devices run inside the kernel process (imported
// from their bundle into a compartment), reached by vats only through
// callNow (kernel `invoke`). Device slots are translated through each
// device's c-list; device syscalls (sendOnly, vatstore*, callKernelHook)
// go to the kernel syscall handler. A device starts only if it has
// endowments (or is marked `unendowed`), as in SwingSet.
import { importBundle } from '@endo/import-bundle';
import { insistCapData } from '../shared/capdata.js';
import {
  makeDeviceSlots,
  type DeviceDispatch,
  type DeviceInvocationResult,
  type DeviceSyscall,
  type RootDeviceNodeTools,
} from './deviceSlots.js';
import { KernelError, messageOf } from '../shared/errors.js';
import { insistVrefType, parseVref } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { DeviceKeeper } from '../state/deviceKeeper.js';
import type { DeviceInvoker, KernelSyscallHandler } from '../syscalls/syscalls.js';
import type { CapData, KernelSyscallObject, KernelSyscallResult } from '../shared/types.js';

export type DeviceHook = (args: CapData) => CapData;

interface RunningDevice {
  name: string;
  keeper: DeviceKeeper;
  dispatch: DeviceDispatch;
}

export interface DeviceRegistry extends DeviceInvoker {
  /** Imports and starts every endowed device. */
  start(kernelSyscallHandler: KernelSyscallHandler, endowments: Record<string, unknown>): Promise<void>;
  addDeviceHook(deviceName: string, hookName: string, hook: DeviceHook): void;
  /**
   * True (once) if a device changed kernel state outside a crank since the
   * last call: a host input such as the timer's poll(). The kernel folds
   * those changes into the activity hash before its next crank.
   */
  takeHostInputChanges(): boolean;
}

interface DeviceNamespace {
  buildDevice?: (tools: { syscall: DeviceSyscall }, endowments: unknown) => DeviceDispatch;
  buildRootDeviceNode?: (tools: RootDeviceNodeTools) => unknown;
}

export function makeDeviceRegistry(
  keeper: KernelKeeper,
  log: (...args: unknown[]) => void,
  /** Where devices' testLog goes: the kernel's log, as for vats. */
  testLog: (...args: unknown[]) => void = (...args) => log('testLog:', ...args),
): DeviceRegistry {
  const running = new Map<string, RunningDevice>();
  const hooks = new Map<string, Record<string, DeviceHook>>();
  // Device work inside invoke() is part of a vat's crank; anything else
  // was started by the host (e.g. timer poll) between cranks.
  let invoking = 0;
  let hostInputChanges = false;
  const noteChange = (): void => {
    if (invoking === 0) hostInputChanges = true;
  };

  function makeDeviceSyscallHandler(deviceID: string, dk: DeviceKeeper, handler: KernelSyscallHandler) {
    const mapToKernel = (data: CapData): CapData => ({ ...data, slots: data.slots.map(s => dk.mapDeviceSlotToKernelSlot(s)) });
    const run = (ksc: KernelSyscallObject): KernelSyscallResult => {
      noteChange();
      const result = handler(ksc);
      if (result[0] !== 'ok') throw new KernelError('BAD_STATE', `device ${deviceID} syscall ${ksc[0]} failed: ${result[1]}`);
      return result;
    };
    const syscall: DeviceSyscall = {
      sendOnly(target, methargs) {
        insistVrefType('object', target);
        insistCapData(methargs);
        run(['send', dk.mapDeviceSlotToKernelSlot(target), { methargs: mapToKernel(methargs), result: null }]);
      },
      vatstoreGet: key => (run(['vatstoreGet', deviceID, key])[1] as string | null) ?? undefined,
      vatstoreSet(key, value) {
        run(['vatstoreSet', deviceID, key, value]);
      },
      vatstoreDelete(key) {
        run(['vatstoreDelete', deviceID, key]);
      },
      callKernelHook(name, args) {
        insistCapData(args);
        const result = run(['callKernelHook', deviceID, name, mapToKernel(args)])[1] as CapData;
        return { ...result, slots: result.slots.map(s => dk.mapKernelSlotToDeviceSlot(s)) };
      },
    };
    return syscall;
  }

  return {
    async start(kernelSyscallHandler, endowments) {
      for (const [name, deviceID] of keeper.vats.getDevices()) {
        const dk = keeper.provideDeviceKeeper(deviceID);
        const { source, options } = dk.getSourceAndOptions();
        hooks.set(deviceID, {});
        const deviceEndowments = endowments[name];
        if (deviceEndowments === undefined && !options.unendowed) {
          log(`WARNING: skipping device ${deviceID} (${name}) because it has no endowments`);
          continue;
        }
        const bundle = keeper.getBundle(source.bundleID);
        if (!bundle) throw new KernelError('BAD_CONFIG', `device ${name}: bundle ${source.bundleID} is missing`);
        const ns = (await importBundle(bundle, {
          filePrefix: `dev-${name}/...`,
          endowments: harden({ console, assert: (globalThis as Record<string, unknown>)['assert'] }),
        })) as DeviceNamespace;
        const syscall = makeDeviceSyscallHandler(deviceID, dk, kernelSyscallHandler);
        let dispatch: DeviceDispatch;
        if (typeof ns.buildDevice === 'function') {
          dispatch = ns.buildDevice({ syscall }, deviceEndowments);
        } else if (typeof ns.buildRootDeviceNode === 'function') {
          const state = {
            get: () => dk.getDeviceState(),
            set: (value: unknown) => {
              noteChange();
              dk.setDeviceState(value);
            },
          };
          dispatch = makeDeviceSlots(
            syscall,
            state,
            ns.buildRootDeviceNode,
            name,
            deviceEndowments,
            testLog,
            options.deviceParameters ?? {},
          );
        } else {
          throw new KernelError('BAD_CONFIG', `device ${name} lacks buildRootDeviceNode and buildDevice`);
        }
        running.set(deviceID, { name, keeper: dk, dispatch });
      }
    },

    invoke(deviceKref, method, args): KernelSyscallResult {
      const deviceID = keeper.objects.ownerOfKernelDevice(deviceKref);
      const device = running.get(deviceID);
      if (!device) throw new KernelError('BAD_REF', `unknown deviceRef ${deviceKref}`);
      const target = device.keeper.mapKernelSlotToDeviceSlot(deviceKref);
      if (!parseVref(target).allocatedByVat) throw new KernelError('BAD_REF', `invoke() to someone else's device ${deviceKref}`);
      const deviceArgs = { ...args, slots: args.slots.map(s => device.keeper.mapKernelSlotToDeviceSlot(s)) };
      let result: DeviceInvocationResult;
      invoking += 1;
      try {
        result = device.dispatch.invoke(target, method, deviceArgs);
        if (result[0] === 'ok') insistCapData(result[1]);
        else if (typeof result[1] !== 'string') throw new KernelError('BAD_DATA', 'device error result is not a string');
      } catch (err) {
        log(`device ${device.name}: invoke ${method} failed, informing calling vat: ${messageOf(err)}`);
        return ['error', 'device.invoke failed, see logs for details'];
      } finally {
        invoking -= 1;
      }
      if (result[0] === 'error') return ['error', result[1]];
      const data = result[1];
      return ['ok', { ...data, slots: data.slots.map(s => device.keeper.mapDeviceSlotToKernelSlot(s)) }];
    },

    callKernelHook(deviceID, hookName, args) {
      const hook = hooks.get(deviceID)?.[hookName];
      if (!hook) throw new KernelError('BAD_ARGUMENT', `device ${deviceID} has no hook named ${hookName}`);
      const result = hook(args);
      insistCapData(result);
      return result;
    },

    addDeviceHook(deviceName, hookName, hook) {
      const deviceID = keeper.vats.getDeviceIDForName(deviceName);
      if (deviceID === undefined) throw new KernelError('BAD_ARGUMENT', `no such device ${deviceName}`);
      const forDevice = hooks.get(deviceID);
      if (!forDevice) throw new KernelError('BAD_ARGUMENT', `no hooks for device ${deviceName}`);
      forDevice[hookName] = hook;
    },

    takeHostInputChanges() {
      const changed = hostInputChanges;
      hostInputChanges = false;
      return changed;
    },
  };
}
