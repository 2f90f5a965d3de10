// The crank loop from the host's side: each run policy stops where it
// should; two identical runs produce identical crank hashes; and a run
// interrupted mid-way (controller closed, store reopened from disk,
// workers rebuilt from snapshots plus replay) ends in the same state and
// activity hash as an uninterrupted one. xsnap workers throughout.
import '@endo/init/debug.js';
import test from 'ava';
import { initSwingStore, openSwingStore } from '@crankshaft/swing-store';
import {
  computronCounter,
  crankCounter,
  foreverPolicy,
  initializeSwingset,
  kunser,
  makeSwingsetController,
  wallClockWaiter,
  type SlogRecord,
  type SwingSetConfig,
} from '@crankshaft/kernel';
import { buildFixtureController, loadFixtureConfig, makeTempDir, quietOptions, transcriptOf } from './kernel-helpers.js';

const expectedResult = 'pinged 12 times, total 210';
const noSnapshots = (config: SwingSetConfig): SwingSetConfig => ({ ...config, snapshotInitial: 100000, snapshotInterval: 100000 });

test.serial('run policies stop where they should', async t => {
  const deliveredCranks = new Set<number>();
  const computrons = new Map<number, number>();
  const controller = await buildFixtureController(
    'pingpong',
    'xsnap',
    {
      slogSender: (record: SlogRecord) => {
        if (record.type === 'deliver-result' && record['replay'] === false) {
          const crankNum = record['crankNum'] as number;
          deliveredCranks.add(crankNum);
          const usage = (record['dr'] as [string, unknown, { compute: number } | null])[2];
          computrons.set(crankNum, (computrons.get(crankNum) ?? 0) + (usage?.compute ?? 0));
        }
      },
    },
    noSnapshots,
  );
  t.teardown(() => controller.shutdown());

  // Counting every crank (routing ones included): exactly 5.
  t.is(await controller.run(crankCounter(5, 100, true)), 5);

  // Counting only delivery cranks: stops right after the 3rd delivery.
  deliveredCranks.clear();
  const ran = await controller.run(crankCounter(3, 100));
  t.is(deliveredCranks.size, 3);
  t.true(ran >= 3);

  // A computron budget: stops at the first crank that reaches it.
  computrons.clear();
  const limit = 3_000_000n;
  await controller.run(computronCounter(limit));
  const spent = [...computrons.values()];
  const total = spent.reduce((a, b) => a + b, 0);
  t.true(BigInt(total) >= limit, `spent ${total}`);
  t.true(BigInt(total - (spent[spent.length - 1] ?? 0)) < limit, 'did not run past the budget');

  // A deadline already passed: exactly one crank.
  t.is(await controller.run(wallClockWaiter(0)), 1);

  // And forever finishes the work.
  t.true((await controller.run(foreverPolicy())) > 0);
  t.is(kunser(controller.kpResolution(controller.bootstrapResult as string)), expectedResult);
  t.is(await controller.run(), 0, 'nothing left to do');
});

interface RunRecord {
  crankhashes: string[];
  activityhash: string;
  result: unknown;
}

async function runToEnd(config: SwingSetConfig, dir: string): Promise<RunRecord> {
  const crankhashes: string[] = [];
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  const kpid = (await initializeSwingset(config, [], kernelStorage)) as string;
  await hostStorage.commit();
  const controller = await makeSwingsetController(kernelStorage, {}, {
    ...quietOptions,
    slogSender: record => {
      if (record.type === 'crank-finish') crankhashes.push(record['crankhash'] as string);
    },
  });
  await controller.run();
  await hostStorage.commit();
  const record = { crankhashes, activityhash: controller.getActivityhash(), result: kunser(controller.kpResolution(kpid)) };
  await controller.shutdown();
  await hostStorage.close();
  return record;
}

test.serial('identical runs produce identical crank hashes', async t => {
  const config = noSnapshots(await loadFixtureConfig('pingpong', 'xsnap'));
  const first = await runToEnd(config, makeTempDir('hash-a'));
  const second = await runToEnd(config, makeTempDir('hash-b'));
  t.is(first.result, expectedResult);
  t.true(first.crankhashes.length > 20);
  t.deepEqual(second.crankhashes, first.crankhashes);
  t.is(second.activityhash, first.activityhash);
});

test.serial('restart from disk mid-run matches an uninterrupted run', async t => {
  // Frequent snapshots, so the restart loads one and replays the rest.
  const config: SwingSetConfig = { ...(await loadFixtureConfig('pingpong', 'xsnap')), snapshotInterval: 8 };

  const uninterruptedDir = makeTempDir('restart-a');
  const uninterrupted = await runToEnd(config, uninterruptedDir);

  const dir = makeTempDir('restart-b');
  let store = initSwingStore(dir);
  const kpid = (await initializeSwingset(config, [], store.kernelStorage)) as string;
  await store.hostStorage.commit();
  let controller = await makeSwingsetController(store.kernelStorage, {}, quietOptions);
  await controller.run(crankCounter(25, 100));
  await store.hostStorage.commit();
  t.is(controller.kpStatus(kpid), 'unresolved', 'stopped mid-run');
  await controller.shutdown();
  await store.hostStorage.close();

  store = openSwingStore(dir);
  controller = await makeSwingsetController(store.kernelStorage, {}, quietOptions);
  t.teardown(async () => {
    await controller.shutdown();
    await store.hostStorage.close();
  });
  await controller.run();
  await store.hostStorage.commit();
  // Before kpResolution, which changes kv (it drops the host's interest).
  t.is(controller.getActivityhash(), uninterrupted.activityhash);
  t.is(kunser(controller.kpResolution(kpid)), expectedResult);
  t.is(uninterrupted.result, expectedResult);

  const reopenedA = openSwingStore(uninterruptedDir);
  const controllerA = await makeSwingsetController(reopenedA.kernelStorage, {}, quietOptions);
  t.teardown(async () => {
    await controllerA.shutdown();
    await reopenedA.hostStorage.close();
  });
  t.is(controllerA.getActivityhash(), uninterrupted.activityhash);
  for (const vat of ['bootstrap', 'pong']) {
    const strip = (items: ReturnType<typeof transcriptOf>) => items.map(({ pos, d, sc }) => ({ pos, d, sc }));
    t.deepEqual(strip(transcriptOf(controller, vat)), strip(transcriptOf(controllerA, vat)), `${vat} transcript`);
  }
  t.true(
    transcriptOf(controller, 'pong').some(item => item.d[0] === 'load-snapshot'),
    'the current span starts from a snapshot',
  );
});
