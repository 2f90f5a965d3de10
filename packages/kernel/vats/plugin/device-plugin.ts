// The plugin device: lets vats talk CapTP to modules the host loads
// (SwingSet's ag-solo plugins). See `buildPlugin` in
// src/devices/pluginDevice.ts for the host half.
//
// Vat-facing methods (D(device).method(...)), as SwingSet's plugin device
// has them:
//   getPluginDir() -> string        the host's plugin directory
//   connect(mod, index?) -> index   load module `mod` (host import) and
//                                   start a CapTP connection to its
//                                   bootPlugin(powers) object; index
//                                   defaults to the next free one
//   send(index, obj)                a CapTP message to connection index
//   registerReceiver(receiver)      once: receiver.dispatch(index, obj) gets
//                                   the modules' CapTP messages and
//                                   receiver.reset(index, epoch) the restarts
//
// Each connect() of an index starts a new epoch (0, 1, ...); CapTP tags
// its messages with it. After a kernel restart the device has no live
// connections: the host calls reset() once the controller is built, the
// device tells the receiver reset(index, nextEpoch) for each module, and
// the next send() or connect() reconnects under that epoch. A module's
// powers getState()/setState(state) keep one passable per index in the
// device state, which survives the restart.
//
// Device state: { registeredReceiver, nextEpochs, connectedMods, connectedState }.
//
// Messages from modules arrive outside any crank, so the device hands them
// to the host's queueThunkForKernel() and the host runs them between runs.
import { Far } from '@endo/far';
import { makeCapTP } from '@endo/captp';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { PluginDeviceEndowments, PluginPowers } from '../../src/devices/pluginDevice.js';

/** A presence of the vat object with dispatch(index, obj) and reset(index, epoch). */
type Receiver = object;
type Sender = (obj: Record<string, unknown>) => boolean;

interface PluginDeviceState {
  registeredReceiver: Receiver | undefined;
  nextEpochs: (number | undefined)[];
  connectedMods: (string | undefined)[];
  connectedState: unknown[];
}

export interface PluginDeviceRoot {
  getPluginDir(): string;
  connect(mod: string, index?: number): number;
  send(index: number, obj: Record<string, unknown>): void;
  registerReceiver(receiver: Receiver): void;
}

function parseState(stored: unknown): PluginDeviceState {
  if (stored === undefined) return { registeredReceiver: undefined, nextEpochs: [], connectedMods: [], connectedState: [] };
  const { registeredReceiver, nextEpochs, connectedMods, connectedState } = stored as Partial<PluginDeviceState>;
  if (!Array.isArray(nextEpochs) || !Array.isArray(connectedMods) || !Array.isArray(connectedState)) {
    throw TypeError('plugin device: stored state is corrupt (nextEpochs, connectedMods and connectedState must be arrays)');
  }
  // copies: what comes back from the store is hardened
  return { registeredReceiver, nextEpochs: [...nextEpochs], connectedMods: [...connectedMods], connectedState: [...connectedState] };
}

const insistIndex = (index: unknown): number => {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw RangeError(`plugin device: index must be a non-negative integer, got ${String(index)}`);
  }
  return index;
};

export function buildRootDeviceNode(tools: RootDeviceNodeTools): PluginDeviceRoot {
  const { SO, getDeviceState, setDeviceState } = tools;
  const endowments = tools.endowments as Partial<PluginDeviceEndowments> | undefined;
  if (
    typeof endowments?.import !== 'function' ||
    typeof endowments.queueThunkForKernel !== 'function' ||
    typeof endowments.registerResetter !== 'function' ||
    typeof endowments.getPluginDir !== 'function'
  ) {
    throw TypeError('plugin device: endowments must come from buildPlugin() (import, queueThunkForKernel, registerResetter or getPluginDir is missing)');
  }
  const { import: importPlugin, queueThunkForKernel, getPluginDir } = endowments;

  const stored: unknown = getDeviceState();
  const state = parseState(stored);
  const { nextEpochs, connectedMods, connectedState } = state;
  let { registeredReceiver } = state;
  /** Live connections of this kernel process, by index. */
  const senders = new Map<number, Promise<Sender>>();

  const saveState = (): void => {
    setDeviceState(
      harden({
        registeredReceiver,
        nextEpochs: [...nextEpochs],
        connectedMods: [...connectedMods],
        connectedState: [...connectedState],
      }),
    );
  };
  // The first start records the empty state; a restart finds it unchanged.
  if (stored === undefined) saveState();

  const receiver = (): Record<string, (...args: unknown[]) => void> => {
    if (registeredReceiver === undefined) throw Error('plugin device: no receiver registered (registerReceiver first)');
    return SO(registeredReceiver);
  };

  /** Allocates `index` to `mod` (or checks it is) and returns the epoch of this connection. */
  function register(mod: string, index: number): number {
    const current = connectedMods[index];
    if (current === undefined) connectedMods[index] = mod;
    else if (current !== mod) throw TypeError(`Index ${index} is already allocated to ${current}, not ${mod}`);
    const epoch = nextEpochs[index] ?? 0;
    nextEpochs[index] = epoch + 1;
    saveState();
    return epoch;
  }

  async function openConnection(mod: string, index: number, epoch: number): Promise<Sender> {
    const ns = (await importPlugin(mod)) as { bootPlugin?: (powers: PluginPowers) => unknown };
    if (typeof ns.bootPlugin !== 'function') throw TypeError(`plugin device: module ${mod} does not export bootPlugin`);
    const powers: PluginPowers = harden({
      getState: () => connectedState[index],
      setState: (value: unknown) =>
        new Promise<void>(resolve => {
          connectedState[index] = value;
          // state changes are kernel writes: only between runs
          queueThunkForKernel(() => {
            saveState();
            resolve();
          });
        }),
    });
    const bootstrap = ns.bootPlugin(powers);
    const toVat = (obj: Record<string, unknown>): void => {
      queueThunkForKernel(() => receiver()['dispatch']?.(index, obj));
    };
    return makeCapTP(mod, toVat, bootstrap, { epoch }).dispatch;
  }

  function connect(mod: string, index: number): number {
    const epoch = register(mod, index);
    if (!senders.has(index)) {
      const sender = openConnection(mod, index, epoch);
      sender.catch(err => console.error(`plugin device: cannot connect to ${mod}:`, err));
      senders.set(index, sender);
    }
    return index;
  }

  endowments.registerResetter(() => {
    for (const [index, mod] of connectedMods.entries()) {
      if (mod !== undefined) receiver()['reset']?.(index, nextEpochs[index]);
    }
  });

  return Far('root', {
    getPluginDir() {
      return getPluginDir();
    },
    connect(mod: string, index: number = connectedMods.length) {
      if (typeof mod !== 'string') throw TypeError(`plugin device: connect(mod) needs a module specifier string, got ${typeof mod}`);
      return connect(mod, insistIndex(index));
    },
    send(index: number, obj: Record<string, unknown>) {
      const mod = connectedMods[insistIndex(index)];
      if (mod === undefined) throw Error(`No module associated with ${index}`);
      // after a restart the first send reconnects, under the next epoch
      if (!senders.has(index)) connect(mod, index);
      senders
        .get(index)
        ?.then(sender => sender(obj))
        .catch(err => console.error(`plugin device: send to ${mod} failed:`, err));
    },
    registerReceiver(receiverPresence: Receiver) {
      if (registeredReceiver !== undefined) throw Error('registered receiver already set');
      registeredReceiver = receiverPresence;
      saveState();
    },
  });
}
