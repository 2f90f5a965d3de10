// Reap-dirt accounting for the bringOutYourDead schedule. Pure functions:
// the kernel owns where the dirt is stored (its kv state); the warehouse
// tells it when a BOYD happened so the dirt can be cleared.

/** Accumulated since the last BOYD; a missing counter means 0. */
export interface ReapDirt {
  deliveries?: number;
  gcKrefs?: number;
  computrons?: number;
}

export type ReapLimit = number | 'never';

/** A missing or 'never' counter does not accumulate; never=true disables reaping. */
export interface ReapDirtThreshold {
  deliveries?: ReapLimit;
  gcKrefs?: ReapLimit;
  computrons?: ReapLimit;
  never?: boolean;
}

export const defaultReapDirtThreshold: Readonly<ReapDirtThreshold> = Object.freeze({
  deliveries: 1,
  gcKrefs: 20,
  computrons: 'never',
});

const counters = ['deliveries', 'gcKrefs', 'computrons'] as const;

/** The kernel default overlaid with a vat's own settings. */
export function mergeReapThresholds(
  kernelDefault: ReapDirtThreshold,
  vatOverride: ReapDirtThreshold = {},
): ReapDirtThreshold {
  return { ...kernelDefault, ...vatOverride };
}

export interface DirtUpdate {
  dirt: ReapDirt;
  /** True when some counter reached its threshold: schedule a BOYD. */
  reapDue: boolean;
}

/**
 * Adds one delivery's dirt. Counters whose threshold is 'never' or absent
 * stay unchanged; with `never: true` nothing accumulates and nothing is due.
 */
export function addReapDirt(dirt: ReapDirt, delta: ReapDirt, threshold: ReapDirtThreshold): DirtUpdate {
  if (threshold.never) return { dirt, reapDue: false };
  const next: ReapDirt = { ...dirt };
  let reapDue = false;
  for (const counter of counters) {
    const limit = threshold[counter];
    const add = delta[counter];
    if (limit === undefined || limit === 'never') continue;
    if (add !== undefined) next[counter] = (next[counter] ?? 0) + add;
    if ((next[counter] ?? 0) >= limit) reapDue = true;
  }
  return { dirt: next, reapDue };
}

/** What a BOYD leaves behind. */
export const cleanReapDirt = (): ReapDirt => ({});
