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

/** Slots one link of the growth chain takes: the instance plus 15 properties. */
export const SLOTS_PER_LINK = 16;

interface Link {
  next: Link | undefined;
}

/**
 * Makes about `slots` of free room in the XS slot heap (see
 * xsHeapTuning.ts): builds a chain of plain objects, which takes slots
 * only (no chunks), and drops it. While the chain is built the heap runs
 * out of garbage to free, so XS grows it; the next collection frees the
 * whole chain.
 */
export function growXsHeap(slots: number): void {
  let chain: Link | undefined;
  for (let i = Math.ceil(slots / SLOTS_PER_LINK); i > 0; i -= 1) {
    chain = { next: chain, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: 0, i: 0, j: 0, k: 0, l: 0, m: 0, n: 0 } as Link;
  }
  chain = undefined;
}
