// The vat-admin vat: the only vat holding the vatAdmin device. It turns
// the device's data-only API into objects other vats use: the
// vatAdminService (createVat, bundlecaps, meters), one adminNode per
// dynamic vat (done, terminateWithFailure, upgrade, changeOptions), and
// meters. The kernel reports back to its root: newVatCallback,
// vatUpgradeCallback, vatTerminated, bundleInstalled, meterCrossedThreshold.
//
// Vat code sees SwingSet's API, method for method. Service objects, admin
// nodes and meters are durable; the promise bookkeeping is in RAM, which a
// kernel restart rebuilds by replaying this vat's transcript.
import { E, Far, passStyleOf } from '@endo/far';
import { convertCreateVatOptions, type DynamicVatOptions } from './createVatOptions.js';
import { makeUpdateNotifierKit, type UpdateNotifierKit } from '../lib/updateNotifier.js';
import { prepareKind, prepareSingleton, provide, type Baggage, type VatData } from '../lib/vatData.js';

/** The vatAdmin device's root node, as D() presents it. */
interface VatAdminDeviceNode {
  createMeter(remaining: bigint, threshold: bigint): string;
  createUnlimitedMeter(): string;
  addMeterRemaining(meterID: string, delta: bigint): void;
  setMeterThreshold(meterID: string, threshold: bigint): void;
  getMeter(meterID: string): { remaining: bigint | 'unlimited'; threshold: bigint };
  createByBundle(bundle: unknown, options: DynamicVatOptions): string;
  createByBundleID(bundleID: string, options: DynamicVatOptions): string;
  upgradeVat(vatID: string, bundleID: string, vatParameters: unknown, upgradeMessage: string): string;
  terminateWithFailure(vatID: string, reason: unknown): void;
  changeOptions(vatID: string, options: Record<string, unknown>): void;
  getBundleCap(bundleID: string): unknown;
  getNamedBundleCap(name: string): unknown;
  getBundleIDByName(name: string): string;
}

interface BundleCapNode {
  getBundleID(): unknown;
}

/** A vat that can be asked to pause before a static upgrade. */
interface PausableRoot {
  pauseService(): unknown;
  resumeService(): unknown;
}

export interface VatAdminVatPowers {
  D<T>(node: unknown): T;
  VatData: VatData;
}

interface Resolvers<T> {
  resolve(value: T): void;
  reject(reason: unknown): void;
}

interface Kit<T> extends Resolvers<T> {
  promise: Promise<T>;
}

function makeKit<T>(): Kit<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const fail = (message: string): never => {
  throw Error(message);
};

function insistNat(value: unknown, what: string): bigint {
  if (typeof value !== 'bigint' || value < 0n) fail(`${what} must be a non-negative bigint, got ${String(value)}`);
  return value as bigint;
}

interface MeterState {
  meterID: string;
}

interface UpgradeOptions {
  vatParameters?: unknown;
  upgradeMessage?: string;
}

export function buildRootObject(vatPowers: VatAdminVatPowers, _vatParameters: unknown, baggage: Baggage) {
  const { D, VatData: vatData } = vatPowers;

  const criticalVatKey = prepareSingleton(vatData, baggage, 'criticalVatKey', {});

  // Promise bookkeeping, all keyed by IDs the kernel allocated.
  const pendingVatCreations = new Map<string, Resolvers<unknown>>();
  const pendingBundles = new Map<string, Kit<unknown>>();
  const pendingUpgrades = new Map<string, Resolvers<{ incarnationNumber: number }>>();
  /** vatID -> the done() promise and its resolvers, for every running dynamic vat. */
  const runningVats = new Map<string, Kit<unknown>>();
  /** Vats asked to terminate whose vatTerminated has not arrived yet. */
  const exitingVats = new Set<string>();

  function noteRunningVat(vatID: string): void {
    const kit = makeKit<unknown>();
    // done() may never be asked for; its rejection is not a bug.
    kit.promise.catch(() => {});
    runningVats.set(vatID, kit);
  }

  const managedVats = provide(baggage, 'managedVats', () =>
    vatData.makeScalarBigSetStore<string>('managedVats', { durable: true }),
  );
  for (const vatID of managedVats.keys()) noteRunningVat(vatID);

  let vatAdminDev: unknown = baggage.has('vatAdminDev') ? baggage.get('vatAdminDev') : undefined;
  const device = (): VatAdminDeviceNode => {
    if (vatAdminDev === undefined) fail('vatAdmin device not configured (call createVatAdminService first)');
    return D<VatAdminDeviceNode>(vatAdminDev);
  };
  const isRemotable = (value: unknown): boolean => (passStyleOf(value as never) as string) === 'remotable';

  // ---- meters ----
  // meterID -> { meter }, durable; the reverse map is rebuilt each start.
  const meterByID = provide(baggage, 'meterByID', () =>
    vatData.makeScalarBigMapStore<string, { meter: object }>('meterByID', { durable: true }),
  );
  const meterIDByMeter = new WeakMap<object, string>();
  // Notifiers are not durable: they live for this incarnation.
  const meterNotifiers = new Map<string, UpdateNotifierKit<bigint>>();
  const notifierKitFor = (meterID: string): UpdateNotifierKit<bigint> => {
    let kit = meterNotifiers.get(meterID);
    if (!kit) {
      kit = makeUpdateNotifierKit<bigint>();
      meterNotifiers.set(meterID, kit);
    }
    return kit;
  };
  const finishMeter = ({ state, self }: { state: MeterState; self: object }): void => {
    meterByID.init(state.meterID, harden({ meter: self }));
    meterIDByMeter.set(self, state.meterID);
  };

  const makeMeter = prepareKind(
    vatData,
    baggage,
    'meter',
    (remaining: bigint, threshold: bigint): MeterState => ({
      meterID: device().createMeter(insistNat(remaining, 'createMeter() remaining'), insistNat(threshold, 'createMeter() threshold')),
    }),
    {
      addRemaining({ state }: { state: MeterState }, delta: bigint) {
        device().addMeterRemaining(state.meterID, insistNat(delta, 'addRemaining() delta'));
      },
      setThreshold({ state }: { state: MeterState }, threshold: bigint) {
        device().setMeterThreshold(state.meterID, insistNat(threshold, 'setThreshold() threshold'));
      },
      get: ({ state }: { state: MeterState }) => device().getMeter(state.meterID),
      getNotifier: ({ state }: { state: MeterState }) => notifierKitFor(state.meterID).notifier,
    },
    { finish: finishMeter },
  );

  const makeUnlimitedMeter = prepareKind(
    vatData,
    baggage,
    'unlimitedMeter',
    (): MeterState => ({ meterID: device().createUnlimitedMeter() }),
    {
      addRemaining() {},
      setThreshold() {},
      get: () => harden({ remaining: 'unlimited', threshold: 0n }),
      // An unlimited meter never crosses its threshold: this never fires.
      getNotifier: ({ state }: { state: MeterState }) => notifierKitFor(state.meterID).notifier,
    },
    { finish: finishMeter },
  );

  for (const [meterID, { meter }] of meterByID.entries()) meterIDByMeter.set(meter, meterID);

  // ---- pausing (for upgradeStaticVat of vats that want to quiesce first) ----
  let quiescence: Kit<boolean> | undefined;
  let quiescent = false;

  function insistNotPaused(): void {
    if (quiescence) fail('service not available, try again later');
  }

  function checkForQuiescence(): void {
    if (!quiescence) return;
    if (pendingBundles.size + pendingVatCreations.size + pendingUpgrades.size + exitingVats.size === 0) {
      quiescent = true;
      quiescence.resolve(true);
    }
  }

  function pauseService(): Promise<boolean> {
    quiescence ??= makeKit<boolean>();
    checkForQuiescence();
    return quiescence.promise;
  }

  function resumeService(): void {
    if (!quiescence) return;
    if (!quiescent) quiescence.reject(Error('shutdown cancelled'));
    quiescent = false;
    quiescence = undefined;
  }

  // ---- upgrades ----
  async function upgradeVat(vatID: string, bundleID: string, options: UpgradeOptions = {}) {
    const { vatParameters, upgradeMessage = 'vat upgraded', ...rest } = options;
    const leftovers = Object.keys(rest);
    if (leftovers.length) fail(`upgrade() received unknown options: ${JSON.stringify(leftovers.join(','))}`);
    if (typeof upgradeMessage !== 'string') fail('upgradeMessage not a string');
    const upgradeID = device().upgradeVat(vatID, bundleID, vatParameters, upgradeMessage);
    const kit = makeKit<{ incarnationNumber: number }>();
    pendingUpgrades.set(upgradeID, kit);
    return kit.promise;
  }

  async function upgradeStaticVat(vatID: string, pauseTarget: unknown, bundleID: string, options: UpgradeOptions) {
    await null;
    if (pauseTarget) await Promise.resolve(E(pauseTarget as PausableRoot).pauseService()).catch(() => true);
    try {
      return await upgradeVat(vatID, bundleID, options);
    } catch (err) {
      if (pauseTarget) await Promise.resolve(E(pauseTarget as PausableRoot).resumeService()).catch(() => true);
      throw err;
    }
  }

  function bundleIDOf(bundlecap: unknown, what: string): string {
    let bundleID: unknown;
    try {
      bundleID = D<BundleCapNode>(bundlecap).getBundleID();
    } catch (err) {
      // Most likely not a bundlecap at all.
      fail(`${what} requires a bundlecap: ${String(err)}`);
    }
    if (typeof bundleID !== 'string') fail(`${what}: the bundlecap gave no bundleID`);
    return bundleID as string;
  }

  function insistRunningVat(vatID: string, operation: string, exitingOK = false): void {
    if (!runningVats.has(vatID) || (!exitingOK && exitingVats.has(vatID))) {
      fail(`vatAdminService rejecting attempt to perform ${JSON.stringify(operation)}() on non-running vat ${JSON.stringify(vatID)}`);
    }
  }

  // ---- admin nodes ----
  const makeAdminNode = prepareKind(vatData, baggage, 'adminNode', (vatID: string) => ({ vatID }), {
    terminateWithFailure({ state }: { state: { vatID: string } }, reason: unknown) {
      insistNotPaused();
      insistRunningVat(state.vatID, 'terminateWithFailure');
      exitingVats.add(state.vatID);
      device().terminateWithFailure(state.vatID, reason);
    },
    done({ state }: { state: { vatID: string } }) {
      // A vat that already ended has lost its exit status: refuse rather
      // than pretend to know how it ended.
      insistRunningVat(state.vatID, 'done', true);
      return (runningVats.get(state.vatID) as Kit<unknown>).promise;
    },
    upgrade({ state }: { state: { vatID: string } }, bundlecap: unknown, options?: UpgradeOptions) {
      insistNotPaused();
      insistRunningVat(state.vatID, 'upgrade');
      return upgradeVat(state.vatID, bundleIDOf(bundlecap, 'vatAdmin.upgrade()'), options);
    },
    changeOptions({ state }: { state: { vatID: string } }, options: Record<string, unknown>) {
      insistNotPaused();
      insistRunningVat(state.vatID, 'changeOptions');
      for (const option of Object.getOwnPropertyNames(options)) {
        const value = options[option];
        if (option !== 'reapInterval') fail(`invalid option ${JSON.stringify(option)}`);
        const isNat = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
        if (!(value === 'never' || isNat)) fail('invalid reapInterval value');
      }
      device().changeOptions(state.vatID, options);
    },
  });

  function finishVatCreation(vatID: string) {
    const kit = makeKit<unknown>();
    pendingVatCreations.set(vatID, kit);
    managedVats.add(vatID);
    noteRunningVat(vatID);
    const adminNode = makeAdminNode(vatID);
    return E.when(kit.promise, root => harden({ adminNode, root }));
  }

  const convertTools = {
    meterIDOf: (meter: unknown) => (isRemotable(meter) ? meterIDByMeter.get(meter as object) : undefined),
    isCriticalVatKey: (key: unknown) => key === criticalVatKey,
  };

  const vatAdminService = prepareSingleton(vatData, baggage, 'vatAdminService', {
    waitForBundleCap(bundleID: string) {
      insistNotPaused();
      const bundlecap = device().getBundleCap(bundleID);
      if (bundlecap) return bundlecap;
      let kit = pendingBundles.get(bundleID);
      if (!kit) {
        kit = makeKit<unknown>();
        pendingBundles.set(bundleID, kit);
      }
      return kit.promise;
    },
    getBundleCap(bundleID: string) {
      const bundlecap = device().getBundleCap(bundleID);
      if (bundlecap) return bundlecap;
      throw Error(`bundleID not yet installed: ${bundleID}`);
    },
    getNamedBundleCap: (name: string) => device().getNamedBundleCap(name),
    getBundleIDByName: (name: string) => device().getBundleIDByName(name),
    createMeter: (remaining: bigint, threshold: bigint) => makeMeter(remaining, threshold),
    createUnlimitedMeter: () => makeUnlimitedMeter(),
    createVat(bundleOrBundlecap: unknown, options: Record<string, unknown> = {}) {
      insistNotPaused();
      const converted = convertCreateVatOptions(options, convertTools);
      let vatID: string;
      if (isRemotable(bundleOrBundlecap)) {
        let bundleID: unknown;
        try {
          bundleID = D<BundleCapNode>(bundleOrBundlecap).getBundleID();
        } catch {
          throw Error('Vat Creation Error: createVat() requires a bundlecap');
        }
        if (typeof bundleID !== 'string') fail('createVat() no bundleID');
        vatID = device().createByBundleID(bundleID as string, converted);
      } else {
        // The older form: a whole bundle in the message.
        const bundle = bundleOrBundlecap as { moduleFormat?: unknown } | undefined;
        if (!bundle || typeof bundle !== 'object' || !bundle.moduleFormat) {
          fail('createVat(bundle) does not look like a bundle');
        }
        vatID = device().createByBundle(bundle, converted);
      }
      return finishVatCreation(vatID);
    },
    createVatByName(bundleName: string, options: Record<string, unknown> = {}) {
      insistNotPaused();
      if (typeof bundleName !== 'string') fail('createVatByName() requires bundleName to be a string');
      const converted = convertCreateVatOptions(options, convertTools);
      const bundleID = bundleIDOf(device().getNamedBundleCap(bundleName), 'createVatByName()');
      return finishVatCreation(device().createByBundleID(bundleID, converted));
    },
  });

  function createVatAdminService(vatAdminDevice: unknown) {
    if (baggage.has('vatAdminDev')) baggage.set('vatAdminDev', vatAdminDevice);
    else baggage.init('vatAdminDev', vatAdminDevice);
    vatAdminDev = vatAdminDevice;
    return vatAdminService;
  }

  // ---- what the kernel tells us ----

  /** Queued by controller.validateAndInstallBundle. */
  function bundleInstalled(bundleID: string): void {
    const kit = pendingBundles.get(bundleID);
    if (vatAdminDev === undefined || !kit) return;
    const bundlecap = device().getBundleCap(bundleID);
    if (!bundlecap) {
      // Uninstalled again before we heard: keep waiting for a reinstall.
      console.log(`bundle ${bundleID} missing, hoping for reinstall`);
      return;
    }
    kit.resolve(bundlecap);
    pendingBundles.delete(bundleID);
    checkForQuiescence();
  }

  /** The kernel created the vat and ran its startVat (or failed to). */
  function newVatCallback(vatID: string, results: { rootObject?: unknown; error?: unknown }): void {
    const pending = pendingVatCreations.get(vatID);
    if (!pending) {
      console.log(`newVatCallback for unknown vat ${vatID}`);
      return;
    }
    pendingVatCreations.delete(vatID);
    checkForQuiescence();
    if (results.rootObject) pending.resolve(results.rootObject);
    else pending.reject(Error(`Vat Creation Error: ${String(results.error)}`));
  }

  function vatUpgradeCallback(upgradeID: string, success: boolean, error: unknown, incarnationNumber: number): void {
    const pending = pendingUpgrades.get(upgradeID);
    if (!pending) {
      // Expected when vat-admin upgraded itself (the table started empty).
      console.log(`no pendingUpgrades entry for upgradeID ${upgradeID}; vatAdmin upgrade in progress?`);
      return;
    }
    pendingUpgrades.delete(upgradeID);
    checkForQuiescence();
    if (success) pending.resolve(harden({ incarnationNumber }));
    else pending.reject(error);
  }

  function meterCrossedThreshold(meterID: string, remaining: bigint): void {
    notifierKitFor(meterID).updater.updateState(remaining);
  }

  function vatTerminated(vatID: string, shouldReject: boolean, info: unknown): void {
    // A vat whose startVat failed: the rollback erased the success
    // callback, and this notice is all we get. Report a failed creation.
    if (pendingVatCreations.has(vatID)) newVatCallback(vatID, { error: info });
    const running = runningVats.get(vatID);
    if (!running) {
      console.log(`DANGER: static or non-running vat ${vatID} terminated`);
      return;
    }
    runningVats.delete(vatID);
    exitingVats.delete(vatID);
    managedVats.delete(vatID);
    checkForQuiescence();
    if (shouldReject) running.reject(info);
    else running.resolve(info);
  }

  return Far('root', {
    createVatAdminService,
    getCriticalVatKey: () => criticalVatKey,
    bundleInstalled,
    newVatCallback,
    vatUpgradeCallback,
    vatTerminated,
    meterCrossedThreshold,
    pauseService,
    resumeService,
    upgradeStaticVat,
  });
}
