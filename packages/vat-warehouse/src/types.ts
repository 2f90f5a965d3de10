// The warehouse's public contract: what the kernel supplies (per-vat facts,
// syscall handlers, stores, a worker starter) and what it gets back.
import type { BundleStore, SnapStore, TranscriptStore } from '@crankshaft/swing-store';
import type { ReplayBatching, ReplayMode } from './replay.js';
import type { SlogSender, MonotonicClock } from './slog.js';
import type {
  DeliveryResult,
  LiveSlotsOptions,
  VatConsoleEntry,
  VatDeliveryObject,
  VatSyscallHandler,
  VatWorker,
  WorkerOptions,
} from './workerTypes.js';

/** What the kernel knows about a live vat; the warehouse asks, never stores. */
export interface VatConfig {
  /** Human name, for console prefixes and worker process names. */
  name?: string;
  /** The vat's current bundle; recorded in the next initialize-worker. */
  source: { bundleID: string };
  /** Current worker options; recorded in the next initialize-worker. */
  workerOptions: WorkerOptions;
  /** Default true. False: no transcript, no replay, no snapshots. */
  useTranscript?: boolean;
  /** Default true: the worker imposes the per-delivery compute limit. */
  metered?: boolean;
  /** enableDisavow, relaxDurabilityRules... forwarded to liveslots. */
  liveSlotsOptions?: LiveSlotsOptions;
  /** A raw setup() vat (local workers only), as SwingSet's enableSetup. */
  enableSetup?: boolean;
}

/** The kernel's side of the conversation, supplied at construction. */
export interface VatHost {
  /** Facts about a vat, or undefined if the vat is unknown or dead. */
  getVatConfig(vatID: string): VatConfig | undefined;
  /** Live vats in preload order (static by name, then dynamic by creation). */
  listVatIDs(): string[];
  /** The handler for deliveries the warehouse makes itself (the BOYD before a snapshot). */
  syscallHandlerFor(vatID: string): VatSyscallHandler;
  /** Told after every bringOutYourDead delivery, so the kernel can clear the vat's reap dirt. */
  onReaped?(vatID: string): void;
}

/** What a worker starter is asked for. */
export interface WorkerStartRequest {
  vatID: string;
  config: VatConfig;
  /** Worker type and infrastructure bundles. */
  workerOptions: WorkerOptions;
  /** How to build the heap: from the vat bundle, or from a stored heap snapshot. */
  start:
    | { from: 'bundle'; bundleID: string }
    | { from: 'snapshot'; snapPos: number; hash: string; stream: AsyncIterable<Uint8Array> };
  /** Where the worker sends the vat's console output. */
  onConsole(entry: VatConsoleEntry): void;
}

export type WorkerStarter = (request: WorkerStartRequest) => Promise<VatWorker>;

/** The stores the warehouse reads and writes (a KernelStorage has them all). */
export interface WarehouseStores {
  transcriptStore: TranscriptStore;
  snapStore: SnapStore;
  bundleStore: BundleStore;
}

export interface WarehousePolicy {
  /** Most workers online at once (LRU). Default 50. */
  maxVatsOnline?: number;
  /** Vats start() brings online. Default maxVatsOnline / 2. */
  maxPreloadVats?: number;
  /** Workers start() starts (and replays) at once. Default 4. */
  preloadConcurrency?: number;
  /** Default true: continue on a worker restarted from the snapshot just written. */
  restartWorkerOnSnapshot?: boolean;
  /** Span entries before the first snapshot of an incarnation. Default 3. */
  snapshotInitial?: number;
  /** Span entries before each later snapshot. Default 200. */
  snapshotInterval?: number;
  /**
   * How replay runs (docs/transcripts.md). 'exact' (default): one worker
   * round trip per delivery and per value syscall; the worker runs exactly
   * the code path of a live delivery, so its heap (and every snapshot it
   * writes later) is byte-for-byte what it would have been without the
   * restart. 'pipelined': several deliveries per round trip, syscalls
   * answered inside the worker; faster, same syscalls, results and
   * divergence reports, but the heap layout differs from a worker that
   * never restarted, so later snapshot hashes depend on when it restarted.
   */
  replayMode?: ReplayMode;
  /** Batch limits for 'pipelined' replay. */
  replayBatching?: ReplayBatching;
}

export interface VatWarehouseOptions {
  stores: WarehouseStores;
  host: VatHost;
  startWorker: WorkerStarter;
  policy?: WarehousePolicy;
  slog?: SlogSender;
  /** Receives vat console output outside replay. Default: printed with the vat's name. */
  vatConsole?: (entry: VatConsoleEntry) => void;
  /** Durations in slog events only. Default performance.now()/1000. */
  clock?: MonotonicClock;
}

/** Kernel context for the slog; neither is stored anywhere. */
export interface DeliveryContext {
  crankNum?: number;
  /** The kernel-form delivery, for the slog's `kd`. */
  kd?: unknown;
}

export interface WarehouseStats {
  /** Workers started (from bundles or snapshots). */
  workerStarts: number;
  /** Deliveries re-executed by replay. */
  replayedDeliveries: number;
  /** ensureVatOnline runs that replayed at least one delivery. */
  replays: number;
  snapshotsSaved: number;
  evictions: number;
}

export interface VatWarehouse {
  /** Preloads up to maxPreloadVats vats. A failure is fatal (kernel panic). */
  start(): Promise<void>;
  /** Brings a vat's worker online (snapshot or bundle, then replay of the current span). */
  ensureVatOnline(vatID: string): Promise<void>;
  /** One live delivery, recorded in the transcript. */
  deliverToVat(
    vatID: string,
    delivery: VatDeliveryObject,
    syscallHandler: VatSyscallHandler,
    context?: DeliveryContext,
  ): Promise<DeliveryResult>;
  /** Takes a snapshot if the policy says so; true if one was taken. */
  maybeSaveSnapshot(vatID: string, minDeliveryCount?: number): Promise<boolean>;
  /** maybeSaveSnapshot(vatID, 2) for every live vat; returns those snapshotted. */
  snapshotAllVats(): Promise<string[]>;
  /** Upgrade: ends the incarnation. Returns the new incarnation number. */
  beginNewWorkerIncarnation(vatID: string): Promise<number>;
  /** Shuts down the vat's worker if it is online (the DB is not touched). */
  stopWorker(vatID: string): Promise<void>;
  /** The deliveryNum the vat's next transcript entry will get. */
  nextDeliveryNum(vatID: string): number;
  isOnline(vatID: string): boolean;
  /** Online vats, least recently used first. */
  onlineVatIDs(): string[];
  getStats(): WarehouseStats;
  /** Stops every worker; the warehouse refuses work afterwards. */
  shutdown(): Promise<void>;
}
