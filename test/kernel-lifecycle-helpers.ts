// Helpers for the vat-lifecycle tests (fixture `dynamic`): a bootstrap vat
// that holds the vatAdminService and the dynamic vats it made, driven by
// host calls whose results are plain data.
import { kunser, type SwingSetConfig, type SwingsetController } from '@crankshaft/kernel';
import type { RunPolicy } from '@crankshaft/kernel';
import type { KVStore } from '@crankshaft/swing-store';

/** Calls a bootstrap root method, runs the kernel, and returns the result. */
export async function callBootstrap(
  controller: SwingsetController,
  method: string,
  args: unknown[] = [],
  policy?: RunPolicy,
): Promise<unknown> {
  const kpid = controller.queueToVatRoot('bootstrap', method, args, 'ignore');
  if (kpid === undefined) throw Error(`no result for ${method}`);
  await controller.run(policy);
  const status = controller.kpStatus(kpid);
  if (status !== 'fulfilled') throw Error(`bootstrap.${method} is ${status}`);
  return kunser(controller.kpResolution(kpid));
}

/** How many kv keys start with `prefix` (e.g. a vat's `v<N>.`). */
export function countKeys(kvStore: KVStore, prefix: string): number {
  let count = 0;
  for (let key = kvStore.getNextKey(prefix); key !== undefined && key.startsWith(prefix); key = kvStore.getNextKey(key)) {
    count += 1;
  }
  return count;
}

/** No snapshots, so the tests stay fast and transcripts stay whole. */
export const noSnapshots = (config: SwingSetConfig): SwingSetConfig => ({
  ...config,
  snapshotInitial: 100_000,
  snapshotInterval: 100_000,
});
