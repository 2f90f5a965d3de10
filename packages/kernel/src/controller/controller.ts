// The host API: makeSwingsetController over an initialized swing-store,
// and buildVatController (initialize-if-needed plus controller) for tests.
// Arguments and results use kmarshal capdata (kser/kunser/kslot).
import { initSwingStore, type HostStorage, type KernelStorage } from '@crankshaft/swing-store';
import type { WarehousePolicy } from '@crankshaft/vat-warehouse';
import type { VatConsoleEntry } from '@crankshaft/worker-supervisor';
import { checkAllegedBundleID } from '../bundles/bundles.js';
import { insistCapData } from '../shared/capdata.js';
import type { KernelConsole } from '../crank/context.js';
import type { DeviceHook } from '../devices/devices.js';
import { KernelError } from '../shared/errors.js';
import {
  initializeSwingset,
  swingsetIsInitialized,
  type InitializationOptions,
  type InitializationRuntimeOptions,
} from './initializeSwingset.js';
import { buildKernel, type KernelRuntimeOptions } from './kernel.js';
import { krefOf, kser, kslot } from '../shared/kmarshal.js';
import type { RunPolicy } from '../crank/runPolicies.js';
import { hostConsoleEvent, makeSlogger, type SlogSender, type Slogger } from '../slog/slog.js';
import type { KernelDump } from '../state/dump.js';
import type { CapData, PromiseState, ResolutionPolicy } from '../shared/types.js';

export interface ControllerRuntimeOptions {
  /** Append slog JSON lines to this file. */
  slogFile?: string;
  /** Receive each slog record. */
  slogSender?: SlogSender;
  /** Use this slogger (overrides slogFile/slogSender). */
  slogger?: Slogger;
  warehousePolicy?: Omit<WarehousePolicy, 'snapshotInitial' | 'snapshotInterval'>;
  /** Where vat console output goes; default: printed with the vat name. */
  vatConsole?: (entry: VatConsoleEntry) => void;
  /** xsnap worker stdout/stderr (default inherit). */
  xsnapOutput?: 'ignore' | 'inherit';
  /** Pipelined result-less syscalls in xsnap workers (default true). */
  batchSyscalls?: boolean;
  /**
   * Milliseconds an xsnap worker may stay silent during a delivery before it
   * counts as hung and is killed; the crank is then retried like one whose
   * worker died. Default: wait forever (SwingSet's behaviour).
   */
  workerHangTimeoutMs?: number;
  /** Silence the kernel's own console lines (they still reach the slog). */
  quiet?: boolean;
  /** Test hook: wrap the worker starter (see KernelRuntimeOptions). */
  wrapWorkerStarter?: KernelRuntimeOptions['wrapWorkerStarter'];
}

export interface SwingsetController {
  run(policy?: RunPolicy): Promise<number>;
  step(): Promise<number>;
  shutdown(): Promise<void>;
  queueToVatRoot(vatName: string, method: string, args?: unknown[], resultPolicy?: ResolutionPolicy): string | undefined;
  queueToVatObject(target: unknown, method: string, args?: unknown[], resultPolicy?: ResolutionPolicy): string | undefined;
  kpStatus(kpid: string): PromiseState | 'unknown';
  kpResolution(kpid: string, options?: { incref?: boolean }): CapData;
  kpRegisterInterest(kpid: string): void;
  vatNameToID(name: string): string;
  deviceNameToID(name: string): string;
  pinVatRoot(vatName: string): string;
  validateAndInstallBundle(bundle: unknown, allegedBundleID?: string): Promise<string>;
  changeKernelOptions(options: Record<string, unknown>): void;
  reapAllVats(previousVatPos?: Record<string, number>): Record<string, number>;
  snapshotAllVats(): Promise<string[]>;
  terminateVat(vatID: string, reasonCD: CapData): void;
  /**
   * Asks vat-admin to upgrade a static vat to `bundleID` (already installed).
   * Returns the kpid that settles to `{ incarnationNumber }` or the failure.
   */
  upgradeStaticVat(
    vatName: string,
    shouldPauseFirst: boolean,
    bundleID: string,
    options?: { vatParameters?: unknown; upgradeMessage?: string },
  ): string | undefined;
  getStats(): Record<string, number>;
  getStatus(): { activeVats: { id: string; options: unknown }[] };
  getActivityhash(): string;
  injectQueuedUpgradeEvents(): void;
  dump(): KernelDump & { log: string[] };
  log(line: string): void;
  writeSlogObject(event: { type: string; [key: string]: unknown }): void;
  debug: { addDeviceHook(deviceName: string, hookName: string, hook: DeviceHook): void };
}

function makeSloggingConsole(slogger: Slogger, source: 'kernel' | 'controller', quiet: boolean): KernelConsole {
  const emit =
    (level: 'log' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      if (!quiet || level === 'error') console[level](`SwingSet:${source}:`, ...args);
      if (slogger.enabled) slogger.write(hostConsoleEvent(source, level, args.map(a => (typeof a === 'string' ? a : String(a)))));
    };
  return { log: emit('log'), warn: emit('warn'), error: emit('error') };
}

export async function makeSwingsetController(
  kernelStorage: KernelStorage = initSwingStore(null).kernelStorage,
  deviceEndowments: Record<string, unknown> = {},
  runtimeOptions: ControllerRuntimeOptions = {},
): Promise<SwingsetController> {
  if (typeof (globalThis as { Compartment?: unknown }).Compartment === 'undefined') {
    throw new KernelError('LIFECYCLE', 'SES must be installed before calling makeSwingsetController');
  }
  if (!swingsetIsInitialized(kernelStorage)) {
    throw new KernelError('LIFECYCLE', 'kernel store is not initialized: call initializeSwingset first');
  }
  const slogger =
    runtimeOptions.slogger ??
    makeSlogger({
      ...(runtimeOptions.slogFile === undefined ? {} : { slogFile: runtimeOptions.slogFile }),
      ...(runtimeOptions.slogSender === undefined ? {} : { slogSender: runtimeOptions.slogSender }),
    });
  const quiet = runtimeOptions.quiet ?? false;
  const finishInit = slogger.startDuration(['kernel-init-start', 'kernel-init-finish']);
  const kernel = buildKernel(kernelStorage, {
    slog: slogger,
    console: makeSloggingConsole(slogger, 'kernel', quiet),
    ...(runtimeOptions.warehousePolicy === undefined ? {} : { warehousePolicy: runtimeOptions.warehousePolicy }),
    ...(runtimeOptions.vatConsole === undefined ? {} : { vatConsole: runtimeOptions.vatConsole }),
    ...(runtimeOptions.xsnapOutput === undefined ? {} : { xsnapOutput: runtimeOptions.xsnapOutput }),
    ...(runtimeOptions.batchSyscalls === undefined ? {} : { batchSyscalls: runtimeOptions.batchSyscalls }),
    ...(runtimeOptions.workerHangTimeoutMs === undefined ? {} : { workerHangTimeoutMs: runtimeOptions.workerHangTimeoutMs }),
    ...(runtimeOptions.wrapWorkerStarter === undefined ? {} : { wrapWorkerStarter: runtimeOptions.wrapWorkerStarter }),
  });
  await kernel.start(deviceEndowments);
  finishInit();

  const queueTo = (kref: string, method: string, args: unknown[], resultPolicy: ResolutionPolicy): string | undefined => {
    if (typeof method !== 'string') throw new KernelError('BAD_ARGUMENT', `method must be a string, got ${typeof method}`);
    const kpid = kernel.queueToKref(kref, method, args, resultPolicy);
    if (kpid) kernel.kpRegisterInterest(kpid);
    kernel.emitCrankHashes();
    return kpid;
  };

  let shutDown = false;
  const controller: SwingsetController = {
    run: policy => kernel.run(policy),
    step: () => kernel.step(),
    async shutdown() {
      if (shutDown) return;
      shutDown = true;
      await kernel.shutdown();
      if (!runtimeOptions.slogger) slogger.close();
    },
    queueToVatRoot(vatName, method, args = [], resultPolicy = 'ignore') {
      const vatID = kernel.vatNameToID(vatName);
      // Refuse unpassable arguments before anything is written: finding the
      // root may have to export it again (if its importers dropped it).
      kser(args);
      const kref = kernel.getRootObject(vatID);
      return queueTo(kref, method, args, resultPolicy);
    },
    queueToVatObject(target, method, args = [], resultPolicy = 'ignore') {
      return queueTo(krefOf(target), method, args, resultPolicy);
    },
    kpStatus: kpid => kernel.kpStatus(kpid),
    kpResolution(kpid, options) {
      const result = kernel.kpResolution(kpid, options);
      kernel.emitCrankHashes();
      return result;
    },
    kpRegisterInterest: kpid => kernel.kpRegisterInterest(kpid),
    vatNameToID: name => kernel.vatNameToID(name),
    deviceNameToID: name => kernel.deviceNameToID(name),
    pinVatRoot(vatName) {
      const kref = kernel.getRootObject(kernel.vatNameToID(vatName));
      kernel.pinObject(kref);
      kernel.emitCrankHashes();
      return kref;
    },
    async validateAndInstallBundle(bundle, allegedBundleID) {
      const bundleID = checkAllegedBundleID(bundle, allegedBundleID);
      kernel.installBundle(bundleID, bundle as never);
      return bundleID;
    },
    changeKernelOptions: options => kernel.changeKernelOptions(options),
    reapAllVats: previousVatPos => kernel.reapAllVats(previousVatPos),
    snapshotAllVats: () => kernel.snapshotAllVats(),
    terminateVat(vatID, reasonCD) {
      insistCapData(reasonCD, 'termination reason');
      kernel.terminateVatExternally(vatID, reasonCD);
    },
    upgradeStaticVat(vatName, shouldPauseFirst, bundleID, options = {}) {
      const vatID = kernel.vatNameToID(vatName);
      if (typeof bundleID !== 'string') throw new KernelError('BAD_ARGUMENT', `upgradeStaticVat(${vatName}): bundleID must be a string`);
      const pauseTarget = shouldPauseFirst ? kslot(kernel.getRootObject(vatID)) : null;
      // The caller's options object is left alone; only the copy gets the default message.
      const upgradeOptions = { ...options, upgradeMessage: options.upgradeMessage || `vat ${vatName} upgraded` };
      const adminRoot = kernel.getRootObject(kernel.vatNameToID('vatAdmin'));
      return queueTo(adminRoot, 'upgradeStaticVat', [vatID, pauseTarget, bundleID, upgradeOptions], 'ignore');
    },
    getStats: () => kernel.getStats(),
    getStatus: () => JSON.parse(JSON.stringify(kernel.getStatus())) as ReturnType<Kernel['getStatus']>,
    getActivityhash: () => kernelStorage.getActivityhash(),
    injectQueuedUpgradeEvents: () => kernel.injectQueuedUpgradeEvents(),
    dump: () => JSON.parse(JSON.stringify(kernel.dump())) as ReturnType<Kernel['dump']>,
    log: line => kernel.log(line),
    writeSlogObject: event => slogger.write(event),
    debug: { addDeviceHook: (deviceName, hookName, hook) => kernel.addDeviceHook(deviceName, hookName, hook) },
  };
  return refuseAfterShutdown(controller, () => shutDown);
}

/**
 * Controller methods that would change kernel state or need live workers.
 * After `shutdown()` each throws a LIFECYCLE error before touching anything,
 * rather than panicking the kernel on a warehouse that is gone; reading
 * methods (dump, kpStatus, getStats, ...) still answer from the store.
 */
const STATEFUL_METHODS = [
  'run',
  'step',
  'queueToVatRoot',
  'queueToVatObject',
  'kpResolution',
  'kpRegisterInterest',
  'pinVatRoot',
  'validateAndInstallBundle',
  'changeKernelOptions',
  'reapAllVats',
  'snapshotAllVats',
  'terminateVat',
  'upgradeStaticVat',
  'injectQueuedUpgradeEvents',
] as const satisfies readonly (keyof SwingsetController)[];

const ASYNC_METHODS: ReadonlySet<string> = new Set(['run', 'step', 'validateAndInstallBundle', 'snapshotAllVats']);

function refuseAfterShutdown(controller: SwingsetController, isShutDown: () => boolean): SwingsetController {
  const guarded: Record<string, unknown> = { ...controller };
  for (const name of STATEFUL_METHODS) {
    const method = controller[name] as (...args: unknown[]) => unknown;
    guarded[name] = (...args: unknown[]): unknown => {
      if (isShutDown()) {
        const refusal = new KernelError('LIFECYCLE', `controller.${name}: the controller was shut down`);
        // methods that answer with a promise reject; the others throw
        if (ASYNC_METHODS.has(name)) return Promise.reject(refusal);
        throw refusal;
      }
      return method(...args);
    };
  }
  return guarded as unknown as SwingsetController;
}

type Kernel = ReturnType<typeof buildKernel>;

export interface BuildVatControllerOptions extends ControllerRuntimeOptions, InitializationRuntimeOptions {
  /** Use this store instead of a fresh in-memory one. */
  kernelStorage?: KernelStorage;
  initializationOptions?: InitializationOptions;
  kernelBundles?: InitializationOptions['kernelBundles'];
}

/**
 * For tests: initialize the store from `config` if needed, then make a
 * controller. `shutdown` also closes the in-memory store it created.
 */
export async function buildVatController(
  config: unknown,
  argv: unknown[] = [],
  runtimeOptions: BuildVatControllerOptions = {},
  deviceEndowments: Record<string, unknown> = {},
): Promise<SwingsetController & { bootstrapResult: string | undefined }> {
  let { kernelStorage } = runtimeOptions;
  let hostStorage: HostStorage | undefined;
  if (!kernelStorage) ({ kernelStorage, hostStorage } = initSwingStore(null));
  let bootstrapResult: string | undefined;
  if (!swingsetIsInitialized(kernelStorage)) {
    const initOptions: InitializationOptions = { ...runtimeOptions.initializationOptions };
    if (runtimeOptions.kernelBundles) initOptions.kernelBundles = runtimeOptions.kernelBundles;
    bootstrapResult = await initializeSwingset(config, argv, kernelStorage, initOptions, runtimeOptions);
  }
  const controller = await makeSwingsetController(kernelStorage, deviceEndowments, runtimeOptions);
  return {
    ...controller,
    bootstrapResult,
    async shutdown() {
      await controller.shutdown();
      if (hostStorage) await hostStorage.close();
    },
  };
}

export { kslot };
