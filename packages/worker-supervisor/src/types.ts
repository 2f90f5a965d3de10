// Vat-form deliveries and syscalls (the shapes liveslots speaks), the
// kernel-side VatWorker contract, and the structural stores this package
// needs from its neighbours. Structural on purpose: this package must not
// depend on @crankshaft/swing-store.

/** Marshalled data: a JSON body plus the vrefs it mentions. */
export interface CapData {
  body: string;
  slots: string[];
}

export interface VatMessage {
  methargs: CapData;
  result?: string | null | undefined;
}

/** One promise resolution: `[vpid, isReject, data]`. */
export type VatOneResolution = [vpid: string, isReject: boolean, data: CapData];

export type VatDeliveryObject =
  | [tag: 'message', target: string, msg: VatMessage]
  | [tag: 'notify', resolutions: VatOneResolution[]]
  | [tag: 'dropExports', vrefs: string[]]
  | [tag: 'retireExports', vrefs: string[]]
  | [tag: 'retireImports', vrefs: string[]]
  | [tag: 'changeVatOptions', options: Record<string, unknown>]
  | [tag: 'startVat', vatParameters: CapData]
  | [tag: 'stopVat', disconnectObject: CapData]
  | [tag: 'bringOutYourDead'];

export type VatSyscallObject =
  | [tag: 'send', target: string, msg: VatMessage]
  | [tag: 'callNow', target: string, method: string, args: CapData]
  | [tag: 'subscribe', vpid: string]
  | [tag: 'resolve', resolutions: VatOneResolution[]]
  | [tag: 'exit', isFailure: boolean, info: CapData]
  | [tag: 'vatstoreGet', key: string]
  | [tag: 'vatstoreGetNextKey', priorKey: string]
  | [tag: 'vatstoreSet', key: string, value: string]
  | [tag: 'vatstoreDelete', key: string]
  | [tag: 'dropImports', vrefs: string[]]
  | [tag: 'retireImports', vrefs: string[]]
  | [tag: 'retireExports', vrefs: string[]]
  | [tag: 'abandonExports', vrefs: string[]];

export type VatSyscallType = VatSyscallObject[0];

export type VatSyscallResult =
  | [tag: 'ok', data: CapData | string | string[] | null]
  | [tag: 'error', message: string];

/** What the kernel gives a worker for one delivery: answers each syscall in order. */
export type VatSyscallHandler = (vso: VatSyscallObject) => VatSyscallResult;

export interface DeliveryMetering {
  /** XS meter units consumed by the whole delivery command. */
  computrons: number;
}

/** The delivery result a VatWorker reports (the transcript's `r`). */
export interface DeliveryResult {
  status: 'ok' | 'error';
  /** Present when status is 'error': why the delivery failed. */
  error?: string;
  /** Present for metered xsnap workers that reported usage. */
  metering?: DeliveryMetering;
}

/** Console output from inside a vat, forwarded to the kernel. */
export interface VatConsoleEntry {
  vatID: string;
  vatName: string;
  /** 'vat' (user code), 'ls' (liveslots), or 'xsnap' (stray print). */
  source: string;
  level: string;
  args: string[];
}
export type VatConsoleSink = (entry: VatConsoleEntry) => void;

/** What a snapStore's saveSnapshot reports (a subset is required). */
export interface SnapshotSaveResult {
  hash: string;
  uncompressedSize: number;
  compressedSize: number;
  [extra: string]: unknown;
}

/**
 * The part of the swing-store snapStore a worker needs. Declared here so the
 * dependency points one way (the real one is @crankshaft/swing-store's).
 */
export interface SnapStoreLike {
  saveSnapshot(
    vatID: string,
    snapPos: number,
    stream: AsyncIterable<Uint8Array>,
  ): Promise<SnapshotSaveResult>;
  loadSnapshot(vatID: string): AsyncIterable<Uint8Array>;
}

export interface SnapshotReport extends SnapshotSaveResult {
  snapPos: number;
  /** True when the worker now runs from the snapshot just written. */
  restarted: boolean;
  /** Wall time, for slog/bench only; never stored in consensus state. */
  seconds: { save: number; restart?: number };
}

/**
 * One delivery to re-execute in replay mode, with the results its syscalls
 * got when it first ran, in order. The worker answers the vat's syscalls
 * from `results` by position instead of asking the kernel.
 */
export interface ReplayRequest {
  delivery: VatDeliveryObject;
  results: VatSyscallResult[];
}

/** What the worker reports for one replayed delivery. */
export interface ReplayedDelivery {
  /** The syscalls the vat made that would have reached the kernel, in order. */
  syscalls: VatSyscallObject[];
  /** The delivery result, as `deliver` would have reported it. */
  result: DeliveryResult;
}

/** The contract every kernel-side worker manager implements. */
export interface VatWorker {
  readonly vatID: string;
  readonly kind: 'xsnap' | 'local';
  deliver(delivery: VatDeliveryObject, syscallHandler: VatSyscallHandler): Promise<DeliveryResult>;
  /**
   * Replay mode: re-execute deliveries in order, answering syscalls from
   * their recorded results inside the worker (no round trip per syscall;
   * several deliveries per round trip). The caller compares the reported
   * syscalls with the record. Console output goes to the worker's sink.
   */
  replay?(requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]>;
  /**
   * Write the worker's heap into `snapStore` at `snapPos`. Only workers that
   * can snapshot (xsnap) have it; the local worker leaves it out.
   */
  makeSnapshot?(snapPos: number, snapStore: SnapStoreLike, restartWorker?: boolean): Promise<SnapshotReport>;
  shutdown(): Promise<void>;
}

/** Options liveslots takes (forwarded verbatim to makeLiveSlots). */
export interface LiveSlotsOptions {
  enableDisavow?: boolean;
  relaxDurabilityRules?: boolean;
  allowStateShapeChanges?: boolean;
}

/** A bundle as stored by the bundleStore (only the shapes we produce or load). */
export interface NestedEvaluateBundle {
  moduleFormat: 'nestedEvaluate';
  source: string;
  sourceMap?: string;
}
export interface VatBundle {
  moduleFormat: string;
  [key: string]: unknown;
}

/** The part of the swing-store bundleStore the bundle helpers need. */
export interface BundleStoreLike {
  addBundle(bundleID: string, bundle: NestedEvaluateBundle): void;
  hasBundle(bundleID: string): boolean;
  getBundle(bundleID: string): unknown;
}

/** The worker options record carried by a vat's `initialize-worker` entry. */
export type WorkerOptions =
  | { type: 'xsnap'; bundleIDs: [lockdownID: string, supervisorID: string] }
  | { type: 'local' };
