// The kernel keeper: one object over all of the kernel's kv state (the
// tables in this folder), plus the crank plumbing the swing-store offers
// (savepoints, rollback, crank hashes). Kernel logic never touches kv keys
// directly except through here and the vat/device keepers.
import type { Bundle, KernelStorage } from '@crankshaft/swing-store';
import { KernelError } from '../shared/errors.js';
import { insistVatID, parseKref } from '../shared/refs.js';
import type { InternalKernelOptions, ManagerType, PromiseRecord, ReapDirtThreshold } from '../shared/types.js';
import { makeDeviceKeeper, initializeDeviceState, type DeviceKeeper } from './deviceKeeper.js';
import { makeGCActionStore, type GCActionStore } from './gcActions.js';
import { makeCachedKVStore } from './cachedKV.js';
import { CURRENT_SCHEMA_VERSION, keys, writeStartingKernelState } from './kvSchema.js';
import { allocateFrom, enumeratePrefixedKeys, getNat, getRequired, parseJSON, type KVStore } from './kv.js';
import { makeObjectTable, type ObjectTable } from './objects.js';
import { makePromiseTable, type PromiseTable } from './promises.js';
import { makeKernelQueues, type KernelQueues } from './queues.js';
import { makeRefcounts, type Refcounts } from './refcounts.js';
import { makeKernelStats, type KernelStats } from './stats.js';
import { makeVatRegistry, type VatRegistry } from './vatRegistry.js';
import { initializeVatState, makeVatKeeper, type CListMode, type VatKeeper } from './vatKeeper.js';

export interface KernelKeeperOptions {
  /** 'uninitialized' for initializeKernel; otherwise the DB must be at the current version. */
  expect: 'uninitialized' | 'current';
  /** Told about every c-list change (slog `clist` events). */
  onCListChange?: (vatID: string, mode: CListMode, kref: string, vref: string) => void;
}

export interface KernelKeeper {
  readonly kv: KVStore;
  readonly storage: KernelStorage;
  readonly stats: KernelStats;
  readonly queues: KernelQueues;
  readonly refcounts: Refcounts;
  readonly objects: ObjectTable;
  readonly promises: PromiseTable;
  readonly vats: VatRegistry;
  readonly gcActions: GCActionStore;

  createStartingKernelState(options: InternalKernelOptions): void;
  setInitialized(): void;
  getDefaultManagerType(): ManagerType;
  getRelaxDurabilityRules(): boolean;
  getDefaultReapDirtThreshold(): ReapDirtThreshold;
  setDefaultReapDirtThreshold(threshold: ReapDirtThreshold): void;
  getSnapshotInitial(): number;
  getSnapshotInterval(): number;
  setSnapshotInterval(interval: number): void;

  addBundle(bundleID: string, bundle: Bundle): void;
  hasBundle(bundleID: string): boolean;
  getBundle(bundleID: string): Bundle | undefined;
  addNamedBundleID(name: string, bundleID: string): void;
  getNamedBundleID(name: string): string;

  getCrankNumber(): number;
  incrementCrankNumber(): void;

  createVatState(vatID: string, source: { bundleID: string }, options: Parameters<typeof initializeVatState>[3]): void;
  provideVatKeeper(vatID: string): VatKeeper;
  /** A keeper that does not insist the vat is alive (slow deletion). */
  provideVatUndertaker(vatID: string): VatKeeper;
  evictVatKeeper(vatID: string): void;
  provideDeviceKeeper(deviceID: string): DeviceKeeper;

  /** Unresolved promises the vat decides, in c-list key order. */
  enumeratePromisesByDecider(vatID: string): Generator<[string, PromiseRecord]>;
  /** Ephemeral and merely-virtual object exports except the root. */
  enumerateNonDurableObjectExports(vatID: string): Generator<{ kref: string; vref: string }>;

  allocateMeter(remaining: bigint | 'unlimited', threshold: bigint): string;
  /** Adds to a meter's remaining count (an unlimited meter stays unlimited). */
  addMeterRemaining(meterID: string, delta: bigint): void;
  setMeterThreshold(meterID: string, threshold: bigint): void;
  checkMeter(meterID: string, spent: bigint): boolean;
  deductMeter(meterID: string, spent: bigint): boolean;
  getMeter(meterID: string): { remaining: bigint | 'unlimited'; threshold: bigint };

  startCrank(): void;
  establishCrankSavepoint(name: string): void;
  rollbackCrank(name: string): void;
  emitCrankHashes(): { crankhash: string; activityhash: string };
  endCrank(): void;
  /** Write every stat record now (the local one is otherwise written every few cranks). */
  flushStats(): void;
  /** Crank hashes for host calls that changed state outside a crank. */
  emitHostCrankHashes(): { crankhash: string; activityhash: string };
  /** Reload the RAM caches (stats, terminated list, pending maybe-free krefs) from kv. */
  loadCaches(): void;
}

const bundleIDPattern = /^b1-[0-9a-f]{128}$/;
const managerTypes: ReadonlySet<string> = new Set(['local', 'xsnap']);

export function makeKernelKeeper(storage: KernelStorage, options: KernelKeeperOptions): KernelKeeper {
  const { bundleStore } = storage;
  // Every kernel read and write goes through this cache (see cachedKV.ts).
  const kv = makeCachedKVStore(storage.kvStore);
  const versionString = kv.get(keys.version);
  if (options.expect === 'uninitialized') {
    if (kv.has(keys.legacyInitialized)) throw new KernelError('LIFECYCLE', 'kernel DB already initialized (v0)');
    if (versionString) throw new KernelError('LIFECYCLE', `kernel DB already initialized (v${versionString})`);
  } else {
    const version = Number(versionString ?? '0');
    if (version !== CURRENT_SCHEMA_VERSION) {
      throw new KernelError(
        'LIFECYCLE',
        `kernel DB is too old: has version v${version}, but expected v${CURRENT_SCHEMA_VERSION}`,
      );
    }
  }
  const onCListChange = options.onCListChange ?? (() => {});

  const stats = makeKernelStats(kv);
  const queues = makeKernelQueues(kv, stats);
  const refcounts = makeRefcounts(kv);
  const vats = makeVatRegistry(kv, stats);
  const objects = makeObjectTable(kv, stats, refcounts, vats.isTerminated);
  const promises = makePromiseTable(kv, stats, refcounts, queues);
  const gcActions = makeGCActionStore(kv);

  const getDefaultReapDirtThreshold = (): ReapDirtThreshold =>
    parseJSON<ReapDirtThreshold>(kv, keys.defaultReapDirtThreshold);

  const vatKeepers = new Map<string, VatKeeper>();
  const undertakers = new Map<string, VatKeeper>();
  const deviceKeepers = new Map<string, DeviceKeeper>();
  const vatKeeperPowers = {
    kv,
    stats,
    refcounts,
    objects,
    promises,
    scheduleReap: queues.scheduleReap,
    getDefaultReapDirtThreshold,
    onCListChange,
  };

  function provideVatKeeper(vatID: string): VatKeeper {
    insistVatID(vatID);
    const found = vatKeepers.get(vatID);
    if (found) return found;
    if (!kv.has(keys.vatONextID(vatID))) throw new KernelError('BAD_ARGUMENT', `${vatID} was not initialized`);
    const keeper = makeVatKeeper(vatID, vatKeeperPowers);
    vatKeepers.set(vatID, keeper);
    return keeper;
  }

  const loadCaches = (): void => {
    stats.load();
    vats.reloadTerminated();
    refcounts.loadMaybeFree();
  };
  if (options.expect === 'current') vats.reloadTerminated();

  const meterKey = (meterID: string): string => {
    if (!/^m[0-9]+$/.test(meterID)) throw new KernelError('BAD_ARGUMENT', `not a meterID: ${JSON.stringify(meterID)}`);
    return meterID;
  };

  const insistNatBigint = (value: unknown, what: string): void => {
    if (typeof value !== 'bigint' || value < 0n) {
      throw new KernelError('BAD_ARGUMENT', `${what} must be a non-negative bigint, got ${String(value)}`);
    }
  };

  return {
    kv,
    storage,
    stats,
    queues,
    refcounts,
    objects,
    promises,
    vats,
    gcActions,

    createStartingKernelState(kernelOptions) {
      writeStartingKernelState(kv, kernelOptions);
      stats.initialize();
    },
    setInitialized() {
      if (kv.has(keys.legacyInitialized) || kv.has(keys.version)) {
        throw new KernelError('LIFECYCLE', 'kernel DB already initialized');
      }
      kv.set(keys.version, `${CURRENT_SCHEMA_VERSION}`);
    },
    getDefaultManagerType() {
      const type = getRequired(kv, keys.defaultManagerType);
      if (!managerTypes.has(type)) throw new KernelError('BAD_STATE', `unknown default manager type ${type}`);
      return type as ManagerType;
    },
    getRelaxDurabilityRules: () => !!kv.get(keys.relaxDurabilityRules),
    getDefaultReapDirtThreshold,
    setDefaultReapDirtThreshold(threshold) {
      for (const [key, value] of Object.entries(threshold)) {
        if (!((typeof value === 'number' && value > 0) || value === 'never')) {
          throw new KernelError('BAD_ARGUMENT', `threshold[${key}] ${String(value)} must be a positive number or "never"`);
        }
      }
      kv.set(keys.defaultReapDirtThreshold, JSON.stringify(threshold));
    },
    getSnapshotInitial: () => getNat(kv, keys.snapshotInitial),
    getSnapshotInterval: () => getNat(kv, keys.snapshotInterval),
    setSnapshotInterval(interval) {
      if (!Number.isSafeInteger(interval) || interval < 0) {
        throw new KernelError('BAD_ARGUMENT', `invalid snapshotInterval value ${String(interval)}`);
      }
      kv.set(keys.snapshotInterval, `${interval}`);
    },

    addBundle(bundleID, bundle) {
      if (bundleStore.hasBundle(bundleID)) throw new KernelError('BAD_ARGUMENT', `bundleID ${bundleID} already installed`);
      bundleStore.addBundle(bundleID, bundle);
    },
    hasBundle: bundleID => bundleStore.hasBundle(bundleID),
    getBundle: bundleID => (bundleStore.hasBundle(bundleID) ? bundleStore.getBundle(bundleID) : undefined),
    addNamedBundleID(name, bundleID) {
      if (typeof bundleID !== 'string' || !bundleIDPattern.test(bundleID)) {
        throw new KernelError('BAD_ARGUMENT', `bundle ${name}: ${String(bundleID)} is not a bundleID`);
      }
      kv.set(keys.namedBundleID(name), bundleID);
    },
    getNamedBundleID: name => getRequired(kv, keys.namedBundleID(name)),

    getCrankNumber: () => getNat(kv, keys.crankNumber),
    incrementCrankNumber() {
      kv.set(keys.crankNumber, `${getNat(kv, keys.crankNumber) + 1}`);
    },

    createVatState(vatID, source, vatOptions) {
      initializeVatState(kv, vatID, source, vatOptions);
      storage.transcriptStore.initTranscript(vatID);
    },
    provideVatKeeper,
    provideVatUndertaker(vatID) {
      insistVatID(vatID);
      const found = vatKeepers.get(vatID) ?? undertakers.get(vatID);
      if (found) return found;
      const keeper = makeVatKeeper(vatID, vatKeeperPowers);
      undertakers.set(vatID, keeper);
      return keeper;
    },
    evictVatKeeper(vatID) {
      vatKeepers.delete(vatID);
    },
    provideDeviceKeeper(deviceID) {
      const found = deviceKeepers.get(deviceID);
      if (found) return found;
      if (!kv.has(keys.vatONextID(deviceID))) initializeDeviceState(kv, deviceID);
      const keeper = makeDeviceKeeper(kv, deviceID, { objects, refcounts });
      deviceKeepers.set(deviceID, keeper);
      return keeper;
    },

    *enumeratePromisesByDecider(vatID) {
      insistVatID(vatID);
      for (const { key } of enumeratePrefixedKeys(kv, `${keys.clistPrefix(vatID)}p`)) {
        const kpid = getRequired(kv, key);
        const p = promises.getKernelPromise(kpid);
        if (p.state === 'unresolved' && p.decider === vatID) yield [kpid, p];
      }
    },
    *enumerateNonDurableObjectExports(vatID) {
      insistVatID(vatID);
      const prefix = keys.clistPrefix(vatID);
      // o+NN (ephemeral) sorts before o+d (durable); o+v (virtual) after.
      const ranges: [string, string | undefined][] = [
        ['o+', `${prefix}o+d`],
        ['o+v', undefined],
      ];
      for (const [start, end] of ranges) {
        for (const { key, suffix } of enumeratePrefixedKeys(kv, `${prefix}${start}`, end)) {
          const vref = `${start}${suffix}`;
          if (vref !== 'o+0') yield { kref: getRequired(kv, key), vref };
        }
      }
    },

    allocateMeter(remaining, threshold) {
      const meterID = `m${allocateFrom(kv, keys.meterNextID)}`;
      kv.set(keys.meterRemaining(meterID), `${remaining}`);
      kv.set(keys.meterThreshold(meterID), `${threshold}`);
      return meterID;
    },
    addMeterRemaining(meterID, delta) {
      insistNatBigint(delta, 'meter delta');
      const remaining = getRequired(kv, keys.meterRemaining(meterKey(meterID)));
      if (remaining !== 'unlimited') kv.set(keys.meterRemaining(meterID), `${BigInt(remaining) + delta}`);
    },
    setMeterThreshold(meterID, threshold) {
      insistNatBigint(threshold, 'meter threshold');
      getRequired(kv, keys.meterRemaining(meterKey(meterID)));
      kv.set(keys.meterThreshold(meterID), `${threshold}`);
    },
    checkMeter(meterID, spent) {
      const remaining = getRequired(kv, keys.meterRemaining(meterKey(meterID)));
      return remaining === 'unlimited' || BigInt(remaining) >= spent;
    },
    deductMeter(meterID, spent) {
      const old = getRequired(kv, keys.meterRemaining(meterKey(meterID)));
      if (old === 'unlimited') return false;
      const oldRemaining = BigInt(old);
      const threshold = BigInt(getRequired(kv, keys.meterThreshold(meterID)));
      let remaining = oldRemaining - spent;
      if (remaining < 0n) remaining = 0n;
      kv.set(keys.meterRemaining(meterID), `${remaining}`);
      return remaining < threshold && oldRemaining >= threshold;
    },
    getMeter(meterID) {
      const remaining = getRequired(kv, keys.meterRemaining(meterKey(meterID)));
      return {
        remaining: remaining === 'unlimited' ? 'unlimited' : BigInt(remaining),
        threshold: BigInt(getRequired(kv, keys.meterThreshold(meterID))),
      };
    },

    startCrank() {
      storage.startCrank();
      kv.beginBuffering();
    },
    establishCrankSavepoint(name) {
      // Writes made before the savepoint must survive a rollback to it.
      kv.flush();
      storage.establishCrankSavepoint(name);
    },
    rollbackCrank(name) {
      kv.discardPending();
      storage.rollbackCrank(name);
      kv.clear();
      stats.reloadConsensus();
      vats.reloadTerminated();
    },
    emitCrankHashes() {
      stats.save();
      kv.flush();
      return storage.emitCrankHashes();
    },
    endCrank() {
      kv.endBuffering();
      storage.endCrank();
    },
    flushStats: () => stats.save(true),
    emitHostCrankHashes() {
      // Host calls change committed state outside any crank; what they
      // leave in RAM must reach kv too, or a commit and restart before the
      // next crank loses it: the krefs they may have freed, and the
      // queue-length stats (consensus state) their enqueues moved.
      refcounts.persistMaybeFree();
      stats.save();
      kv.flush();
      return storage.emitCrankHashes();
    },
    loadCaches,
  };
}

/** Validates that a kref names an object or promise the kernel can send to. */
export function insistSendTarget(kref: string): 'object' | 'promise' {
  const { type } = parseKref(kref);
  if (type !== 'object' && type !== 'promise') {
    throw new KernelError('BAD_REF', `unable to send() to slot.type ${type}`);
  }
  return type;
}
