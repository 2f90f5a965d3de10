// Shared types of the swing-store. Every sub-store module implements one of
// the *Internal interfaces below; the public kernel/host facets are
// attenuations of them (see swingStore.ts).
import type { Database } from 'better-sqlite3';

export type ArtifactMode = 'operational' | 'replay' | 'archival' | 'debug';
export const artifactModes: readonly ArtifactMode[] = [
  'operational',
  'replay',
  'archival',
  'debug',
];

/** An export-data change: a null value means "delete this key". */
export type ExportDataEntry = [key: string, value: string | null];
export type ExportCallback = (entries: ExportDataEntry[]) => void;

/**
 * Records one change to the export data. `undefined` deletes the key.
 * swingStore.ts implements it over the `pendingExports` table (only when an
 * exportCallback was configured), so crank rollbacks also drop the notes.
 */
export type NoteExport = (key: string, value: string | undefined) => void;

/** Opens `BEGIN IMMEDIATE` if no transaction is open. Call before writes. */
export type EnsureTxn = () => void;

/** What every sub-store factory receives. */
export interface StoreContext {
  db: Database;
  ensureTxn: EnsureTxn;
  noteExport: NoteExport;
}

export type ByteChunks = AsyncIterable<Uint8Array>;

// ---------------------------------------------------------------- kvStore

export interface KVStore {
  get(key: string): string | undefined;
  getNextKey(previousKey: string): string | undefined;
  has(key: string): boolean;
  set(key: string, value: string): void;
  delete(key: string): void;
}

export type KVKeyType = 'consensus' | 'local' | 'host';

// -------------------------------------------------------- transcriptStore

export interface SpanBounds {
  startPos: number;
  endPos: number;
  hash: string;
  incarnation: number;
}

export interface DeletionResult {
  done: boolean;
  cleanups: number;
}

export interface TranscriptStore {
  initTranscript(vatID: string): void;
  rolloverSpan(vatID: string): Promise<number>;
  rolloverIncarnation(vatID: string): Promise<number>;
  getCurrentSpanBounds(vatID: string): SpanBounds;
  addItem(vatID: string, item: string): void;
  readSpan(vatID: string, startPos?: number): IterableIterator<string>;
  /** DB work is synchronous; the promise only awaits the archiveTranscript hook. */
  stopUsingTranscript(vatID: string): Promise<void>;
  deleteVatTranscripts(vatID: string, budget?: number): DeletionResult;
}

/** One span of a vat with how many of its items are stored (tools: inspect, replay). */
export interface SpanDescription extends SpanBounds {
  isCurrent: boolean;
  /** endPos - startPos when complete; fewer once keepTranscripts pruned it. */
  storedItems: number;
}

export interface TranscriptStoreInternal extends TranscriptStore {
  /** Every span of the vat (historical and current) in position order. */
  describeVatSpans(vatID: string): SpanDescription[];
  /** `transcript.<vatID>.current` and (historical) `transcript.<vatID>.<startPos>` records. */
  getExportRecords(includeHistorical: boolean): IterableIterator<[string, string]>;
  /** `transcript.<vatID>.<startPos>.<endPos>` names for the mode. */
  getArtifactNames(mode: ArtifactMode): IterableIterator<string>;
  /** Artifact bytes: each item followed by "\n". */
  exportSpan(name: string): ByteChunks;
  importTranscriptSpanRecord(key: string, value: string): void;
  populateTranscriptSpan(name: string, artifact: ByteChunks, mode: ArtifactMode): Promise<void>;
  repairTranscriptSpanRecord(key: string, value: string): void;
  assertComplete(mode: Exclude<ArtifactMode, 'debug'>): void;
  readFullVatTranscript(vatID: string): IterableIterator<{ vatID: string; position: number; item: string }>;
  dumpTranscripts(includeHistorical: boolean): Record<string, Record<number, string>>;
}

// --------------------------------------------------------------- snapStore

export interface SnapshotResult {
  hash: string;
  uncompressedSize: number;
  compressedSize: number;
  compressSeconds: number;
  dbSaveSeconds: number;
  archiveWriteSeconds?: number;
}

export interface SnapshotInfo {
  snapPos: number;
  hash: string;
  uncompressedSize: number;
  compressedSize: number;
}

export interface SnapStore {
  saveSnapshot(vatID: string, snapPos: number, snapshotStream: ByteChunks): Promise<SnapshotResult>;
  loadSnapshot(vatID: string): AsyncGenerator<Uint8Array, void, undefined>;
  stopUsingLastSnapshot(vatID: string): void;
  deleteAllUnusedSnapshots(): void;
  deleteVatSnapshots(vatID: string, budget?: number): DeletionResult;
  getSnapshotInfo(vatID: string): SnapshotInfo | undefined;
}

/** One snapshot row of a vat, in-use or historical (tools: inspect, replay). */
export interface SnapshotDescription {
  snapPos: number;
  hash: string;
  inUse: boolean;
  /** False when the blob was pruned (keepSnapshots off) or never imported. */
  kept: boolean;
  uncompressedSize?: number;
  compressedSize?: number;
}

export interface SnapStoreInternal extends SnapStore {
  /** The verified uncompressed image of any kept snapshot (in use or not); NO_SNAPSHOT if absent or pruned. */
  loadSnapshotAt(vatID: string, snapPos: number): AsyncGenerator<Uint8Array, void, undefined>;
  describeVatSnapshots(vatID: string): SnapshotDescription[];
  getExportRecords(includeHistorical: boolean): IterableIterator<[string, string]>;
  getArtifactNames(mode: ArtifactMode): IterableIterator<string>;
  /** Artifact bytes are the uncompressed heap image. */
  exportSnapshot(name: string): ByteChunks;
  importSnapshotRecord(key: string, value: string): void;
  populateSnapshot(name: string, artifact: ByteChunks, mode: ArtifactMode): Promise<void>;
  repairSnapshotRecord(key: string, value: string): void;
  assertComplete(mode: Exclude<ArtifactMode, 'debug'>): void;
  hasHash(vatID: string, hash: string): boolean;
  listAllSnapshots(): IterableIterator<{ vatID: string; snapPos: number; hash: string; inUse: number }>;
  dumpSnapshots(includeHistorical: boolean): Record<string, unknown>;
  deleteSnapshotByHash(vatID: string, hash: string): void;
}

// ------------------------------------------------------------- bundleStore

export type Bundle =
  | { moduleFormat: 'nestedEvaluate'; source: string; sourceMap?: string }
  | { moduleFormat: 'endoZipBase64'; endoZipBase64: string; endoZipBase64Sha512: string }
  | { moduleFormat: string; [k: string]: unknown };

export interface BundleStore {
  addBundle(bundleID: string, bundle: Bundle): void;
  hasBundle(bundleID: string): boolean;
  getBundle(bundleID: string): Bundle;
  deleteBundle(bundleID: string): void;
}

export interface BundleStoreInternal extends BundleStore {
  getExportRecords(): IterableIterator<[string, string]>;
  getArtifactNames(): IterableIterator<string>;
  exportBundle(name: string): ByteChunks;
  importBundleRecord(key: string, value: string): void;
  importBundle(name: string, artifact: ByteChunks): Promise<void>;
  repairBundleRecord(key: string, value: string): void;
  assertComplete(): void;
  getBundleIDs(): IterableIterator<string>;
  dumpBundles(): Record<string, unknown>;
}

// ------------------------------------------------------------------ opening

export interface SwingStoreOptions {
  /** Treat `path` as the DB file itself rather than a directory. */
  asFile?: boolean;
  /** Journal off, synchronous normal: used by import. */
  unsafeFastMode?: boolean;
  readonly?: boolean;
  /** Default false: blobs of no-longer-in-use snapshots are dropped. */
  keepSnapshots?: boolean;
  /** Default true: items of closed spans are kept. */
  keepTranscripts?: boolean;
  exportCallback?: ExportCallback;
  traceFile?: string;
  archiveSnapshot?: (name: string, compressedData: Buffer) => void | Promise<void>;
  archiveTranscript?: (spanName: string, entries: Buffer[]) => void | Promise<void>;
}

export interface KernelStorage {
  kvStore: KVStore;
  transcriptStore: TranscriptStore;
  snapStore: SnapStore;
  bundleStore: BundleStore;
  startCrank(): void;
  establishCrankSavepoint(name: string): void;
  rollbackCrank(name: string): void;
  emitCrankHashes(): { crankhash: string; activityhash: string };
  endCrank(): void;
  getActivityhash(): string;
}

export interface HostStorage {
  kvStore: KVStore;
  commit(): Promise<void>;
  close(): Promise<void>;
  diskUsage(): number;
  repairMetadata(exporter: SwingStoreExporter): Promise<void>;
}

export interface SwingStoreInternal {
  dirPath: string | null;
  asFile: boolean;
  db: Database;
  kvStore: KVStore;
  transcriptStore: TranscriptStoreInternal;
  snapStore: SnapStoreInternal;
  bundleStore: BundleStoreInternal;
}

export interface SwingStoreDebug {
  serialize(): Buffer;
  dump(includeHistorical?: boolean): {
    kvEntries: Record<string, string>;
    transcripts: Record<string, Record<number, string>>;
    snapshots: Record<string, unknown>;
    bundles: Record<string, unknown>;
  };
  getDatabase(): Database;
}

export interface SwingStore {
  kernelStorage: KernelStorage;
  hostStorage: HostStorage;
  debug: SwingStoreDebug;
  internal: SwingStoreInternal;
}

// ------------------------------------------------------------- state-sync

export interface SwingStoreExporter {
  getHostKV(key: string): string | undefined;
  getExportData(): AsyncIterable<[string, string]>;
  getArtifactNames(): AsyncIterable<string>;
  getArtifact(name: string): ByteChunks;
  close(): Promise<void>;
}
