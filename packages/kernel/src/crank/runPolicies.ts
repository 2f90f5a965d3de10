// Run policies: the host's say in how long `controller.run(policy)` keeps
// going. After every crank the kernel reports what happened (a delivery and
// its computrons, a vat creation, an empty/routing crank, a cleanup) and
// stops as soon as the policy answers false. Names and behaviour follow
// SwingSet's `runPolicies.js`.

import type { CleanupBudget } from '../shared/types.js';

export type { CleanupBudget } from '../shared/types.js';

export const CLEANUP_PHASES = ['exports', 'imports', 'promises', 'kv', 'snapshots', 'transcripts'] as const;
export type CleanupPhase = (typeof CLEANUP_PHASES)[number];

/** What one cleanup crank did: a count per phase plus their total. */
export type CleanupWork = Record<CleanupPhase | 'total', number>;

export interface CrankDetails {
  /** Compute used by the delivery; absent for workers that do not meter (local). */
  computrons?: bigint;
}

export interface RunPolicy {
  /** false: no cleanup now; true: unlimited; a budget: at most that much. Missing means true. */
  allowCleanup?(): boolean | CleanupBudget;
  vatCreated(details: CrankDetails): boolean;
  crankComplete(details: CrankDetails): boolean;
  crankFailed(details: Record<string, never>): boolean;
  emptyCrank(): boolean;
  /** Missing means "keep going". */
  didCleanup?(details: { cleanups: CleanupWork }): boolean;
}

/** What a crank reports to the policy, as the kernel's run loop produces it. */
export type PolicyInput =
  | ['crank', CrankDetails]
  | ['create-vat', CrankDetails]
  | ['crank-failed', Record<string, never>]
  | ['none', Record<string, never>]
  | ['cleanup', { cleanups: CleanupWork }];

export class RunPolicyError extends Error {
  readonly code: 'BAD_POLICY_INPUT' | 'BAD_CLEANUP_BUDGET' | 'BAD_POLICY_ARGUMENT';
  constructor(code: RunPolicyError['code'], message: string) {
    super(message);
    this.name = 'RunPolicyError';
    this.code = code;
  }
}

/** Hand one crank's outcome to the policy; true means keep running. */
export function consultPolicy(policy: RunPolicy, input: PolicyInput): boolean {
  switch (input[0]) {
    case 'crank':
      return policy.crankComplete(input[1]);
    case 'create-vat':
      return policy.vatCreated(input[1]);
    case 'crank-failed':
      return policy.crankFailed(input[1]);
    case 'none':
      return policy.emptyCrank();
    case 'cleanup':
      return policy.didCleanup ? policy.didCleanup(input[1]) : true;
    default: {
      const kind: never = input[0];
      throw new RunPolicyError('BAD_POLICY_INPUT', `unknown policy input ${String(kind)}`);
    }
  }
}

const isBudgetNumber = (value: unknown): value is number =>
  typeof value === 'number' && (Number.isSafeInteger(value) || value === Infinity) && value >= 0;

/**
 * Ask the policy for a cleanup budget and check its shape. Returns false
 * (no cleanup now) or a budget; `true` becomes an unlimited budget.
 */
export function cleanupBudgetOf(policy: RunPolicy | undefined): false | CleanupBudget {
  const answer: unknown = policy?.allowCleanup ? policy.allowCleanup() : true;
  if (answer === false) return false;
  if (answer === true) return { default: Infinity };
  if (typeof answer !== 'object' || answer === null) {
    throw new RunPolicyError('BAD_CLEANUP_BUDGET', `allowCleanup() returned ${String(answer)}; need a boolean or a budget`);
  }
  const record = answer as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'default' && !(CLEANUP_PHASES as readonly string[]).includes(key)) {
      throw new RunPolicyError('BAD_CLEANUP_BUDGET', `cleanup budget has unknown phase ${JSON.stringify(key)}`);
    }
    if (!isBudgetNumber(value)) {
      throw new RunPolicyError('BAD_CLEANUP_BUDGET', `cleanup budget ${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (!('default' in record)) {
    throw new RunPolicyError('BAD_CLEANUP_BUDGET', 'cleanup budget needs a "default" limit');
  }
  return { ...(record as unknown as CleanupBudget) };
}

/** Never stops; unlimited cleanup. */
export function foreverPolicy(): RunPolicy {
  return {
    allowCleanup: () => true,
    vatCreated: () => true,
    crankComplete: () => true,
    crankFailed: () => true,
    emptyCrank: () => true,
  };
}

/**
 * Stops after `maxCranks` cranks or `maxCreateVats` vat creations. Routing
 * and other empty cranks count only if `includeEmptyCranks`.
 */
export function crankCounter(maxCranks: number, maxCreateVats: number, includeEmptyCranks = false): RunPolicy {
  let cranks = 0;
  let vats = 0;
  return {
    allowCleanup: () => ({ default: 100 }),
    vatCreated: () => {
      vats += 1;
      return vats < maxCreateVats;
    },
    crankComplete: () => {
      cranks += 1;
      return cranks < maxCranks;
    },
    crankFailed: () => {
      cranks += 1;
      return cranks < maxCranks;
    },
    emptyCrank: () => {
      if (includeEmptyCranks) cranks += 1;
      return cranks < maxCranks;
    },
  };
}

export interface ComputronCounterOptions {
  cleanupBudget?: number;
  /** What a vat creation is charged (creation reports no computrons of its own). */
  vatCreatedComputrons?: bigint;
  crankFailedComputrons?: bigint;
}

/** Stops once the reported computrons (plus fixed charges) reach `limit`. */
export function computronCounter(limit: bigint, options: ComputronCounterOptions = {}): RunPolicy {
  if (typeof limit !== 'bigint') {
    throw new RunPolicyError('BAD_POLICY_ARGUMENT', `computronCounter limit must be a bigint, got ${typeof limit}`);
  }
  const { cleanupBudget = 100, vatCreatedComputrons = 100_000n, crankFailedComputrons = 1_000_000n } = options;
  let total = 0n;
  return {
    allowCleanup: () => ({ default: cleanupBudget }),
    vatCreated: () => {
      total += vatCreatedComputrons;
      return total < limit;
    },
    crankComplete: (details = {}) => {
      const { computrons } = details;
      if (computrons !== undefined) {
        if (typeof computrons !== 'bigint') {
          throw new RunPolicyError('BAD_POLICY_INPUT', `crankComplete computrons must be a bigint, got ${typeof computrons}`);
        }
        total += computrons;
      }
      return total < limit;
    },
    crankFailed: () => {
      total += crankFailedComputrons;
      return total < limit;
    },
    emptyCrank: () => true,
  };
}

/**
 * Stops at the first crank that ends after `seconds` have passed. Wall-clock
 * time only decides when the host pauses; it never reaches stored state.
 * `now` (milliseconds) is injectable for tests.
 */
export function wallClockWaiter(seconds: number, now: () => number = Date.now): RunPolicy {
  const deadline = now() + 1000 * seconds;
  const beforeDeadline = (): boolean => now() < deadline;
  return {
    allowCleanup: () => true,
    vatCreated: beforeDeadline,
    crankComplete: beforeDeadline,
    crankFailed: beforeDeadline,
    emptyCrank: beforeDeadline,
  };
}

/** Never stops; never cleans up terminated vats. */
export function noCleanup(): RunPolicy {
  return {
    allowCleanup: () => false,
    vatCreated: () => true,
    crankComplete: () => true,
    crankFailed: () => true,
    emptyCrank: () => true,
  };
}

/** Never stops; allows one cleanup crank of `budget` units per phase, then none. */
export function someCleanup(budget: number): RunPolicy {
  let allowed = true;
  return {
    allowCleanup: () => {
      if (!allowed) return false;
      allowed = false;
      return { default: budget };
    },
    vatCreated: () => true,
    crankComplete: () => true,
    crankFailed: () => true,
    emptyCrank: () => true,
  };
}
