// The drivers' host API over Crankshaft (@crankshaft/kernel on
// @crankshaft/swing-store). Importing it locks down this realm.
import '@endo/init/debug.js';
import { initSwingStore, openSwingStore } from '@crankshaft/swing-store';
import type { ControllerLike, HostApi, StoreLike } from './hosts.js';

/** The two kernel entry points we call, with SwingSet's argument order. */
interface KernelEntryPoints {
  initializeSwingset(
    config: Record<string, unknown>,
    bootstrapArgs: unknown[],
    kernelStorage: unknown,
    initializationOptions: Record<string, unknown>,
  ): Promise<string | undefined>;
  makeSwingsetController(
    kernelStorage: unknown,
    deviceEndowments: Record<string, unknown>,
    runtimeOptions: Record<string, unknown>,
  ): Promise<ControllerLike>;
}

// Imported at run time through a variable and checked, so this package need not
// build after the kernel: a literal specifier would make tsc resolve the
// kernel's types, which a fresh clone has not built yet when this package builds
// (there is no project reference, to avoid a circle with the packages whose
// tests use it).
const kernelSpecifier: string = '@crankshaft/kernel';
const kernel = (await import(kernelSpecifier)) as Partial<KernelEntryPoints>;
const { initializeSwingset, makeSwingsetController } = kernel;
if (typeof initializeSwingset !== 'function' || typeof makeSwingsetController !== 'function') {
  throw Error('@crankshaft/kernel does not export initializeSwingset and makeSwingsetController');
}

export const oursHost: HostApi = {
  side: 'ours',
  initStore: dir => initSwingStore(dir) as unknown as StoreLike,
  openStore: dir => openSwingStore(dir) as unknown as StoreLike,
  initialize: (config, kernelStorage) => initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false }),
  makeController: (kernelStorage, options = {}) =>
    makeSwingsetController(kernelStorage, {}, options.slogSender === undefined ? {} : { slogSender: options.slogSender }),
};
