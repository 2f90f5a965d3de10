// The default WorkerStarter: xsnap or local workers from
// @crankshaft/worker-supervisor, with bundles read from the bundleStore.
import type { BundleStore } from '@crankshaft/swing-store';
import {
  getWorkerBundlesByID,
  startLocalVatWorker,
  startXsnapVatWorker,
  type NestedEvaluateBundle,
  type VatBundle,
  type XsnapWorkerOptions,
  type ZygoteCache,
} from '@crankshaft/worker-supervisor';
import { fail } from './errors.js';
import type { WorkerStarter } from './types.js';

export type XsnapTuning = Pick<XsnapWorkerOptions, 'computeLimit' | 'batchSyscalls' | 'debug' | 'stdout' | 'stderr' | 'hangTimeoutMs'>;

export interface WorkerStarterOptions {
  bundleStore: Pick<BundleStore, 'getBundle' | 'hasBundle'>;
  /** Passed to every xsnap worker (compute limit, debug build, stdio, hang timeout). */
  xsnap?: Partial<XsnapTuning>;
  /**
   * Base worker snapshots for fresh xsnap workers (worker-supervisor's
   * zygote.ts). Default: the process-wide in-memory cache; pass
   * `makeZygoteCache({ dir })` for one that also lives on disk, or `false`
   * to evaluate the worker bundles in every fresh worker.
   */
  zygotes?: ZygoteCache | false;
}

type WorkerBundlePair = { lockdown: NestedEvaluateBundle; supervisor: NestedEvaluateBundle };

export function makeWorkerStarter(options: WorkerStarterOptions): WorkerStarter {
  const { bundleStore, xsnap: tuning = {} } = options;
  // Bundles are immutable by ID: read (and re-hash) each pair once.
  const workerBundles = new Map<string, WorkerBundlePair>();
  const workerBundlesFor = (bundleIDs: readonly [string, string]): WorkerBundlePair => {
    const key = bundleIDs.join(',');
    let pair = workerBundles.get(key);
    if (pair === undefined) {
      pair = getWorkerBundlesByID(bundleStore, bundleIDs);
      workerBundles.set(key, pair);
    }
    return pair;
  };

  const getBundle = (vatID: string, bundleID: string, what: string): unknown => {
    if (!bundleStore.hasBundle(bundleID)) {
      fail('WORKER_FAILURE', `cannot start a worker for ${vatID}: ${what} bundle ${bundleID} is not in the bundleStore`);
    }
    return bundleStore.getBundle(bundleID);
  };

  const getVatBundle = (vatID: string, bundleID: string): VatBundle => {
    const bundle = getBundle(vatID, bundleID, 'vat');
    if (typeof bundle !== 'object' || bundle === null || typeof (bundle as VatBundle).moduleFormat !== 'string') {
      return fail('WORKER_FAILURE', `cannot start a worker for ${vatID}: bundle ${bundleID} has no moduleFormat`);
    }
    return bundle as VatBundle;
  };

  return async request => {
    const { vatID, config, workerOptions, start, onConsole } = request;
    const vatName = config.name ?? vatID;
    const liveSlotsOptions = config.liveSlotsOptions ?? {};
    if (workerOptions.type === 'local') {
      if (start.from !== 'bundle') {
        return fail('WORKER_FAILURE', `cannot start a local worker for ${vatID} from a heap snapshot`);
      }
      return startLocalVatWorker({
        vatID,
        vatName,
        vatBundle: getVatBundle(vatID, start.bundleID),
        liveSlotsOptions,
        onConsole,
        ...(config.enableSetup === true ? { enableSetup: true } : {}),
      });
    }
    if (config.enableSetup === true) {
      return fail('WORKER_FAILURE', `cannot start ${vatID}: setup() vats (enableSetup) run on local workers only`);
    }
    const workerSettings: XsnapWorkerOptions = {
      ...tuning,
      vatID,
      vatName,
      metered: config.metered ?? true,
      onConsole,
    };
    if (start.from === 'snapshot') {
      return startXsnapVatWorker(workerSettings, {
        from: 'snapshot',
        snapshot: start.stream,
        description: `${vatID}-${start.snapPos}-${start.hash.slice(0, 12)}`,
      });
    }
    for (const id of workerOptions.bundleIDs) {
      if (!bundleStore.hasBundle(id)) {
        fail('WORKER_FAILURE', `cannot start a worker for ${vatID}: worker bundle ${id} is not in the bundleStore`);
      }
    }
    const { lockdown, supervisor } = workerBundlesFor(workerOptions.bundleIDs);
    return startXsnapVatWorker(workerSettings, {
      from: 'bundles',
      lockdownBundle: lockdown,
      supervisorBundle: supervisor,
      bundleIDs: workerOptions.bundleIDs,
      vatBundle: getVatBundle(vatID, start.bundleID),
      liveSlotsOptions,
      ...(options.zygotes === undefined ? {} : { zygotes: options.zygotes }),
    });
  };
}
