import '@endo/init/debug.js';
// Local (in-process) workers: no snapshots, so replay runs from
// initialize-worker; a crank rollback makes the warehouse rebuild the
// worker; vats without a transcript record nothing.
import test from 'ava';
import { installBundles, makeHarness, makeTempDir, message, resolvedValue, startVat } from './helpers.js';

test('a local vat replays its whole incarnation after a reopen', async t => {
  const dir = makeTempDir('warehouse-local');
  const first = makeHarness({ dir, policy: { snapshotInitial: 2 } });
  const { bundleIDs } = await installBundles(first.store, ['vat-counter']);
  first.configs.set('v1', { source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions: { type: 'local' } });
  await first.crank('v1', startVat({ label: 'loc' }));
  for (let i = 1; i <= 3; i += 1) await first.crank('v1', message('ping', [i], `p-${60 + i}`));
  // No makeSnapshot on a local worker: the policy never fires.
  t.false(await first.warehouse.maybeSaveSnapshot('v1', 1));
  t.is(first.warehouse.nextDeliveryNum('v1'), 5);
  await first.close();

  const second = makeHarness({ dir, reopen: true, configs: first.configs });
  t.teardown(() => second.close());
  await second.crank('v1', message('ping', [4], 'p-64'));
  t.is(resolvedValue(second.kernel.takeSyscalls('v1'), 'p-64'), 'loc v1 pong 4 #4');
  t.like(second.slogs.find(e => e.type === 'start-replay'), { vatID: 'v1', deliveries: 4 });
  t.is(second.warehouse.getStats().replayedDeliveries, 4);
});

test('after a crank rollback the worker is rebuilt from the transcript', async t => {
  const dir = makeTempDir('warehouse-rollback');
  const h = makeHarness({ dir });
  t.teardown(() => h.close());
  const { bundleIDs } = await installBundles(h.store, ['vat-counter']);
  h.configs.set('v1', { source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions: { type: 'local' } });
  const storage = h.store.kernelStorage;
  await h.deliver('v1', startVat());
  // grow(n) keeps state in the heap only, so a stale worker would show.
  await h.deliver('v1', message('grow', [1], 'p-61'));
  t.is(resolvedValue(h.kernel.takeSyscalls('v1'), 'p-61'), 16);

  storage.startCrank();
  storage.establishCrankSavepoint('deliver');
  await h.deliver('v1', message('grow', [1], 'p-62'));
  t.is(resolvedValue(h.kernel.takeSyscalls('v1'), 'p-62'), 32);
  storage.rollbackCrank('deliver');
  storage.endCrank();
  t.is(h.warehouse.nextDeliveryNum('v1'), 3);

  await h.deliver('v1', message('grow', [0], 'p-63'));
  t.is(resolvedValue(h.kernel.takeSyscalls('v1'), 'p-63'), 16, 'the rolled-back growth is gone');
  t.is(h.warehouse.getStats().workerStarts, 2);
  t.is(h.warehouse.nextDeliveryNum('v1'), 4);
});

test('a vat without a transcript records nothing and never replays', async t => {
  const dir = makeTempDir('warehouse-untracked');
  const h = makeHarness({ dir });
  t.teardown(() => h.close());
  const { bundleIDs } = await installBundles(h.store, ['vat-counter']);
  h.configs.set('v2', {
    source: { bundleID: bundleIDs['vat-counter'] as string },
    workerOptions: { type: 'local' },
    useTranscript: false,
  });
  await h.deliver('v2', startVat());
  await h.deliver('v2', message('ping', [1], 'p-61'));
  t.is(resolvedValue(h.kernel.takeSyscalls('v2'), 'p-61'), 'counter v1 pong 1 #1');
  t.throws(() => h.store.kernelStorage.transcriptStore.getCurrentSpanBounds('v2'), { message: /no current transcript/ });
  t.false(await h.warehouse.maybeSaveSnapshot('v2'));
  t.deepEqual(
    h.slogs.filter(e => e.type === 'deliver').map(e => (e.type === 'deliver' ? e.deliveryNum : -1)),
    [0, 1],
  );
  // BOYD is reported to the kernel for reap-dirt bookkeeping.
  await h.deliver('v2', ['bringOutYourDead']);
  t.deepEqual(h.reaped, ['v2']);
  await t.throwsAsync(h.deliver('v7', startVat()), { message: /vat v7 is unknown or no longer alive/ });
});
