// The kernel: builds the crank machinery over an initialized swing-store
// and offers the operations the controller exposes. Host calls that change
// state outside a crank (queueing, pins, bundle installs) emit crank
// hashes so the activity hash covers them.
import { verifyEndoZip, type KernelStorage } from '@crankshaft/swing-store';
import {
  makeVatWarehouse,
  makeWorkerStarter,
  type VatConfig,
  type WarehousePolicy,
  type WorkerStarter,
} from '@crankshaft/vat-warehouse';
import {
  joinTestLogLine,
  loadWorkerBundles,
  renderTestLogArg,
  type VatConsoleEntry,
  type WorkerBundles,
} from '@crankshaft/worker-supervisor';
import { insistCapData } from '../shared/capdata.js';
import type { KernelConsole, KernelContext } from '../crank/context.js';
import { makeCrankLoop } from '../crank/crank.js';
import { makeDeliveryProcessors } from '../crank/deliveries.js';
import { makeDeviceRegistry, type DeviceHook } from '../devices/devices.js';
import { KernelError } from '../shared/errors.js';
import { exportRootObject } from '../vat-admin/rootObject.js';
import { makeKernelQueueHandler } from '../crank/kernelQueue.js';
import type { RunPolicy } from '../crank/runPolicies.js';
import { makeSendRouter, type VatLookup } from '../crank/routing.js';
import { clistEvent, createVatEvent, terminateEvent, type Slogger } from '../slog/slog.js';
import { dumpKernelState, type KernelDump } from '../state/dump.js';
import { makeKernelGC } from '../gc/kernelGC.js';
import { makeKernelKeeper } from '../state/kernelKeeper.js';
import { makeKernelSyscallHandler } from '../syscalls/syscalls.js';
import { makeTermination } from '../vat-admin/termination.js';
import { makeVatTranslators, type VatTranslators } from '../syscalls/translate.js';
import type { CapData, PromiseState, ResolutionPolicy } from '../shared/types.js';
import { makeVatSyscallHandlerFactory } from '../syscalls/vatSyscallHandler.js';
import { makeUpgradeHook, makeUpgradeProcessor } from '../vat-admin/upgrade.js';
import { makeWorkerOptions } from '../vat-admin/vatOptions.js';
import { makeVatAdminHooks } from '../vat-admin/vatAdminHooks.js';
import { makeVatCreator } from '../vat-admin/vatCreation.js';

export interface KernelRuntimeOptions {
  slog: Slogger;
  console: KernelConsole;
  warehousePolicy?: Omit<WarehousePolicy, 'snapshotInitial' | 'snapshotInterval'>;
  /** Where vat console output goes (outside replay). */
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
  /**
   * Test hook: wrap the worker starter, e.g. to give one vat a scripted
   * worker that makes raw syscalls liveslots never would.
   */
  wrapWorkerStarter?: (defaultStarter: WorkerStarter) => WorkerStarter;
}

export interface Kernel {
  start(deviceEndowments?: Record<string, unknown>): Promise<void>;
  run(policy?: RunPolicy): Promise<number>;
  step(): Promise<number>;
  shutdown(): Promise<void>;
  vatNameToID(name: string): string;
  deviceNameToID(name: string): string;
  getRootObject(vatID: string): string;
  pinObject(kref: string): void;
  queueToKref(kref: string, method: string, args: unknown[], policy?: ResolutionPolicy): string | undefined;
  kpRegisterInterest(kpid: string): void;
  kpStatus(kpid: string): PromiseState | 'unknown';
  kpResolution(kpid: string, options?: { incref?: boolean }): CapData;
  installBundle(bundleID: string, bundle: Parameters<KernelStorage['bundleStore']['addBundle']>[1]): void;
  changeKernelOptions(options: Record<string, unknown>): void;
  reapAllVats(previousVatPos?: Record<string, number>): Record<string, number>;
  snapshotAllVats(): Promise<string[]>;
  terminateVatExternally(vatID: string, reason: CapData): void;
  getStats(): Record<string, number>;
  getStatus(): { activeVats: { id: string; options: unknown }[] };
  getQueuesLength(): { activeQueues: number; inactiveQueues: number };
  injectQueuedUpgradeEvents(): void;
  addDeviceHook(deviceName: string, hookName: string, hook: DeviceHook): void;
  dump(): KernelDump & { log: string[] };
  log(line: string): void;
  /** After host calls that change state: fold the changes into the activity hash. */
  emitCrankHashes(): void;
}

export function buildKernel(kernelStorage: KernelStorage, runtime: KernelRuntimeOptions): Kernel {
  const { slog, console: kconsole } = runtime;
  const keeper = makeKernelKeeper(kernelStorage, {
    expect: 'current',
    onCListChange: (vatID, mode, kref, vref) => {
      if (slog.enabled) slog.write(clistEvent(keeper.getCrankNumber(), mode, vatID, kref, vref));
    },
  });
  // The testLog lines (c.dump().log): in memory only, appended as vats and
  // devices call testLog, replayed deliveries included, as SwingSet keeps it.
  const testLog: string[] = [];
  // Preload replays vats side by side; their lines are held per vat and
  // appended in preload (listing) order, as SwingSet's one-by-one preload has them.
  let preloadTestLog: Map<string, string[]> | undefined;

  let kernelPanic: Error | undefined;
  const panic = (problem: string, err?: Error): void => {
    kconsole.error(`##### KERNEL PANIC: ${problem} #####`);
    // As SwingSet's: the error handed in is what run() throws (hosts parse a
    // critical vat's failure out of its message, the failure's capdata body).
    kernelPanic ??= err ?? new KernelError('KERNEL_PANIC', `kernel panic ${problem}`);
  };

  // Per-vat RAM caches, dropped when a vat dies or its options change.
  const translatorCache = new Map<string, VatTranslators>();
  const lookupCache = new Map<string, { enablePipelining: boolean; meterID?: string }>();
  const lookupVat: VatLookup = vatID => {
    const cached = lookupCache.get(vatID);
    if (cached) return cached;
    if (!keeper.vats.vatIsAlive(vatID)) return undefined;
    const { enablePipelining, meterID } = keeper.provideVatKeeper(vatID).getOptions();
    const info = meterID === undefined ? { enablePipelining } : { enablePipelining, meterID };
    lookupCache.set(vatID, info);
    return info;
  };

  const queue = makeKernelQueueHandler({ keeper, panic, log: line => kconsole.log(line) });
  const gc = makeKernelGC(keeper);
  const devices = makeDeviceRegistry(
    keeper,
    (...args) => kconsole.log(...args),
    (...args) => testLog.push(joinTestLogLine(args.map(arg => renderTestLogArg(arg, '')))),
  );

  // The warehouse asks for this on every delivery: cached per vat (see forgetVat).
  const vatConfigCache = new Map<string, VatConfig>();
  const announcedVats = new Set<string>();
  const getVatConfig = (vatID: string): VatConfig | undefined => {
    const cached = vatConfigCache.get(vatID);
    if (cached) return cached;
    if (!keeper.vats.vatIsAlive(vatID)) return undefined;
    const { source, options } = keeper.provideVatKeeper(vatID).getSourceAndOptions();
    if (slog.enabled && !announcedVats.has(vatID)) {
      announcedVats.add(vatID);
      // SwingSet puts the whole bundle here; we name it by ID instead.
      slog.write(
        createVatEvent({
          vatID,
          dynamic: keeper.vats.getDynamicVats().includes(vatID),
          description: `${options.name ?? ''} (from bundleID: ${source.bundleID})`.trim(),
          name: options.name,
          managerType: options.workerOptions.type,
          vatParameters: undefined,
          vatSourceBundle: { bundleID: source.bundleID },
        }),
      );
    }
    const config: VatConfig = {
      source: { bundleID: source.bundleID },
      // As SwingSet does: a setup() vat runs in the kernel's realm whatever
      // its recorded manager type (SwingSet warns "stop using enableSetup").
      workerOptions: options.enableSetup ? { type: 'local' } : options.workerOptions,
      useTranscript: options.useTranscript,
      metered: options.meterID !== undefined,
      ...(options.enableSetup ? { enableSetup: true } : {}),
      liveSlotsOptions: {
        enableDisavow: options.enableDisavow,
        relaxDurabilityRules: keeper.getRelaxDurabilityRules(),
      },
    };
    if (options.name !== undefined) config.name = options.name;
    if (options.enableSetup) config.enableSetup = true;
    vatConfigCache.set(vatID, config);
    return config;
  };
  const listVatIDs = (): string[] =>
    [...keeper.vats.getStaticVats().map(([, vatID]) => vatID), ...keeper.vats.getDynamicVats()].filter(vatID =>
      keeper.vats.vatIsAlive(vatID),
    );

  // Filled in below; the warehouse asks for handlers only during deliveries.
  let syscallHandlerFor: (vatID: string) => ReturnType<ReturnType<typeof makeVatSyscallHandlerFactory>>;
  const warehouse = makeVatWarehouse({
    stores: kernelStorage,
    host: {
      getVatConfig,
      listVatIDs,
      syscallHandlerFor: vatID => syscallHandlerFor(vatID),
      onReaped: vatID => keeper.provideVatKeeper(vatID).clearReapDirt(),
    },
    startWorker: (runtime.wrapWorkerStarter ?? (starter => starter))(
      makeWorkerStarter({
        bundleStore: kernelStorage.bundleStore,
        xsnap: {
          ...(runtime.xsnapOutput === undefined ? {} : { stdout: runtime.xsnapOutput, stderr: runtime.xsnapOutput }),
          ...(runtime.batchSyscalls === undefined ? {} : { batchSyscalls: runtime.batchSyscalls }),
          ...(runtime.workerHangTimeoutMs === undefined ? {} : { hangTimeoutMs: runtime.workerHangTimeoutMs }),
        },
      }),
    ),
    policy: {
      ...runtime.warehousePolicy,
      snapshotInitial: keeper.getSnapshotInitial(),
      snapshotInterval: keeper.getSnapshotInterval(),
    },
    slog: event => slog.write(event),
    ...(runtime.vatConsole === undefined ? {} : { vatConsole: runtime.vatConsole }),
    testLog: entry => {
      const line = joinTestLogLine(entry.args);
      const held = preloadTestLog?.get(entry.vatID);
      if (held) held.push(line);
      else if (preloadTestLog) preloadTestLog.set(entry.vatID, [line]);
      else testLog.push(line);
    },
  });

  const ctx: KernelContext = {
    keeper,
    gc,
    queue,
    slog,
    warehouse,
    translators(vatID) {
      let found = translatorCache.get(vatID);
      if (!found) {
        found = makeVatTranslators(vatID, keeper);
        translatorCache.set(vatID, found);
      }
      return found;
    },
    forgetVat(vatID) {
      translatorCache.delete(vatID);
      lookupCache.delete(vatID);
      vatConfigCache.delete(vatID);
    },
    lookupVat,
    flags: { illegalSyscall: undefined, vatRequestedTermination: undefined },
    panic,
    vatAdminRootKref: keeper.kv.get('vatAdminRootKref'),
    console: kconsole,
  };

  const termination = makeTermination(ctx);
  const kernelSyscallHandler = makeKernelSyscallHandler({
    keeper,
    gc,
    queue,
    devices,
    requestTermination: (_vatID, reject, info) => {
      insistCapData(info);
      ctx.flags.vatRequestedTermination = { reject, info };
    },
  });
  const deliveries = makeDeliveryProcessors(ctx, makeVatSyscallHandlerFactory(ctx, kernelSyscallHandler));
  syscallHandlerFor = deliveries.syscallHandlerFor;
  const upgrades = makeUpgradeProcessor(ctx, deliveries, {
    // An upgraded xsnap vat moves to the current lockdown/supervisor bundles, as SwingSet's does.
    async refreshWorkerOptions(old) {
      if (old.type === 'local') return old;
      const bundles: WorkerBundles = await loadWorkerBundles();
      return makeWorkerOptions('xsnap', keeper, () => bundles);
    },
  });
  const crankLoop = makeCrankLoop(
    ctx,
    { ...deliveries, processUpgradeVat: upgrades.processUpgradeVat, ...makeVatCreator(ctx, deliveries) },
    termination,
    makeSendRouter(keeper, queue, lookupVat),
    () => kernelPanic,
  );

  let started = false;
  const insistStarted = (what: string): void => {
    if (!started) throw new KernelError('LIFECYCLE', `must do kernel.start() before ${what}()`);
  };

  /** Device changes made by host input between runs (timer poll) go into the activity hash. */
  const foldHostDeviceInput = (): void => {
    if (devices.takeHostInputChanges()) keeper.emitHostCrankHashes();
  };

  /** Runs `fn` as its own crank (for host calls that change state). */
  const inOwnCrank = (fn: () => void): void => {
    keeper.startCrank();
    try {
      fn();
    } finally {
      keeper.emitCrankHashes();
      keeper.endCrank();
    }
  };

  const getAllVatIDs = (): string[] => [
    ...keeper.vats.getStaticVats().map(([, vatID]) => vatID),
    ...keeper.vats.getDynamicVats(),
  ];

  return {
    async start(deviceEndowments = {}) {
      if (started) throw new KernelError('LIFECYCLE', 'kernel.start already called');
      started = true;
      keeper.loadCaches();
      preloadTestLog = new Map();
      try {
        await warehouse.start();
      } finally {
        const held = preloadTestLog;
        preloadTestLog = undefined;
        for (const vatID of listVatIDs()) testLog.push(...(held.get(vatID) ?? []));
      }
      const endowments = {
        ...deviceEndowments,
        vatAdmin: {
          hasBundle: (id: string) => keeper.hasBundle(id),
          getBundle: (id: string) => keeper.getBundle(id),
          getNamedBundleID: (name: string) => keeper.getNamedBundleID(name),
          meterCreate: (remaining: bigint | 'unlimited', threshold: bigint) => keeper.allocateMeter(remaining, threshold),
          meterAddRemaining: (meterID: string, delta: bigint) => keeper.addMeterRemaining(meterID, delta),
          meterSetThreshold: (meterID: string, threshold: bigint) => keeper.setMeterThreshold(meterID, threshold),
          meterGet: (meterID: string) => keeper.getMeter(meterID),
        },
      };
      await devices.start(kernelSyscallHandler, endowments);
      if (keeper.vats.getDeviceIDForName('vatAdmin') !== undefined) {
        devices.addDeviceHook('vatAdmin', 'upgrade', makeUpgradeHook(keeper));
        const hooks = makeVatAdminHooks({
          keeper,
          terminateVat(vatID, reject, info) {
            slog.write(terminateEvent(vatID, reject, info));
            void termination.terminateVat(vatID, reject, info).catch(err => panic(`terminateVat(${vatID}) failed`, err));
          },
        });
        for (const [name, hook] of Object.entries(hooks)) devices.addDeviceHook('vatAdmin', name, hook);
      }
    },
    run: async policy => {
      insistStarted('run');
      foldHostDeviceInput();
      try {
        return await crankLoop.run(policy);
      } finally {
        // The host commits after run(): bring the local stats up to date.
        if (!crankLoop.panicked()) crankLoop.flushStats();
      }
    },
    step: async () => {
      insistStarted('step');
      foldHostDeviceInput();
      return crankLoop.step();
    },
    shutdown: () => warehouse.shutdown(),
    vatNameToID: name => keeper.vats.getVatIDForName(name),
    deviceNameToID(name) {
      const deviceID = keeper.vats.getDeviceIDForName(name);
      if (deviceID === undefined) throw new KernelError('BAD_ARGUMENT', `device name ${JSON.stringify(name)} must exist, but doesn't`);
      return deviceID;
    },
    getRootObject: vatID => exportRootObject(keeper, vatID),
    pinObject: kref => keeper.objects.pinObject(kref),
    queueToKref: (kref, method, args, policy) => queue.queueToKref(kref, method, args, policy),
    kpRegisterInterest: kpid => keeper.refcounts.incrementRefCount(kpid, 'external'),
    kpStatus(kpid) {
      try {
        return keeper.promises.getKernelPromise(kpid).state;
      } catch {
        return 'unknown';
      }
    },
    kpResolution(kpid, options = {}) {
      const { incref = true } = options;
      const p = keeper.promises.getKernelPromise(kpid);
      if (p.state === 'unresolved') throw new KernelError('BAD_ARGUMENT', `resolution of ${kpid} is still pending`);
      keeper.refcounts.decrementRefCount(kpid, 'external');
      if (incref) for (const kref of p.data.slots) keeper.refcounts.incrementRefCount(kref, 'external');
      return p.data;
    },
    installBundle(bundleID, bundle) {
      if (keeper.hasBundle(bundleID)) {
        // Already stored, but a corrupt copy under the same ID is still
        // refused, as SwingSet checks every bundle it is handed.
        const { endoZipBase64, endoZipBase64Sha512 } = bundle as { endoZipBase64?: unknown; endoZipBase64Sha512?: unknown };
        if (typeof endoZipBase64 === 'string' && typeof endoZipBase64Sha512 === 'string') {
          verifyEndoZip(Buffer.from(endoZipBase64, 'base64'), endoZipBase64Sha512, bundleID);
        }
        return;
      }
      inOwnCrank(() => {
        keeper.addBundle(bundleID, bundle);
        if (ctx.vatAdminRootKref) {
          queue.queueToKref(ctx.vatAdminRootKref, 'bundleInstalled', [bundleID], 'logFailure');
        } else {
          kconsole.log('installBundle cannot notify, missing vatAdminRootKref');
        }
      });
    },
    changeKernelOptions(options) {
      const known = ['defaultReapInterval', 'defaultReapGCKrefs', 'snapshotInterval'];
      const unknown = Object.keys(options).filter(k => !known.includes(k));
      if (unknown.length) throw new KernelError('BAD_ARGUMENT', `changeKernelOptions: unknown options ${unknown.join(',')}`);
      inOwnCrank(() => {
        for (const option of Object.getOwnPropertyNames(options)) {
          const value = options[option];
          if (option === 'snapshotInterval') {
            keeper.setSnapshotInterval(value as number);
            continue;
          }
          if (!((typeof value === 'number' && value > 0) || value === 'never')) {
            throw new KernelError('BAD_ARGUMENT', `${option} ${String(value)} must be a positive number or "never"`);
          }
          const counter = option === 'defaultReapInterval' ? 'deliveries' : 'gcKrefs';
          keeper.setDefaultReapDirtThreshold({ ...keeper.getDefaultReapDirtThreshold(), [counter]: value });
        }
      });
    },
    reapAllVats(previousVatPos = {}) {
      const current: Record<string, number> = {};
      for (const vatID of getAllVatIDs()) {
        const { endPos } = kernelStorage.transcriptStore.getCurrentSpanBounds(vatID);
        if (endPos === 0) continue; // no transcript (never delivered, or transcript-less)
        if ((previousVatPos[vatID] ?? 0) < endPos) {
          keeper.queues.scheduleReap(vatID);
          current[vatID] = endPos + 1;
        } else {
          current[vatID] = endPos;
        }
      }
      return current;
    },
    async snapshotAllVats() {
      const snapshotted: string[] = [];
      for (const vatID of getAllVatIDs()) {
        if (await warehouse.maybeSaveSnapshot(vatID, 2)) snapshotted.push(vatID);
      }
      return snapshotted;
    },
    terminateVatExternally(vatID, reason) {
      insistStarted('terminateVatExternally');
      insistCapData(reason, 'termination reason');
      if (reason.slots.length !== 0) throw new KernelError('BAD_ARGUMENT', 'no slots allowed in reason');
      void termination.terminateVat(vatID, true, reason).catch(err => panic(`terminateVat(${vatID}) failed`, err));
      kconsole.log(`scheduled vatID ${vatID} for termination`);
    },
    getStats: () => keeper.stats.getStats(),
    getStatus: () => ({
      activeVats: warehouse.onlineVatIDs().map(id => ({ id, options: keeper.provideVatKeeper(id).getOptions() })),
    }),
    getQueuesLength() {
      const stats = keeper.stats.getStats(true);
      return {
        activeQueues: (stats['runQueueLength'] ?? 0) + (stats['acceptanceQueueLength'] ?? 0),
        inactiveQueues: stats['promiseQueuesLength'] ?? 0,
      };
    },
    injectQueuedUpgradeEvents() {
      const events = JSON.parse(keeper.kv.get('upgradeEvents') ?? '[]') as unknown[];
      keeper.kv.delete('upgradeEvents');
      for (const event of events) keeper.queues.enqueue('acceptanceQueue', event as never);
    },
    addDeviceHook: (deviceName, hookName, hook) => devices.addDeviceHook(deviceName, hookName, hook),
    dump: () => ({ log: [...testLog], ...dumpKernelState(keeper) }),
    log: line => {
      testLog.push(`${line}`);
    },
    emitCrankHashes() {
      keeper.emitHostCrankHashes();
    },
  };
}
