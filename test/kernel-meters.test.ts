// Meters on xsnap: a metered dynamic vat pays for every delivery from its
// meter; crossing the threshold notifies the meter's holder; running out
// terminates the vat (and only that vat); an endless loop is stopped by the
// per-crank compute limit every metered vat gets, and the kernel survives.
import '@endo/init/debug.js';
import test from 'ava';
import { buildFixtureController } from './kernel-helpers.js';
import { callBootstrap, noSnapshots } from './kernel-lifecycle-helpers.js';

interface MeterReading {
  remaining: bigint | 'unlimited';
  threshold: bigint;
}

test.serial('meters: threshold notice, underflow, the per-crank limit; other vats carry on (xsnap)', async t => {
  const controller = await buildFixtureController('dynamic', 'xsnap', {}, noSnapshots);
  t.teardown(() => controller.shutdown());
  await controller.run();

  // startVat alone costs about 12M computrons; leave room for a few calls.
  t.deepEqual(await callBootstrap(controller, 'createMeter', ['m', 30_000_000n, 15_000_000n]), {
    remaining: 30_000_000n,
    threshold: 15_000_000n,
  });
  await callBootstrap(controller, 'watchMeter', ['m']);
  t.deepEqual(await callBootstrap(controller, 'create', ['metered', 'counter', { meter: 'm' }]), { ok: 'created' });
  t.deepEqual(await callBootstrap(controller, 'create', ['free', 'counter']), { ok: 'created' });
  const afterStart = (await callBootstrap(controller, 'getMeter', ['m'])) as MeterReading;
  t.true(typeof afterStart.remaining === 'bigint' && afterStart.remaining < 30_000_000n && afterStart.remaining > 15_000_000n);
  t.deepEqual(await callBootstrap(controller, 'getLog'), []);

  // A cheap call costs something, but stays above the threshold.
  t.deepEqual(await callBootstrap(controller, 'call', ['metered', 'increment']), { ok: 1 });
  const afterCall = (await callBootstrap(controller, 'getMeter', ['m'])) as MeterReading;
  t.true((afterCall.remaining as bigint) < (afterStart.remaining as bigint));

  // Crossing the threshold tells whoever watches the meter's notifier.
  t.true(((await callBootstrap(controller, 'call', ['metered', 'spin', [300_000]])) as { ok?: number }).ok !== undefined);
  const low = (await callBootstrap(controller, 'getMeter', ['m'])) as MeterReading;
  t.true((low.remaining as bigint) < 15_000_000n);
  t.deepEqual(await callBootstrap(controller, 'getLog'), [`meter m low: ${low.remaining}`]);

  // Running out: the delivery is unwound, the vat terminated, the meter empty.
  await callBootstrap(controller, 'watchDone', ['metered']);
  t.deepEqual(await callBootstrap(controller, 'call', ['metered', 'spin', [2_000_000]]), { err: 'vat terminated' });
  t.deepEqual((await callBootstrap(controller, 'getLog') as unknown[]).slice(1), [
    { 'metered done': { err: 'meter underflow, vat terminated' } },
  ]);
  t.deepEqual(await callBootstrap(controller, 'getMeter', ['m']), { remaining: 0n, threshold: 15_000_000n });
  t.deepEqual(await callBootstrap(controller, 'call', ['metered', 'get']), { err: 'vat terminated' });

  // The unmetered vat is untouched; meters can be refilled.
  t.deepEqual(await callBootstrap(controller, 'call', ['free', 'increment']), { ok: 1 });
  await callBootstrap(controller, 'addMeterRemaining', ['m', 5n]);
  t.deepEqual(await callBootstrap(controller, 'getMeter', ['m']), { remaining: 5n, threshold: 15_000_000n });

  // Every metered vat, even on an unlimited meter, has a per-crank compute
  // limit: an endless loop ends as a hard fault, and only that vat dies.
  t.deepEqual(await callBootstrap(controller, 'createUnlimitedMeter', ['u']), { remaining: 'unlimited', threshold: 0n });
  t.deepEqual(await callBootstrap(controller, 'create', ['looper', 'counter', { meter: 'u' }]), { ok: 'created' });
  await callBootstrap(controller, 'watchDone', ['looper']);
  t.deepEqual(await callBootstrap(controller, 'call', ['looper', 'loopForever']), { err: 'vat terminated' });
  t.deepEqual((await callBootstrap(controller, 'getLog') as unknown[]).slice(2), [
    { 'looper done': { err: 'Compute meter exceeded' } },
  ]);
  t.deepEqual(await callBootstrap(controller, 'call', ['free', 'increment']), { ok: 2 });
  t.deepEqual(await callBootstrap(controller, 'getMeter', ['u']), { remaining: 'unlimited', threshold: 0n });
});
