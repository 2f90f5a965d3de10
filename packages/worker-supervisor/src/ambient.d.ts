/// <reference types="ses" />
// Declarations for untyped dependencies, checked at their use sites.
declare module '@endo/import-bundle' {
  export interface ImportBundleOptions {
    endowments?: Record<string, unknown>;
    inescapableGlobalProperties?: Record<PropertyKey, unknown>;
    filePrefix?: string;
    expectedSha512?: string;
  }
  export function importBundle(
    bundle: unknown,
    options?: ImportBundleOptions,
  ): Promise<Record<string, unknown>>;
}

declare module '@agoric/xsnap' {
  import type { ChildProcess, SpawnOptions } from 'node:child_process';

  export interface XSnapMeterUsage {
    meterType: string;
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
    timestamps: number[] | null;
  }
  export interface XSnapRunResult<T> {
    reply: T;
    meterUsage: XSnapMeterUsage;
  }
  export interface XSnapOptions {
    os: string;
    spawn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
    fs: unknown;
    name?: string;
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
    debug?: boolean;
    netstringMaxChunkSize?: number;
    parserBufferSize?: number;
    snapshotStream?: AsyncIterable<Uint8Array>;
    snapshotDescription?: string;
    snapshotUseFs?: boolean;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    meteringLimit?: number;
    env?: Record<string, string | undefined>;
  }
  export interface XSnap {
    name: string;
    issueCommand(message: Uint8Array): Promise<XSnapRunResult<Uint8Array>>;
    issueStringCommand(message: string): Promise<XSnapRunResult<string>>;
    isReady(): Promise<void>;
    close(): Promise<void>;
    terminate(): Promise<void>;
    evaluate(code: string): Promise<XSnapRunResult<Uint8Array>>;
    makeSnapshotStream(description?: string): AsyncGenerator<Uint8Array, void, undefined>;
  }
  export function xsnap(options: XSnapOptions): Promise<XSnap>;
  export const ExitCode: Readonly<Record<string, number>>;
}
