// Turning creation options into the RecordedVatOptions stored per vat,
// sampling the kernel defaults and the current worker bundle IDs, as
// SwingSet's option recorder does (same keys, same defaults, same JSON).
import type { WorkerOptions, WorkerBundles } from '@crankshaft/worker-supervisor';
import { provideWorkerBundleIDs } from '@crankshaft/worker-supervisor';
import { KernelError } from '../shared/errors.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { RecordedVatOptions, ReapDirtThreshold, StaticVatOptions } from '../shared/types.js';

import { CREATION_OPTION_KEYS } from './creationOptionKeys.js';

export { CREATION_OPTION_KEYS };

export const STATIC_CREATION_OPTION_KEYS: readonly string[] = CREATION_OPTION_KEYS;

export function assertKnownOptions(options: Record<string, unknown>, known: readonly string[], where: string): void {
  const unknown = Object.keys(options).filter(key => !known.includes(key));
  if (unknown.length) throw new KernelError('BAD_CONFIG', `${where}: unknown options ${unknown.join(',')}`);
}

/** The worker options a new (or upgraded) vat of this manager type records. */
export function makeWorkerOptions(
  managerType: string,
  keeper: KernelKeeper,
  workerBundles: () => WorkerBundles,
): WorkerOptions {
  // node-subprocess: the local worker (see checkManagerType in configValidate).
  if (managerType === 'local' || managerType === 'node-subprocess') return { type: 'local' };
  if (managerType === 'xsnap' || managerType === 'xs-worker') {
    const { lockdown, supervisor } = workerBundles();
    return provideWorkerBundleIDs(keeper.storage.bundleStore as never, { lockdown, supervisor });
  }
  throw new KernelError('BAD_CONFIG', `unknown managerType '${managerType}'`);
}

export interface RecordOptions extends StaticVatOptions {
  meterID?: string;
  vatParameters?: unknown;
}

export function recordVatOptions(
  keeper: KernelKeeper,
  workerBundles: () => WorkerBundles,
  vatID: string,
  source: { bundleID: string },
  options: RecordOptions,
): void {
  const {
    name,
    vatParameters,
    enableSetup = false,
    enablePipelining = false,
    enableDisavow = false,
    useTranscript = true,
    reapInterval,
    reapGCKrefs,
    neverReap = false,
    critical = false,
    meterID,
    managerType = keeper.getDefaultManagerType(),
    nodeOptions,
    ...leftover
  } = options;
  const unused = Object.keys(leftover);
  if (unused.length) throw new KernelError('BAD_CONFIG', `vat ${vatID} has unused options ${unused.join(',')}`);
  if (nodeOptions !== undefined && managerType !== 'node-subprocess') {
    throw new KernelError('BAD_CONFIG', `vat ${vatID}: nodeOptions requires managerType 'node-subprocess'`);
  }
  const reapDirtThreshold: ReapDirtThreshold = {};
  if (reapInterval !== undefined) reapDirtThreshold.deliveries = reapInterval;
  if (reapGCKrefs !== undefined) reapDirtThreshold.gcKrefs = reapGCKrefs;
  if (neverReap) reapDirtThreshold.never = true;
  // Key order matters: it is the stored JSON (and so the crank hash).
  const recorded: RecordedVatOptions = {
    workerOptions: makeWorkerOptions(managerType, keeper, workerBundles),
    ...(name === undefined ? {} : { name }),
    ...(vatParameters === undefined ? {} : { vatParameters }),
    enableSetup,
    enablePipelining,
    enableDisavow,
    useTranscript,
    reapDirtThreshold,
    critical,
    ...(meterID === undefined ? {} : { meterID }),
  };
  keeper.createVatState(vatID, source, recorded);
}
