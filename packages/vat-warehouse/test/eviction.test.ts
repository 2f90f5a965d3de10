import '@endo/init/debug.js';
// Eviction: with maxVatsOnline = 2 and five vats, every vat still answers
// correctly, workers are evicted least-recently-used first, and vats come
// back by replay. Startup preloads maxPreloadVats vats.
import test from 'ava';
import { installBundles, makeHarness, makeTempDir, message, resolvedValue, startVat } from './helpers.js';

const vatIDs = ['v1', 'v2', 'v3', 'v4', 'v5'];

test('five vats through two worker slots', async t => {
  const dir = makeTempDir('warehouse-eviction');
  // Vats come back from bundles (round 1) and from snapshots (later rounds).
  const policy = { maxVatsOnline: 2, snapshotInitial: 3, snapshotInterval: 50 };
  const h = makeHarness({ dir, policy });
  const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
  for (const vatID of vatIDs) {
    h.configs.set(vatID, { name: `n${vatID}`, source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
    await h.crank(vatID, startVat({ label: vatID }));
    t.true(h.warehouse.onlineVatIDs().length <= 2);
  }
  t.deepEqual(h.warehouse.onlineVatIDs(), ['v4', 'v5']);

  let vpid = 100;
  for (let round = 1; round <= 2; round += 1) {
    for (const vatID of vatIDs) {
      vpid += 1;
      const result = await h.crank(vatID, message('ping', [round], `p-${vpid}`));
      t.is(result.status, 'ok');
      t.is(resolvedValue(h.kernel.takeSyscalls(vatID), `p-${vpid}`), `${vatID} v1 pong ${round} #${round}`);
      t.deepEqual(h.warehouse.onlineVatIDs().slice(-1), [vatID]);
      t.true(h.warehouse.onlineVatIDs().length <= 2);
    }
  }
  // Reverse order: the two most recent stay online, the rest load their snapshots.
  for (const vatID of [...vatIDs].reverse()) {
    vpid += 1;
    await h.crank(vatID, message('ping', [3], `p-${vpid}`));
    t.is(resolvedValue(h.kernel.takeSyscalls(vatID), `p-${vpid}`), `${vatID} v1 pong 3 #3`);
  }
  t.deepEqual(h.warehouse.onlineVatIDs(), ['v2', 'v1']);

  const stats = h.warehouse.getStats();
  t.true(stats.evictions >= 15, `evictions: ${stats.evictions}`);
  t.true(stats.replays >= 8, `replays: ${stats.replays}`);
  t.true(stats.replayedDeliveries >= stats.replays);
  // Replays were slogged and loaded snapshots once the vats had them.
  t.true(h.slogs.some(e => e.type === 'start-replay'));
  t.true(h.slogs.some(e => e.type === 'heap-snapshot-load'));
  await h.close();

  // Startup preloads maxPreloadVats (default maxVatsOnline / 2 = 1), in host order.
  const again = makeHarness({ dir, reopen: true, policy, configs: h.configs });
  t.teardown(() => again.close());
  await again.warehouse.start();
  t.deepEqual(again.warehouse.onlineVatIDs(), ['v1']);
  vpid += 1;
  await again.crank('v3', message('ping', [5], `p-${vpid}`));
  t.is(resolvedValue(again.kernel.takeSyscalls('v3'), `p-${vpid}`), 'v3 v1 pong 5 #4');
  t.deepEqual(again.warehouse.onlineVatIDs(), ['v1', 'v3']);
});
