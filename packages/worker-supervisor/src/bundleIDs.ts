// Worker-infrastructure bundle IDs and the worker options record.
import { createHash } from 'node:crypto';
import { WorkerError } from './errors.js';
import type { BundleStoreLike, NestedEvaluateBundle, WorkerOptions } from './types.js';

export const B0_PREFIX = 'b0-';

/** `b0-` + SHA-256 hex of the bundle's JSON text (as SwingSet does). */
export function computeB0BundleID(bundle: NestedEvaluateBundle): string {
  return B0_PREFIX + createHash('sha256').update(JSON.stringify(bundle)).digest('hex');
}

export const isB0BundleID = (id: string): boolean => /^b0-[0-9a-f]{64}$/.test(id);

/** The record a vat's `initialize-worker` transcript entry carries. */
export function makeXsnapWorkerOptions(lockdownID: string, supervisorID: string): WorkerOptions {
  for (const id of [lockdownID, supervisorID]) {
    if (!isB0BundleID(id)) {
      throw new WorkerError('BAD_ARGUMENT', `worker bundle ID ${JSON.stringify(id)} is not a b0- ID`);
    }
  }
  return { type: 'xsnap', bundleIDs: [lockdownID, supervisorID] };
}

/** Parse-boundary check for a bundle read back from a bundleStore. */
export function insistNestedEvaluateBundle(bundleID: string, bundle: unknown): NestedEvaluateBundle {
  const candidate = bundle as Partial<NestedEvaluateBundle> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    candidate.moduleFormat !== 'nestedEvaluate' ||
    typeof candidate.source !== 'string'
  ) {
    throw new WorkerError('BAD_BUNDLE', `bundle ${bundleID} is not a nestedEvaluate bundle`);
  }
  const checked = candidate as NestedEvaluateBundle;
  const actualID = computeB0BundleID(checked);
  if (actualID !== bundleID) {
    throw new WorkerError('BAD_BUNDLE', `bundle ${bundleID} hashes to ${actualID}`);
  }
  return checked;
}

/**
 * Put the lockdown and supervisor bundles into `bundleStore` (if absent)
 * and return the worker options naming them, lockdown first.
 */
export function provideWorkerBundleIDs(
  bundleStore: BundleStoreLike,
  bundles: { lockdown: NestedEvaluateBundle; supervisor: NestedEvaluateBundle },
): WorkerOptions {
  const lockdownID = computeB0BundleID(bundles.lockdown);
  const supervisorID = computeB0BundleID(bundles.supervisor);
  for (const [id, bundle] of [
    [lockdownID, bundles.lockdown],
    [supervisorID, bundles.supervisor],
  ] as const) {
    if (!bundleStore.hasBundle(id)) {
      bundleStore.addBundle(id, bundle);
    }
  }
  return makeXsnapWorkerOptions(lockdownID, supervisorID);
}

/** Fetch a vat's worker bundles (by the IDs in its worker options) from the bundleStore. */
export function getWorkerBundlesByID(
  bundleStore: Pick<BundleStoreLike, 'getBundle'>,
  bundleIDs: readonly [string, string],
): { lockdown: NestedEvaluateBundle; supervisor: NestedEvaluateBundle } {
  const [lockdownID, supervisorID] = bundleIDs;
  return {
    lockdown: insistNestedEvaluateBundle(lockdownID, bundleStore.getBundle(lockdownID)),
    supervisor: insistNestedEvaluateBundle(supervisorID, bundleStore.getBundle(supervisorID)),
  };
}
