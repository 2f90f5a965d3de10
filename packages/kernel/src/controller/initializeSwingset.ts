// Writing a fresh kernel into an empty swing-store: the built-in vats, the
// config's vats (IDs in SwingSet's order), devices, bundles, the queued
// startVat events and the bootstrap message. The result is crank 0.
import type { KernelStorage } from '@crankshaft/swing-store';
import { loadWorkerBundles, type WorkerBundles } from '@crankshaft/worker-supervisor';
import { builtinConfig, provideBuiltinBundles, type BuiltinBundles, type BuiltinChoice } from './builtins.js';
import { makeSourceBundler, type SourceBundler } from '../bundles/bundleCache.js';
import { KernelError } from '../shared/errors.js';
import { buildSwingsetKernelConfig, type SwingSetKernelConfig } from './kernelConfig.js';
import { kser, kslot } from '../shared/kmarshal.js';
import { makeKernelQueueHandler } from '../crank/kernelQueue.js';
import { makeKernelKeeper, type KernelKeeper } from '../state/kernelKeeper.js';
import { keys } from '../state/kvSchema.js';
import { exportRootObject } from '../vat-admin/rootObject.js';
import { assertKnownOptions, recordVatOptions, STATIC_CREATION_OPTION_KEYS } from '../vat-admin/vatOptions.js';

export interface InitializationOptions extends BuiltinChoice {
  /** Prebuilt bundles (from buildKernelBundles) to skip bundling. */
  kernelBundles?: { worker?: WorkerBundles; builtins?: BuiltinBundles };
  verbose?: boolean;
}

export interface InitializationRuntimeOptions {
  env?: Record<string, string | undefined>;
  /** Source-bundle cache directory (config.bundleCachePath wins). */
  bundleCacheDir?: string;
  sourceBundler?: SourceBundler;
}

export function swingsetIsInitialized(kernelStorage: KernelStorage): boolean {
  return !!(kernelStorage.kvStore.get(keys.version) || kernelStorage.kvStore.get(keys.legacyInitialized));
}


/**
 * Initializes a fresh store from a host config. Resolves to the kpid of
 * the bootstrap message's result, or undefined without a bootstrap vat.
 */
export async function initializeSwingset(
  config: unknown,
  bootstrapArgs: unknown[] | undefined,
  kernelStorage: KernelStorage,
  initializationOptions: InitializationOptions = {},
  runtimeOptions: InitializationRuntimeOptions = {},
): Promise<string | undefined> {
  if (swingsetIsInitialized(kernelStorage)) throw new KernelError('LIFECYCLE', 'kernel store already initialized');
  const bundler = runtimeOptions.sourceBundler ?? makeSourceBundler(
    runtimeOptions.bundleCacheDir === undefined ? {} : { cacheDir: runtimeOptions.bundleCacheDir },
  );
  const given = initializationOptions.kernelBundles ?? {};
  const [builtinBundles, workerBundles] = await Promise.all([
    provideBuiltinBundles(given.builtins, bundler),
    given.worker ? Promise.resolve(given.worker) : loadWorkerBundles(),
  ]);
  const builtins = builtinConfig(initializationOptions, builtinBundles);
  const kernelConfig = await buildSwingsetKernelConfig(config, bootstrapArgs, {
    ...(runtimeOptions.env === undefined ? {} : { env: runtimeOptions.env }),
    ...(runtimeOptions.bundleCacheDir === undefined ? {} : { bundleCacheDir: runtimeOptions.bundleCacheDir }),
    sourceBundler: bundler,
    builtinVats: builtins.vats,
    builtinDevices: builtins.devices,
  });
  return initializeKernel(kernelConfig, kernelStorage, { workerBundles });
}

export interface InitializeKernelOptions {
  workerBundles: WorkerBundles;
}

export function initializeKernel(
  config: SwingSetKernelConfig,
  kernelStorage: KernelStorage,
  options: InitializeKernelOptions,
): string | undefined {
  const keeper = makeKernelKeeper(kernelStorage, { expect: 'uninitialized' });
  keeper.createStartingKernelState({
    defaultManagerType: config.defaultManagerType,
    defaultReapDirtThreshold: {
      deliveries: config.defaultReapInterval,
      gcKrefs: config.defaultReapGCKrefs,
      computrons: 'never',
    },
    relaxDurabilityRules: config.relaxDurabilityRules,
    snapshotInitial: config.snapshotInitial,
    snapshotInterval: config.snapshotInterval,
  });

  for (const [bundleID, bundle] of Object.entries(config.idToBundle)) {
    if (!keeper.hasBundle(bundleID)) keeper.addBundle(bundleID, bundle);
  }
  for (const [name, bundleID] of Object.entries(config.namedBundleIDs)) keeper.addNamedBundleID(name, bundleID);

  const workerBundles = () => options.workerBundles;
  for (const [name, vat] of Object.entries(config.vats)) {
    const creationOptions: Record<string, unknown> = { ...vat.creationOptions };
    assertKnownOptions(creationOptions, STATIC_CREATION_OPTION_KEYS, `config.vats.${name}.creationOptions`);
    const vatID = keeper.vats.allocateVatIDForNameIfNeeded(name);
    recordVatOptions(keeper, workerBundles, vatID, { bundleID: vat.bundleID }, { name, ...creationOptions });
    keeper.queues.enqueue('acceptanceQueue', { type: 'startVat', vatID, vatParameters: kser(vat.parameters) });
    if (name === 'vatAdmin') {
      // The kernel tells the vat-admin root about vat lifecycle events;
      // pinned so it is never collected while only kv points at it.
      const kref = exportRootObject(keeper, vatID);
      keeper.objects.pinObject(kref);
      keeper.kv.set(keys.vatAdminRootKref, kref);
    }
  }

  for (const [name, device] of Object.entries(config.devices)) {
    const deviceID = keeper.vats.allocateDeviceIDForNameIfNeeded(name);
    keeper
      .provideDeviceKeeper(deviceID)
      .setSourceAndOptions({ bundleID: device.bundleID }, { ...device.creationOptions, deviceParameters: device.parameters });
  }

  let bootstrapResult: string | undefined;
  if (config.bootstrap !== undefined) {
    const bootstrapVatID = keeper.vats.getVatIDForName(config.bootstrap);
    bootstrapResult = enqueueBootstrap(keeper, bootstrapVatID);
    if (config.pinBootstrapRoot) keeper.objects.pinObject(exportRootObject(keeper, bootstrapVatID));
  }
  keeper.setInitialized();
  // The initial state is hashed as if it were crank 0.
  keeper.emitCrankHashes();
  return bootstrapResult;
}

/** Queues root.bootstrap(vats, devices) to the bootstrap vat, result policy 'panic'. */
function enqueueBootstrap(keeper: KernelKeeper, bootstrapVatID: string): string {
  // Every static vat's root (the bootstrap vat's own included), in
  // `vat.name.` key order; the kref numbering follows from that order.
  const vats: Record<string, unknown> = {};
  for (const [name, vatID] of keeper.vats.getStaticVats()) {
    vats[name] = kslot(exportRootObject(keeper, vatID), 'root');
  }
  const devices: Record<string, unknown> = {};
  for (const [name, deviceID] of keeper.vats.getDevices()) {
    devices[name] = kslot(keeper.provideDeviceKeeper(deviceID).mapDeviceSlotToKernelSlot('d+0'), 'device');
  }
  const queue = makeKernelQueueHandler({
    keeper,
    panic: problem => {
      throw new KernelError('KERNEL_PANIC', problem);
    },
  });
  const rootKref = exportRootObject(keeper, bootstrapVatID);
  const resultKpid = queue.queueToKref(rootKref, 'bootstrap', [vats, devices], 'panic') as string;
  keeper.refcounts.incrementRefCount(resultKpid, 'external');
  return resultKpid;
}
