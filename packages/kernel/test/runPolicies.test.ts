import test from 'ava';
import {
  cleanupBudgetOf,
  computronCounter,
  consultPolicy,
  crankCounter,
  foreverPolicy,
  noCleanup,
  RunPolicyError,
  someCleanup,
  wallClockWaiter,
  type CleanupWork,
  type PolicyInput,
  type RunPolicy,
} from '../src/crank/runPolicies.js';

const noWork: CleanupWork = { total: 0, exports: 0, imports: 0, promises: 0, kv: 0, snapshots: 0, transcripts: 0 };

/** How many of `inputs` the policy accepts before it first says stop (or all). */
const acceptedBeforeStop = (policy: RunPolicy, inputs: Parameters<typeof consultPolicy>[1][]): number => {
  let i = 0;
  for (const input of inputs) {
    i += 1;
    if (!consultPolicy(policy, input)) return i;
  }
  return Infinity;
};

test('foreverPolicy never stops and allows unlimited cleanup', t => {
  const policy = foreverPolicy();
  const inputs = Array.from({ length: 1000 }, (): PolicyInput => ['crank', { computrons: 10n ** 9n }]);
  t.is(acceptedBeforeStop(policy, [...inputs, ['none', {}], ['create-vat', {}], ['crank-failed', {}]]), Infinity);
  t.deepEqual(cleanupBudgetOf(policy), { default: Infinity });
});

test('crankCounter stops at the crank limit; empty cranks count only when asked', t => {
  t.is(acceptedBeforeStop(crankCounter(3, 10), [['crank', {}], ['none', {}], ['crank', {}], ['crank', {}]]), 4);
  t.is(acceptedBeforeStop(crankCounter(3, 10, true), [['crank', {}], ['none', {}], ['crank', {}]]), 3);
  t.is(acceptedBeforeStop(crankCounter(10, 2), [['create-vat', {}], ['crank', {}], ['create-vat', {}]]), 3);
  t.is(acceptedBeforeStop(crankCounter(2, 10), [['crank-failed', {}], ['crank-failed', {}]]), 2);
  t.deepEqual(cleanupBudgetOf(crankCounter(1, 1)), { default: 100 });
});

test('computronCounter adds computrons and fixed charges', t => {
  const policy = computronCounter(1000n, { vatCreatedComputrons: 300n, cleanupBudget: 7 });
  t.true(consultPolicy(policy, ['crank', { computrons: 400n }]));
  t.true(consultPolicy(policy, ['crank', {}])); // local workers report none
  t.true(consultPolicy(policy, ['none', {}]));
  t.true(consultPolicy(policy, ['create-vat', {}])); // 700
  t.false(consultPolicy(policy, ['crank', { computrons: 300n }])); // 1000
  t.deepEqual(cleanupBudgetOf(policy), { default: 7 });
  t.false(consultPolicy(computronCounter(5n), ['crank-failed', {}]));
  t.throws(() => computronCounter(5 as unknown as bigint), { instanceOf: RunPolicyError, message: /bigint/ });
  t.throws(() => consultPolicy(computronCounter(5n), ['crank', { computrons: 3 as unknown as bigint }]), {
    instanceOf: RunPolicyError,
  });
});

test('wallClockWaiter stops once its deadline has passed', t => {
  let now = 1_000_000;
  const policy = wallClockWaiter(2, () => now);
  t.true(consultPolicy(policy, ['crank', {}]));
  now += 1999;
  t.true(consultPolicy(policy, ['none', {}]));
  now += 1;
  t.false(consultPolicy(policy, ['crank', {}]));
  t.false(consultPolicy(policy, ['create-vat', {}]));
});

test('noCleanup and someCleanup budgets', t => {
  t.false(cleanupBudgetOf(noCleanup()));
  const some = someCleanup(5);
  t.deepEqual(cleanupBudgetOf(some), { default: 5 });
  t.false(cleanupBudgetOf(some));
  t.is(acceptedBeforeStop(some, [['crank', {}], ['none', {}]]), Infinity);
});

test('didCleanup is optional and consulted when present', t => {
  t.true(consultPolicy(foreverPolicy(), ['cleanup', { cleanups: noWork }]));
  const seen: CleanupWork[] = [];
  const policy: RunPolicy = {
    ...foreverPolicy(),
    didCleanup: ({ cleanups }) => {
      seen.push(cleanups);
      return cleanups.total < 5;
    },
  };
  t.true(consultPolicy(policy, ['cleanup', { cleanups: { ...noWork, total: 3, kv: 3 } }]));
  t.false(consultPolicy(policy, ['cleanup', { cleanups: { ...noWork, total: 5, exports: 5 } }]));
  t.is(seen.length, 2);
});

test('cleanupBudgetOf checks the budget shape', t => {
  const withBudget = (budget: unknown): RunPolicy => ({ ...foreverPolicy(), allowCleanup: () => budget as boolean });
  t.deepEqual(cleanupBudgetOf(withBudget({ default: 3, kv: 10 })), { default: 3, kv: 10 });
  t.deepEqual(cleanupBudgetOf(undefined), { default: Infinity });
  t.deepEqual(cleanupBudgetOf({ ...foreverPolicy(), allowCleanup: undefined } as unknown as RunPolicy), {
    default: Infinity,
  });
  t.throws(() => cleanupBudgetOf(withBudget({ kv: 3 })), { message: /needs a "default"/ });
  t.throws(() => cleanupBudgetOf(withBudget({ default: 1, vats: 3 })), { message: /unknown phase "vats"/ });
  t.throws(() => cleanupBudgetOf(withBudget({ default: -1 })), { message: /non-negative integer/ });
  t.throws(() => cleanupBudgetOf(withBudget('lots')), { code: 'BAD_CLEANUP_BUDGET' } as never);
});
