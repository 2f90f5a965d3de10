// When to take a heap snapshot. Counts are span entries, pseudo-entries
// included, so the load-snapshot that opens a span counts as one.
import { fail } from './errors.js';

export interface SnapshotPolicy {
  /** Span entries before a vat's first snapshot in each incarnation. */
  snapshotInitial: number;
  /** Span entries before each later snapshot. */
  snapshotInterval: number;
}

export const defaultSnapshotPolicy: Readonly<SnapshotPolicy> = Object.freeze({
  snapshotInitial: 3,
  snapshotInterval: 200,
});

const checkCount = (name: string, value: unknown): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    fail('BAD_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`);
  }
  return value as number;
};

export function makeSnapshotPolicy(options: Partial<SnapshotPolicy> = {}): SnapshotPolicy {
  return {
    snapshotInitial: checkCount('snapshotInitial', options.snapshotInitial ?? defaultSnapshotPolicy.snapshotInitial),
    snapshotInterval: checkCount(
      'snapshotInterval',
      options.snapshotInterval ?? defaultSnapshotPolicy.snapshotInterval,
    ),
  };
}

export interface SnapshotCandidate {
  /** True if the vat's current incarnation already has an in-use snapshot. */
  hasSnapshot: boolean;
  /** Entries in the current span (endPos - startPos). */
  spanEntries: number;
}

/**
 * True when a snapshot is due. Without a snapshot in this incarnation the
 * threshold is snapshotInitial; after that it is minDeliveryCount, which
 * defaults to snapshotInterval (snapshotAllVats passes a small number).
 */
export function isSnapshotDue(
  candidate: SnapshotCandidate,
  policy: SnapshotPolicy,
  minDeliveryCount: number = policy.snapshotInterval,
): boolean {
  if (!candidate.hasSnapshot && candidate.spanEntries >= policy.snapshotInitial) return true;
  return candidate.spanEntries >= minDeliveryCount;
}
