// The host half of the plugin device, shaped like SwingSet's
// buildPlugin(pluginDir, importPlugin, queueThunkForKernel): the host puts
// `srcPath` in its config (`devices.plugin.sourceSpec`), passes
// `endowments` as the plugin device's endowments, runs every thunk given to
// queueThunkForKernel between runs (then runs the kernel), and calls
// `reset()` once after building the controller so the vats learn that the
// connections of the previous process are gone.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';

/** Loads a plugin module; it must export bootPlugin(powers). */
export type PluginImporter = (mod: string) => Promise<unknown>;
/** Runs `thunk` outside any crank, before the host's next controller.run(). */
export type QueueThunkForKernel = (thunk: () => void) => void;

/** What bootPlugin(powers) is given: one persistent state per connection index. */
export interface PluginPowers {
  getState(): unknown;
  /** Resolves once the state is saved (when the host has run the queued thunk). */
  setState(state: unknown): Promise<void>;
}

export interface PluginDeviceEndowments {
  import: PluginImporter;
  queueThunkForKernel: QueueThunkForKernel;
  /** Called by the device when it starts, with what reset() should run. */
  registerResetter(resetter: () => void): void;
  getPluginDir(): string;
}

export interface HostPlugin {
  /** Source of the plugin device, for `devices.plugin.sourceSpec`. */
  srcPath: string;
  /** The plugin device's endowments (`deviceEndowments.plugin`). */
  endowments: PluginDeviceEndowments;
  /**
   * Tells the receiver vat reset(index, epoch) for every connected module
   * (once per device start; later calls do nothing). Call it after
   * building the controller, then `controller.run()`.
   */
  reset(): void;
}

/** The compiled device (vats/plugin/device-plugin.ts -> dist/vats/plugin/device-plugin.js). */
export const PLUGIN_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/plugin/device-plugin.js', import.meta.url));

export function buildPlugin(pluginDir: string, importPlugin: PluginImporter, queueThunkForKernel: QueueThunkForKernel): HostPlugin {
  if (typeof importPlugin !== 'function') throw new KernelError('BAD_ARGUMENT', 'buildPlugin: importPlugin must be a function');
  if (typeof queueThunkForKernel !== 'function') {
    throw new KernelError('BAD_ARGUMENT', 'buildPlugin: queueThunkForKernel must be a function');
  }
  let resetter: (() => void) | undefined;
  return {
    srcPath: PLUGIN_DEVICE_SOURCE,
    endowments: {
      import: importPlugin,
      queueThunkForKernel,
      registerResetter(init) {
        resetter = init;
      },
      getPluginDir: () => pluginDir,
    },
    reset() {
      const init = resetter;
      if (init) {
        resetter = undefined;
        init();
      }
    },
  };
}
