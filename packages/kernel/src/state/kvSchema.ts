// The kernel's kv schema (version 3, as SwingSet's): key names, first IDs
// of every allocator, and the starting state. docs/kernel-state.md
// describes every key. Values are strings; the encodings (JSON, comma
// lists, "R vref" c-list flags) are byte-for-byte SwingSet's because the
// crank hash covers them.
import type { InternalKernelOptions, ReapDirtThreshold } from '../shared/types.js';
import type { KVStore } from './kv.js';

export const CURRENT_SCHEMA_VERSION = 3;

// Different starting numbers per kind make stray confusions (kp1 vs ko1)
// stand out in dumps; the numbers are part of the reference's behaviour.
export const FIRST_VAT_ID = 1;
export const FIRST_DEVICE_ID = 7;
export const FIRST_OBJECT_ID = 20;
export const FIRST_DEVNODE_ID = 30;
export const FIRST_PROMISE_ID = 40;
export const FIRST_CRANK_NUMBER = 0;
export const FIRST_METER_ID = 1;
export const FIRST_UPGRADE_ID = 1;

/** Per-vat allocators for kernel-allocated (imported) vrefs. */
export const FIRST_VAT_IMPORT_OBJECT_ID = 50;
export const FIRST_VAT_IMPORT_PROMISE_ID = 60;
export const FIRST_VAT_IMPORT_DEVICE_ID = 70;

/** Per-device allocators for imported refs. */
export const FIRST_DEVICE_IMPORT_OBJECT_ID = 10;
export const FIRST_DEVICE_IMPORT_DEVICE_ID = 20;
export const FIRST_DEVICE_IMPORT_PROMISE_ID = 30;

export const DEFAULT_DELIVERIES_PER_BOYD = 1;
export const DEFAULT_GC_KREFS_PER_BOYD = 20;
export const DEFAULT_SNAPSHOT_INITIAL = 3;
export const DEFAULT_SNAPSHOT_INTERVAL = 200;

export const keys = {
  version: 'version',
  legacyInitialized: 'initialized',
  vatNames: 'vat.names',
  vatDynamicIDs: 'vat.dynamicIDs',
  vatName: (name: string) => `vat.name.${name}`,
  vatNamePrefix: 'vat.name.',
  vatNextID: 'vat.nextID',
  vatNextUpgradeID: 'vat.nextUpgradeID',
  vatsTerminated: 'vats.terminated',
  deviceNames: 'device.names',
  deviceName: (name: string) => `device.name.${name}`,
  deviceNamePrefix: 'device.name.',
  deviceNextID: 'device.nextID',
  meterNextID: 'meter.nextID',
  koNextID: 'ko.nextID',
  kdNextID: 'kd.nextID',
  kpNextID: 'kp.nextID',
  namedBundleID: (name: string) => `namedBundleID.${name}`,
  defaultManagerType: 'kernel.defaultManagerType',
  defaultReapDirtThreshold: 'kernel.defaultReapDirtThreshold',
  relaxDurabilityRules: 'kernel.relaxDurabilityRules',
  snapshotInitial: 'kernel.snapshotInitial',
  snapshotInterval: 'kernel.snapshotInterval',
  crankNumber: 'crankNumber',
  runQueue: 'runQueue',
  acceptanceQueue: 'acceptanceQueue',
  gcActions: 'gcActions',
  reapQueue: 'reapQueue',
  pinnedObjects: 'pinnedObjects',
  upgradeEvents: 'upgradeEvents',
  vatAdminRootKref: 'vatAdminRootKref',
  kernelStats: 'kernelStats',
  /** Krefs a host call (outside any crank) may have freed; the next crank's processRefcounts takes them. */
  maybeFreeKrefs: 'maybeFreeKrefs',
  localKernelStats: 'local.kernelStats',
  // per vat
  vatONextID: (vatID: string) => `${vatID}.o.nextID`,
  vatPNextID: (vatID: string) => `${vatID}.p.nextID`,
  vatDNextID: (vatID: string) => `${vatID}.d.nextID`,
  clist: (ownerID: string, ref: string) => `${ownerID}.c.${ref}`,
  clistPrefix: (ownerID: string) => `${ownerID}.c.`,
  vatstore: (ownerID: string, key: string) => `${ownerID}.vs.${key}`,
  vatstorePrefix: (ownerID: string) => `${ownerID}.vs.`,
  vatSource: (vatID: string) => `${vatID}.source`,
  vatOptions: (vatID: string) => `${vatID}.options`,
  reapDirt: (vatID: string) => `${vatID}.reapDirt`,
  vatParameters: (vatID: string) => `${vatID}.vatParameters`,
  // per device
  deviceState: (deviceID: string) => `${deviceID}.deviceState`,
  // kernel objects, device nodes, promises
  owner: (kref: string) => `${kref}.owner`,
  refCount: (kref: string) => `${kref}.refCount`,
  kpState: (kpid: string) => `${kpid}.state`,
  kpDecider: (kpid: string) => `${kpid}.decider`,
  kpPolicy: (kpid: string) => `${kpid}.policy`,
  kpSubscribers: (kpid: string) => `${kpid}.subscribers`,
  kpQueuePrefix: (kpid: string) => `${kpid}.queue.`,
  kpQueueNextID: (kpid: string) => `${kpid}.queue.nextID`,
  kpDataBody: (kpid: string) => `${kpid}.data.body`,
  kpDataSlots: (kpid: string) => `${kpid}.data.slots`,
  meterRemaining: (meterID: string) => `${meterID}.remaining`,
  meterThreshold: (meterID: string) => `${meterID}.threshold`,
} as const;

export function defaultReapDirtThreshold(): ReapDirtThreshold {
  return { deliveries: DEFAULT_DELIVERIES_PER_BOYD, gcKrefs: DEFAULT_GC_KREFS_PER_BOYD, computrons: 'never' };
}

/** Writes the state of a fresh kernel. The stats keys are written by the caller. */
export function writeStartingKernelState(kv: KVStore, options: InternalKernelOptions): void {
  const {
    defaultManagerType = 'local',
    defaultReapDirtThreshold: reapThreshold = defaultReapDirtThreshold(),
    relaxDurabilityRules = false,
    snapshotInitial = DEFAULT_SNAPSHOT_INITIAL,
    snapshotInterval = DEFAULT_SNAPSHOT_INTERVAL,
  } = options;
  kv.set(keys.vatNames, '[]');
  kv.set(keys.vatDynamicIDs, '[]');
  kv.set(keys.vatNextID, `${FIRST_VAT_ID}`);
  kv.set(keys.vatNextUpgradeID, `${FIRST_UPGRADE_ID}`);
  kv.set(keys.vatsTerminated, '[]');
  kv.set(keys.deviceNames, '[]');
  kv.set(keys.deviceNextID, `${FIRST_DEVICE_ID}`);
  kv.set(keys.koNextID, `${FIRST_OBJECT_ID}`);
  kv.set(keys.kdNextID, `${FIRST_DEVNODE_ID}`);
  kv.set(keys.kpNextID, `${FIRST_PROMISE_ID}`);
  kv.set(keys.meterNextID, `${FIRST_METER_ID}`);
  kv.set(keys.gcActions, '[]');
  kv.set(keys.reapQueue, '[]');
  kv.set(keys.runQueue, JSON.stringify([1, 1]));
  kv.set(keys.acceptanceQueue, JSON.stringify([1, 1]));
  kv.set(keys.crankNumber, `${FIRST_CRANK_NUMBER}`);
  kv.set(keys.defaultManagerType, defaultManagerType);
  kv.set(keys.defaultReapDirtThreshold, JSON.stringify(reapThreshold));
  kv.set(keys.snapshotInitial, `${snapshotInitial}`);
  kv.set(keys.snapshotInterval, `${snapshotInterval}`);
  if (relaxDurabilityRules) kv.set(keys.relaxDurabilityRules, 'true');
}
