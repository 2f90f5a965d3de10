// Kernel benchmark driver for Crankshaft. One workload per process.
// Usage: node bench/dist/kernel/drive-ours.js <workload>
import '@endo/init/debug.js';
import { initSwingStore, openSwingStore } from '@crankshaft/swing-store';
import { runBenchDriver, type BenchApi, type ControllerLike, type SlogRecordLike } from './workloads.js';

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
    runtimeOptions: { slogSender?: (record: SlogRecordLike) => void },
  ): Promise<ControllerLike>;
}

// Checked at run time so the bench compiles while the host API is written.
const kernel = (await import('@crankshaft/kernel')) as unknown as Partial<HostApi>;
const { initializeSwingset, makeSwingsetController } = kernel;
if (typeof initializeSwingset !== 'function' || typeof makeSwingsetController !== 'function') {
  throw Error('@crankshaft/kernel does not export initializeSwingset and makeSwingsetController');
}

const api: BenchApi = {
  side: 'ours',
  initStore: dir => initSwingStore(dir),
  openStore: dir => openSwingStore(dir),
  initialize: (config, kernelStorage) => initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false }),
  makeController: (kernelStorage, { slogSender }) =>
    makeSwingsetController(kernelStorage, {}, slogSender === undefined ? {} : { slogSender }),
};

await runBenchDriver(api, process.argv.slice(2));
process.exit(0);
