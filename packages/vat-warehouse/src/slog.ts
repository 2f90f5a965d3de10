// Slog (structured log) events the warehouse emits, in the reference's
// shapes. The host's slog callback adds time stamps; the warehouse only adds
// `seconds` to end events. Nothing here is stored state.
import type { VatDeliveryObject, VatSyscallObject, VatSyscallResult } from './workerTypes.js';
import type { TranscriptDelivery } from './transcriptEntry.js';

/** Reference-style VatDeliveryResult: [status, problem|null, usage|null]. */
export type SlogDeliveryResult = [status: 'ok' | 'error', problem: string | null, usage: { compute: number } | null];

export type WarehouseSlogEvent =
  | {
      type: 'deliver';
      crankNum?: number;
      vatID: string;
      deliveryNum: number;
      replay: boolean;
      dispatch: string;
      kd?: unknown;
      vd: TranscriptDelivery;
    }
  | {
      type: 'deliver-result';
      crankNum?: number;
      vatID: string;
      deliveryNum: number;
      replay: boolean;
      dispatch: string;
      dr: SlogDeliveryResult;
      seconds: number;
    }
  | {
      type: 'syscall';
      vatID: string;
      deliveryNum: number;
      syscallNum: number;
      replay: true;
      syscall: string;
      vsc: VatSyscallObject;
    }
  | {
      type: 'syscall-result';
      vatID: string;
      deliveryNum: number;
      syscallNum: number;
      replay: true;
      syscall: string;
      vsr: VatSyscallResult;
      seconds: number;
    }
  | { type: 'start-replay'; vatID: string; deliveries: number }
  | { type: 'finish-replay'; vatID: string; seconds: number }
  | {
      type: 'heap-snapshot-save';
      vatID: string;
      snapshotID: string;
      endPosition: number;
      uncompressedSize: number;
      compressedSize: number;
      compressSeconds?: number;
      dbSaveSeconds?: number;
      archiveWriteSeconds?: number;
      uncompressedSizeDelta?: number;
      restartWorker: boolean;
    }
  | {
      type: 'heap-snapshot-load';
      vatID: string;
      snapPos: number;
      hash: string;
      uncompressedSize?: number;
      compressedSize?: number;
    }
  | {
      type: 'console';
      source: string;
      state: 'delivery' | 'idle';
      crankNum?: number;
      vatID: string;
      deliveryNum?: number;
      level: string;
      args: unknown[];
    };

export type SlogSender = (event: WarehouseSlogEvent) => void;

/** Seconds from an arbitrary origin; for durations in slog only. */
export type MonotonicClock = () => number;

export const defaultClock: MonotonicClock = () => performance.now() / 1000;

export const noSlog: SlogSender = () => {};

export function slogDeliveryResult(status: 'ok' | 'error', problem: string | undefined, computrons: number | undefined): SlogDeliveryResult {
  return [status, problem ?? null, computrons === undefined ? null : { compute: computrons }];
}

/** Copies only the defined optional number fields (exactOptionalPropertyTypes). */
export function definedNumbers<K extends string>(
  source: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const key of keys) {
    const value = source[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

export const dispatchOf = (d: TranscriptDelivery | VatDeliveryObject): string => d[0];
