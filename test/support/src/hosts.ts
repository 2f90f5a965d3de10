// The host API the differential test and the kernel benchmark drive, with
// SwingSet's names and argument order, so one workload runs unchanged on
// @crankshaft/kernel and on @agoric/swingset-vat.

export type Side = 'ours' | 'reference';

export interface CapDataLike {
  body: string;
  slots: string[];
}

/** The controller methods the drivers use (same names on both sides). */
export interface ControllerLike {
  run(): Promise<number>;
  queueToVatRoot(vatName: string, method: string, args: unknown[], resultPolicy?: string): string | undefined;
  kpStatus(kpid: string): string;
  kpResolution(kpid: string): CapDataLike;
  vatNameToID(name: string): string;
  validateAndInstallBundle(bundle: unknown): Promise<string>;
  upgradeStaticVat(vatName: string, shouldPauseFirst: boolean, bundleID: string, options: Record<string, unknown>): string | undefined;
  shutdown(): Promise<void>;
}

export interface StoreLike {
  kernelStorage: { transcriptStore: { getCurrentSpanBounds(vatID: string): { startPos: number; endPos: number } } };
  hostStorage: { commit(): Promise<void>; close(): Promise<void> };
}

export type SlogRecordLike = { type: string; [key: string]: unknown };

export interface ControllerOptions {
  slogSender?: (record: SlogRecordLike) => void;
}

export interface HostApi {
  side: Side;
  /** A fresh store in `dir`. */
  initStore(dir: string): StoreLike;
  /** An existing store in `dir`. */
  openStore(dir: string): StoreLike;
  /** initializeSwingset with this side's options (no comms, no vattp); resolves to the bootstrap kpid. */
  initialize(config: Record<string, unknown>, kernelStorage: unknown): Promise<string | undefined>;
  makeController(kernelStorage: unknown, options?: ControllerOptions): Promise<ControllerLike>;
}
