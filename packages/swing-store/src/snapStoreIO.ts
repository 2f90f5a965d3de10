// makeSnapStoreIO(), under @agoric/swing-store's name: the measuring power
// SwingSet's snapStore takes. Our snapStore measures on its own (see
// snapStore.ts), so this exists for hosts that build one and pass it along.
import { performance } from 'node:perf_hooks';

export interface SnapStoreIO {
  /** Runs `fn`, resolving to its result and how long it took, in seconds. */
  measureSeconds<T>(fn: () => T | Promise<T>): Promise<{ result: T; duration: number }>;
}

export function makeSnapStoreIO(): SnapStoreIO {
  return {
    async measureSeconds(fn) {
      const start = performance.now();
      const result = await fn();
      return { result, duration: (performance.now() - start) / 1000 };
    },
  };
}
