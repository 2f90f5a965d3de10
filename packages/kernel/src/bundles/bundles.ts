// The bundles the kernel itself needs (worker bundles and built-ins). The
// bundle shapes and IDs live in bundleFormat.ts, which the source cache also
// uses; they are re-exported here for callers that want one import.
import { loadWorkerBundles, type WorkerBundles } from '@crankshaft/worker-supervisor';
import type { EndoZipBase64Bundle } from './bundleFormat.js';
import { makeSourceBundler, type SourceBundlerOptions } from './bundleCache.js';

export * from './bundleFormat.js';

/**
 * Sources of the built-in vats and devices the kernel adds itself, by name.
 * Empty until they exist (vat-admin and timer come with later work);
 * `buildKernelBundles` bundles whatever is listed here.
 */
export const BUILTIN_VAT_SOURCES: Readonly<Record<string, string>> = {};
export const BUILTIN_DEVICE_SOURCES: Readonly<Record<string, string>> = {};

export interface KernelBundles {
  /** The xsnap worker bundles (lockdown first, then supervisor). */
  worker: WorkerBundles;
  /** Built-in vat bundles, by vat name. */
  vats: Record<string, EndoZipBase64Bundle>;
  /** Built-in device bundles, by device name. */
  devices: Record<string, EndoZipBase64Bundle>;
}

/**
 * Everything the kernel bundles on its own behalf. Tests call it once and
 * pass the result around to amortize the cost; the worker bundles come from
 * worker-supervisor's build cache, built-ins through the source cache.
 */
export async function buildKernelBundles(options: SourceBundlerOptions = {}): Promise<KernelBundles> {
  const bundler = makeSourceBundler(options);
  const bundleAll = async (sources: Readonly<Record<string, string>>): Promise<Record<string, EndoZipBase64Bundle>> => {
    const names = Object.keys(sources).sort();
    const bundles = await Promise.all(names.map(name => bundler.bundle(sources[name] as string)));
    return Object.fromEntries(names.map((name, i) => [name, bundles[i] as EndoZipBase64Bundle]));
  };
  const [worker, vats, devices] = await Promise.all([
    loadWorkerBundles(),
    bundleAll(BUILTIN_VAT_SOURCES),
    bundleAll(BUILTIN_DEVICE_SOURCES),
  ]);
  return { worker, vats, devices };
}
