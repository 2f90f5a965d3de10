// The start-compartment globals an xsnap worker offers (see
// @agoric/xsnap's xsnap-worker.c), typed, plus the gcTools built on them.
// Only the supervisor bundle imports this file.
import type { NativeMeter } from '../meterControl.js';

export interface XsGlobals extends NativeMeter {
  /** Synchronous round trip to the kernel (a `?` query frame). */
  issueCommand(request: ArrayBuffer): ArrayBuffer;
  /** Called by XS for every kernel command; we install it. */
  handleCommand?: (request: ArrayBuffer) => unknown;
  /** Full garbage collection. */
  gc(): void;
  /** Runs `callback` after the promise queue drains. */
  setImmediate(callback: () => void): void;
  /** Writes to the worker's stdout; we redirect it to the kernel. */
  print(...args: unknown[]): void;
  performance: { now(): number };
  Base64?: unknown;
}

export const xsGlobals = (): XsGlobals => globalThis as unknown as XsGlobals;

/** One trip through the IO queue: every promise job queued before it has run. */
export const nextImmediate = (xs: XsGlobals): Promise<void> =>
  new Promise<void>(resolve => xs.setImmediate(() => resolve()));

/** gcAndFinalize for XS: settle, collect, then let finalizers run. */
export const makeXsGcAndFinalize =
  (xs: XsGlobals) =>
  async (): Promise<void> => {
    // XS needs two settling turns before gc() sees every dead object.
    await nextImmediate(xs);
    await nextImmediate(xs);
    xs.gc();
    await nextImmediate(xs);
    await nextImmediate(xs);
  };
