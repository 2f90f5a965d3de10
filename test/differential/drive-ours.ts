// Differential driver for Crankshaft (@crankshaft/kernel on
// @crankshaft/swing-store). Runs in its own process: it locks down its own
// realm, as the reference driver does.
// Usage: node test/dist/differential/drive-ours.js <out.json> <scenarioDir>...
import '@endo/init/debug.js';
import { initSwingStore } from '@crankshaft/swing-store';
import { runDriver, type ControllerLike, type DriverApi } from './driver.js';

/** The host API we drive, with SwingSet's names and argument order. */
interface HostApi {
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

// Checked at run time rather than typed against the package, so this
// driver keeps compiling while the host API is still being written.
const kernel = (await import('@crankshaft/kernel')) as unknown as Partial<HostApi>;
const { initializeSwingset, makeSwingsetController } = kernel;
if (typeof initializeSwingset !== 'function' || typeof makeSwingsetController !== 'function') {
  throw Error('@crankshaft/kernel does not export initializeSwingset and makeSwingsetController');
}

const api: DriverApi = {
  side: 'ours',
  openStore: dir => initSwingStore(dir),
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false }),
  makeController: kernelStorage => makeSwingsetController(kernelStorage, {}, {}),
};

await runDriver(api, process.argv.slice(2));
// Worker processes must not keep us alive once the output is written.
process.exit(0);
