import '@endo/init/debug.js';
// start() brings the preload vats online side by side (a few at a time),
// and leaves them in the LRU in listing order whichever finished first.
import test from 'ava';
import { installBundles, makeHarness, makeTempDir, message, startVat } from './helpers.js';

test('preload starts and replays workers in parallel, keeping listing order', async t => {
  const dir = makeTempDir('warehouse-preload');
  const policy = { snapshotInitial: 100, snapshotInterval: 100 };
  const first = makeHarness({ dir, policy });
  const { workerOptions, bundleIDs } = await installBundles(first.store, ['vat-counter']);
  const vats = ['v1', 'v2', 'v3', 'v4'];
  for (const vatID of vats) {
    first.configs.set(vatID, { name: vatID, source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
    await first.crank(vatID, startVat());
    await first.crank(vatID, message('ping', [1], 'p-61'));
  }
  await first.close();

  let running = 0;
  let mostAtOnce = 0;
  const started: string[] = [];
  const second = makeHarness({
    dir,
    reopen: true,
    policy: { ...policy, preloadConcurrency: 2 },
    configs: first.configs,
    wrapStarter: starter => async request => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      started.push(request.vatID);
      try {
        // the first start is the slowest, so later ones overtake it
        if (request.vatID === 'v1') await new Promise(resolve => setTimeout(resolve, 300));
        return await starter(request);
      } finally {
        running -= 1;
      }
    },
  });
  t.teardown(() => second.close());
  await second.warehouse.start();
  t.is(mostAtOnce, 2, 'two at a time');
  t.deepEqual(started, vats, 'started in listing order');
  t.deepEqual(second.warehouse.onlineVatIDs(), vats, 'the LRU holds them in listing order');
  t.is(second.warehouse.getStats().replays, 4);
  const result = await second.deliver('v3', message('ping', [2], 'p-62'));
  t.is(result.status, 'ok');
});
