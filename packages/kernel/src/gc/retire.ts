// Which promises one notify retires: the notified kpid plus every settled
// promise reachable through resolution data, transitively (so a vat learns
// about a whole resolved chain in one delivery). Unresolved ones stop the walk.
import { parseKref } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData } from '../shared/types.js';

export function getKpidsToRetire(keeper: KernelKeeper, rootKpid: string, rootData: CapData | undefined): string[] {
  const seen = new Set<string>();
  const scan = (kpid: string, data: CapData | undefined): void => {
    seen.add(kpid);
    if (!data) return;
    for (const slot of data.slots) {
      if (parseKref(slot).type !== 'promise' || seen.has(slot)) continue;
      const kp = keeper.promises.getKernelPromise(slot);
      if (kp.state !== 'unresolved') scan(slot, kp.data);
    }
  };
  scan(rootKpid, rootData);
  return [...seen];
}
