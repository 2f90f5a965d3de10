// The timer service end to end: the built-in timer vat plus the timer
// device, driven by the host's poll(now) between runs. wakeAt, delay,
// setWakeup, cancel, repeaters (makeRepeater, repeatAfter) and notifiers;
// then an upgrade of the timer vat and a kernel restart with wakeups pending.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { openSwingStore } from '@crankshaft/swing-store';
import {
  buildTimer,
  initializeSwingset,
  kunser,
  makeSourceBundler,
  makeSwingsetController,
  PLACEHOLDER_SOURCES,
  swingsetIsInitialized,
  type HostTimer,
  type SwingSetConfig,
  type SwingsetController,
} from '@crankshaft/kernel';
import { buildFixtureController, loadFixtureConfig, makeTempDir, quietOptions, type WorkerType } from './kernel-helpers.js';

const withTimerDevice =
  (timer: HostTimer) =>
  (config: SwingSetConfig): SwingSetConfig => ({
    ...config,
    snapshotInitial: 100000,
    snapshotInterval: 100000,
    // BOYD after every delivery makes local workers GC the whole test process
    defaultReapInterval: 1000,
    devices: { timer: { sourceSpec: timer.srcPath } },
  });

interface Results {
  settled: Record<string, unknown>;
  wakes: unknown[][];
}

function makeDriver(controller: SwingsetController) {
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    const kpid = controller.queueToVatRoot('bootstrap', method, args, 'ignore');
    await controller.run();
    const status = controller.kpStatus(kpid as string);
    const result = kunser(controller.kpResolution(kpid as string));
    if (status === 'rejected') throw result;
    return result;
  };
  return { call, results: async () => (await call('results')) as Results };
}

for (const managerType of ['xsnap', 'local'] as WorkerType[]) {
  test.serial(`timer service: wakeAt, delay, setWakeup, cancel, repeaters, notifiers (${managerType})`, async t => {
    const timer = buildTimer();
    const controller = await buildFixtureController('timer', managerType, {}, withTimerDevice(timer), {
      timer: timer.endowments,
    });
    t.teardown(() => controller.shutdown());
    const { call, results } = makeDriver(controller);

    t.false(timer.poll(100), 'nothing is scheduled yet');
    await controller.run();
    t.deepEqual(kunser(controller.kpResolution(controller.bootstrapResult as string)), {
      isMyTimerService: true,
      isMyClock: true,
      notMine: false,
      clockBrandAgrees: true,
    });
    t.is(await call('now'), 100);

    // one-shots: promises (absolute, relative, cancellable) and handlers
    await call('wakeAt', 'a', 150, false);
    await call('wakeAt', 'b', 200, true);
    await call('delay', 'c', 30, false);
    t.is(await call('setWakeup', 'h', 120, false), 120);
    t.is(await call('setWakeup', 'past', 50, false), 50);
    t.deepEqual((await results()).wakes, [['past', 100]], 'a wakeup in the past fires at once');

    t.false(timer.poll(110), 'not due yet');
    await controller.run();
    t.true(timer.poll(125));
    await controller.run();
    t.true(timer.poll(140));
    await controller.run();
    let r = await results();
    t.deepEqual(r.wakes, [
      ['past', 100],
      ['h', 125],
    ]);
    // promises resolve with the time the timer saw, not the requested one
    t.deepEqual(r.settled, { a: 'pending', b: 'pending', c: { fulfilled: 140 } });

    await call('cancel', 'b');
    await call('cancel', 'b'); // a second cancel is ignored
    t.true(timer.poll(150));
    await controller.run();
    r = await results();
    t.deepEqual(r.settled, { a: { fulfilled: 150 }, b: { rejected: 'TimerCancelled' }, c: { fulfilled: 140 } });
    t.false(timer.poll(300), 'b was cancelled: the device holds no wakeup');
    await controller.run();

    // makeRepeater(delay 10, interval 50) at 300: wakes at 310, then on the
    // grid 360, 410, ... until disabled
    await call('makeRepeater', 'r', 10, 50);
    t.true(timer.poll(310));
    await controller.run();
    t.false(timer.poll(359));
    await controller.run();
    t.true(timer.poll(365));
    await controller.run();
    await call('disable', 'r');
    t.false(timer.poll(420), 'a disabled repeater does not wake');
    await controller.run();

    // repeatAfter(0, 20) at 420 fires at once, then at 440; cancel stops it
    await call('repeatAfter', 'q', 0, 20);
    t.true(timer.poll(441));
    await controller.run();
    await call('cancel', 'q');
    t.false(timer.poll(500));
    await controller.run();
    r = await results();
    t.deepEqual(r.wakes.slice(2), [
      ['r', 310],
      ['r', 365],
      ['q', 420],
      ['q', 441],
    ]);

    // makeNotifier(5, 10) at 500: updates for 505 (count 1) and 515 (count
    // 2, reported by grid time though seen at 517); cancelled, it reports
    // the cancellation time with no count
    const notifierDone = controller.queueToVatRoot('bootstrap', 'notifier', ['n', 5, 10, 4], 'ignore') as string;
    await controller.run();
    t.true(timer.poll(505));
    await controller.run();
    t.true(timer.poll(517));
    await controller.run();
    t.false(timer.poll(520));
    await controller.run();
    await call('cancel', 'n');
    t.is(controller.kpStatus(notifierDone), 'fulfilled');
    r = await results();
    t.deepEqual(r.wakes.slice(6), [
      ['n', 505, 1],
      ['n', 515, 2],
      ['n', 520, 'final'],
    ]);
    t.is(r.settled['n'], 'done');

    // bad input is refused with a reason, and time never goes backwards
    await t.throwsAsync(call('badRequest'), { message: /wakeAt\(when\) must be a bigint or a record/ });
    t.throws(() => timer.poll(400), { message: /time must not go backwards/ });
    t.throws(() => timer.poll(-1), { message: /must be a non-negative integer/ });
    t.is(await call('now'), 520);
  });
}

test.serial('timer: wakeups survive a timer vat upgrade and a kernel restart; polls reach the activity hash (xsnap)', async t => {
  const dir = makeTempDir('timer');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = withTimerDevice(buildTimer())(await loadFixtureConfig('timer', 'xsnap'));

  const start = async (): Promise<{ controller: SwingsetController; timer: HostTimer; commit(): Promise<void>; close(): Promise<void> }> => {
    const { kernelStorage, hostStorage } = openSwingStore(path.join(dir, 'store'));
    // A fresh buildTimer each time: the device's state lives in the store.
    const timer = buildTimer();
    if (!swingsetIsInitialized(kernelStorage)) await initializeSwingset(config, [], kernelStorage);
    const controller = await makeSwingsetController(kernelStorage, { timer: timer.endowments }, quietOptions);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await controller.shutdown();
      await hostStorage.close();
    };
    t.teardown(close); // also on failure, so no worker outlives the test
    return { controller, timer, commit: () => hostStorage.commit(), close };
  };

  const first = await start();
  first.timer.poll(1000);
  await first.controller.run();
  const driver = makeDriver(first.controller);
  t.is(await driver.call('setWakeup', 'handler', 1500, false), 1500);
  await driver.call('wakeAt', 'beforeUpgrade', 1800, false);

  // Upgrade the timer vat to its own bundle: durable events stay scheduled,
  // while the promise it handed out is rejected by the upgrade.
  const timerBundle = await makeSourceBundler().bundle(PLACEHOLDER_SOURCES.timer);
  const bundleID = await first.controller.validateAndInstallBundle(timerBundle);
  const upgraded = first.controller.upgradeStaticVat('timer', false, bundleID) as string;
  await first.controller.run();
  t.is(first.controller.kpStatus(upgraded), 'fulfilled');
  t.deepEqual(kunser(first.controller.kpResolution(upgraded)), { incarnationNumber: 1 });
  t.like((await driver.results()).settled, { beforeUpgrade: { rejected: { name: 'vatUpgraded' } } });
  await driver.call('wakeAt', 'later', 2000, false);
  t.is(await driver.call('now'), 1000);

  // A poll changes device state outside any crank; the next run folds it
  // into the activity hash even though no crank runs.
  const before = first.controller.getActivityhash();
  await first.controller.run();
  t.is(first.controller.getActivityhash(), before, 'no input, no change');
  t.false(first.timer.poll(1200));
  t.is(await first.controller.run(), 0);
  t.not(first.controller.getActivityhash(), before);
  await first.commit();
  await first.close();

  const second = await start();
  t.throws(() => second.timer.poll(1100), { message: /time must not go backwards/ }, 'lastPolled was restored');
  t.true(second.timer.poll(1600));
  await second.controller.run();
  t.true(second.timer.poll(2000));
  await second.controller.run();
  const r = await makeDriver(second.controller).results();
  t.like(r.settled, { later: { fulfilled: 2000 } });
  t.deepEqual(r.wakes, [['handler', 1600]]);
  await second.commit();
  await second.close();
});
