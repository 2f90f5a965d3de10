// The pieces of a running kernel that the crank modules share. Built once
// by kernel.ts; each module takes what it needs from here.
import type { VatWarehouse } from '@crankshaft/vat-warehouse';
import type { KernelQueueHandler } from './kernelQueue.js';
import type { VatLookup } from './routing.js';
import type { Slogger } from '../slog/slog.js';
import type { KernelGC } from '../gc/kernelGC.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData, VatTranslators } from '../shared/types.js';

/** Facts a delivery crank collects while a vat runs. */
export interface DeliveryFlags {
  /** The vat made a syscall the kernel refused; it will be terminated. */
  illegalSyscall: { vatID: string; info: CapData } | undefined;
  /** The vat called syscall.exit. */
  vatRequestedTermination: { reject: boolean; info: CapData } | undefined;
}

/** The kernel's own console; lines also go to the slog as `console` events. */
export interface KernelConsole {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface KernelContext {
  keeper: KernelKeeper;
  gc: KernelGC;
  queue: KernelQueueHandler;
  slog: Slogger;
  warehouse: VatWarehouse;
  translators(vatID: string): VatTranslators;
  /** Drops cached translators/options after a vat's options change or it dies. */
  forgetVat(vatID: string): void;
  lookupVat: VatLookup;
  flags: DeliveryFlags;
  panic(problem: string, err?: Error): void;
  vatAdminRootKref: string | undefined;
  console: KernelConsole;
}
