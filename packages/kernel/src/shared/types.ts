// Kernel-internal shapes: messages, queue events, kernel-form deliveries
// and syscalls, promise records and recorded vat options. Krefs everywhere
// (ko/kp/kd); the vat-form counterparts live in @crankshaft/worker-supervisor.
import type {
  VatDeliveryObject,
  VatSyscallObject,
  VatSyscallResult,
  WorkerOptions,
} from '@crankshaft/worker-supervisor';
import type { CapData } from './kmarshal.js';

export type { CapData };

/** A message in kernel form. `result` is a kpid, or null/absent for none. */
export interface KernelMessage {
  methargs: CapData;
  result?: string | null;
}

/** What the kernel does when a host- or kernel-created result settles. */
export type ResolutionPolicy = 'none' | 'ignore' | 'logAlways' | 'logFailure' | 'panic';

export type GCDeliveryType = 'dropExports' | 'retireExports' | 'retireImports';

export type RunQueueEvent =
  | { type: 'send'; target: string; msg: KernelMessage }
  | { type: 'notify'; vatID: string; kpid: string }
  | { type: 'startVat'; vatID: string; vatParameters: CapData }
  | { type: 'create-vat'; vatID: string; source: VatSource; vatParameters: CapData; dynamicOptions: DynamicVatOptions }
  | {
      type: 'upgrade-vat';
      vatID: string;
      upgradeID: string;
      bundleID: string;
      vatParameters: CapData;
      upgradeMessage: string;
    }
  | { type: 'changeVatOptions'; vatID: string; options: Record<string, unknown> }
  | { type: GCDeliveryType; vatID: string; krefs: string[] }
  | { type: 'negated-gc-action'; vatID?: string }
  | { type: 'bringOutYourDead'; vatID: string }
  | { type: 'cleanup-terminated-vat'; vatID: string; budget: CleanupBudget };

export type RunQueueEventType = RunQueueEvent['type'];
export type SendEvent = Extract<RunQueueEvent, { type: 'send' }>;
export type NotifyEvent = Extract<RunQueueEvent, { type: 'notify' }>;
export type GCEvent = Extract<RunQueueEvent, { type: GCDeliveryType }>;
export type CreateVatEvent = Extract<RunQueueEvent, { type: 'create-vat' }>;
export type UpgradeVatEvent = Extract<RunQueueEvent, { type: 'upgrade-vat' }>;

/** A settled promise as a notify delivery carries it. */
export interface SettledPromiseDescriptor {
  state: 'fulfilled' | 'rejected';
  data: CapData;
}

export type KernelDeliveryObject =
  | [tag: 'message', target: string, msg: KernelMessage]
  | [tag: 'notify', resolutions: [kpid: string, desc: SettledPromiseDescriptor][]]
  | [tag: GCDeliveryType, krefs: string[]]
  | [tag: 'changeVatOptions', options: Record<string, unknown>]
  | [tag: 'startVat', vatParameters: CapData]
  | [tag: 'bringOutYourDead'];

export type KernelOneResolution = [kpid: string, rejected: boolean, data: CapData];

export type KernelSyscallObject =
  | [tag: 'send', target: string, msg: KernelMessage]
  | [tag: 'invoke', target: string, method: string, args: CapData]
  | [tag: 'subscribe', vatID: string, kpid: string]
  | [tag: 'resolve', vatID: string, resolutions: KernelOneResolution[]]
  | [tag: 'exit', vatID: string, isFailure: boolean, info: CapData]
  | [tag: 'vatstoreGet', ownerID: string, key: string]
  | [tag: 'vatstoreGetNextKey', ownerID: string, priorKey: string]
  | [tag: 'vatstoreSet', ownerID: string, key: string, value: string]
  | [tag: 'vatstoreDelete', ownerID: string, key: string]
  | [tag: 'dropImports', krefs: string[]]
  | [tag: 'retireImports', krefs: string[]]
  | [tag: 'retireExports', krefs: string[]]
  | [tag: 'abandonExports', vatID: string, krefs: string[]]
  | [tag: 'callKernelHook', deviceID: string, hookName: string, args: CapData];

export type KernelSyscallResult = [tag: 'ok', data: CapData | string | null] | [tag: 'error', message: string];

export type PromiseState = 'unresolved' | 'fulfilled' | 'rejected';

export interface UnresolvedPromiseRecord {
  state: 'unresolved';
  refCount: number;
  decider: string | undefined;
  policy: Exclude<ResolutionPolicy, 'none'>;
  subscribers: string[];
  queue: KernelMessage[];
}

export interface SettledPromiseRecord {
  state: 'fulfilled' | 'rejected';
  refCount: number;
  data: CapData;
}

export type PromiseRecord = UnresolvedPromiseRecord | SettledPromiseRecord;

export type ReapLimit = number | 'never';

/** When to schedule a bringOutYourDead; missing counters never trigger. */
export interface ReapDirtThreshold {
  deliveries?: ReapLimit;
  gcKrefs?: ReapLimit;
  computrons?: ReapLimit;
  never?: boolean;
}

export interface ReapDirt {
  deliveries?: number;
  gcKrefs?: number;
  computrons?: number;
}

export type ManagerType = 'local' | 'xsnap';

/** The options the kernel stores for every vat (`v<N>.options`, JSON). */
export interface RecordedVatOptions {
  workerOptions: WorkerOptions;
  name?: string;
  vatParameters?: unknown;
  enableSetup: boolean;
  enablePipelining: boolean;
  enableDisavow: boolean;
  useTranscript: boolean;
  reapDirtThreshold: ReapDirtThreshold;
  critical: boolean;
  meterID?: string;
}

/** Where a vat's code comes from (`v<N>.source`, JSON). */
export interface VatSource {
  bundleID: string;
}

/** Static vat options as config.vats[name].creationOptions gives them. */
export interface StaticVatOptions {
  name?: string;
  enablePipelining?: boolean;
  managerType?: string;
  enableDisavow?: boolean;
  enableSetup?: boolean;
  useTranscript?: boolean;
  critical?: boolean;
  reapInterval?: ReapLimit;
  reapGCKrefs?: ReapLimit;
  neverReap?: boolean;
  nodeOptions?: string[];
}

/** A dynamic vat's options as vat-admin sends them (checked by the create-vat hook). */
export interface DynamicVatOptions {
  name?: string;
  meterID?: string;
  managerType?: string;
  enableSetup?: boolean;
  enablePipelining?: boolean;
  useTranscript?: boolean;
  reapInterval?: ReapLimit;
  critical?: boolean;
}

/** Options the kernel accepts for itself (stored under kernel.*). */
export interface InternalKernelOptions {
  defaultManagerType?: ManagerType;
  defaultReapDirtThreshold?: ReapDirtThreshold;
  relaxDurabilityRules?: boolean;
  snapshotInitial?: number;
  snapshotInterval?: number;
}

/** Work limits for one terminated-vat cleanup crank, per phase. */
export interface CleanupBudget {
  default: number;
  exports?: number;
  imports?: number;
  promises?: number;
  kv?: number;
  snapshots?: number;
  transcripts?: number;
}

/** One vat's translators between kernel form (krefs) and vat form (vrefs). */
export interface VatTranslators {
  kernelDeliveryToVatDelivery(kd: KernelDeliveryObject): VatDeliveryObject;
  vatSyscallToKernelSyscall(vsc: VatSyscallObject): KernelSyscallObject;
  kernelSyscallResultToVatSyscallResult(type: KernelSyscallObject[0], kres: KernelSyscallResult): VatSyscallResult;
}
