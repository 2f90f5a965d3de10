// The controller's host API beyond bootstrap: step, queueToVatObject,
// pins, bundles, kernel options, reap and snapshot requests, external
// termination, stats, status and dump. Local workers (fast), except the
// snapshot request, which needs xsnap.
import '@endo/init/debug.js';
import test from 'ava';
import { kser, kslot, kunser, makeSourceBundler, type SwingsetController } from '@crankshaft/kernel';
import { fileURLToPath } from 'node:url';
import { buildFixtureController } from './kernel-helpers.js';

// These assertions name vat IDs from before comms and vattp were built in:
// the fixtures run without them (addComms/addVattp false), as SwingSet's own
// tests that hardcode IDs do.
const withoutComms = { initializationOptions: { addComms: false, addVattp: false } };

const noSnapshots = <T extends object>(config: T): T => ({ ...config, snapshotInitial: 100000, snapshotInterval: 100000 });

async function settle(controller: SwingsetController, kpid: string | undefined): Promise<unknown> {
  await controller.run();
  if (kpid === undefined) throw Error('no result promise');
  return kunser(controller.kpResolution(kpid));
}

test.serial('step, queueToVatObject, pins, names and status (local)', async t => {
  const controller = await buildFixtureController('terminate', 'local', withoutComms, noSnapshots);
  t.teardown(() => controller.shutdown());
  const aliceRoot = controller.pinVatRoot('alice');
  t.regex(aliceRoot, /^ko\d+$/);
  t.is(controller.vatNameToID('bootstrap'), 'v1');
  t.is(controller.vatNameToID('vatAdmin'), 'v2');
  t.is(controller.deviceNameToID('vatAdmin'), 'd7');
  t.throws(() => controller.vatNameToID('nobody'), { message: /must exist/ });

  // step() runs exactly one crank at a time, then reports idle.
  let steps = 0;
  while ((await controller.step()) === 1) steps += 1;
  t.true(steps > 10);
  t.is(await controller.step(), 0);
  t.is(controller.kpStatus(controller.bootstrapResult as string), 'fulfilled');

  const kpid = controller.queueToVatObject(kslot(aliceRoot, 'root'), 'hello', ['object']);
  t.is(controller.kpStatus(kpid as string), 'unresolved');
  t.is(await settle(controller, kpid), 'hello object');
  t.is(controller.kpStatus('kp999999'), 'unknown');
  t.is(controller.queueToVatRoot('alice', 'hello', ['none'], 'none'), undefined);
  await controller.run();

  const stats = controller.getStats();
  t.true((stats['syscalls'] ?? 0) > 0);
  t.is(stats['runQueueLength'], 0);
  t.deepEqual(
    controller
      .getStatus()
      .activeVats.map(vat => vat.id)
      .sort(),
    ['v1', 'v2', 'v3', 'v4', 'v5'],
  );
  const dump = controller.dump();
  t.true(dump.objects.some(([kref]) => kref === aliceRoot));
  t.true(dump.kernelTable.some(([kref, vatID, vref]) => kref === aliceRoot && vatID === 'v4' && vref === 'o+0'));
});

test.serial('bundles, kernel options, reapAllVats, external termination (local)', async t => {
  const controller = await buildFixtureController('terminate', 'local', withoutComms, noSnapshots);
  t.teardown(() => controller.shutdown());
  controller.pinVatRoot('alice');
  await controller.run();

  // validateAndInstallBundle checks the claimed ID and stores the bundle.
  const bundler = makeSourceBundler();
  const bundle = await bundler.bundle(fileURLToPath(new URL('../fixtures/kernel/pingpong/vat-pong.js', import.meta.url)));
  const hashBefore = controller.getActivityhash();
  const id = await controller.validateAndInstallBundle({ ...bundle });
  t.is(id, `b1-${bundle.endoZipBase64Sha512}`);
  await t.throwsAsync(() => controller.validateAndInstallBundle(bundle, `b1-${'0'.repeat(128)}`), {
    message: /does not match/,
  });
  await controller.run(); // the vat-admin placeholder hears bundleInstalled
  t.not(controller.getActivityhash(), hashBefore);

  t.throws(() => controller.changeKernelOptions({ bogus: 1 }), { message: /unknown options bogus/ });
  t.throws(() => controller.changeKernelOptions({ defaultReapInterval: 0 }), { message: /positive number/ });
  controller.changeKernelOptions({ defaultReapInterval: 'never', snapshotInterval: 50 });

  // reapAllVats schedules a BOYD for every vat that delivered since last time.
  const positions = controller.reapAllVats();
  t.true(Object.keys(positions).length >= 4);
  t.deepEqual(controller.dump().reapQueue, Object.keys(positions));
  await controller.run();
  t.deepEqual(controller.dump().reapQueue, []);
  t.deepEqual(Object.keys(controller.reapAllVats(positions)), Object.keys(positions));
  t.deepEqual(controller.dump().reapQueue, [], 'nothing delivered since: nothing scheduled');

  // The host can terminate a vat; its state is cleaned up by later runs.
  const aliceID = controller.vatNameToID('alice');
  t.throws(() => controller.terminateVat(aliceID, kser(kslot('ko20'))), { message: /no slots/ });
  const aliceRoot = controller.pinVatRoot('alice');
  controller.terminateVat(aliceID, kser('host says goodbye'));
  t.throws(() => controller.vatNameToID('alice'), { message: /must exist/ });
  // A message to an object of the dead vat is rejected, as SwingSet does.
  const kpid = controller.queueToVatObject(kslot(aliceRoot, 'root'), 'hello', ['ghost']);
  await controller.run();
  t.is(controller.kpStatus(kpid as string), 'rejected');
  t.deepEqual(controller.kpResolution(kpid as string), kser(Error('vat terminated')));
  t.false(controller.dump().vatTables.some(table => table.vatID === aliceID), 'cleanup deleted its state');
});

test.serial('snapshotAllVats saves a heap snapshot of each xsnap vat', async t => {
  const controller = await buildFixtureController('terminate', 'xsnap', withoutComms, noSnapshots);
  t.teardown(() => controller.shutdown());
  await controller.run();
  const snapshotted = await controller.snapshotAllVats();
  t.deepEqual([...snapshotted].sort(), ['v1', 'v2', 'v3', 'v4', 'v5']);
  t.deepEqual(await controller.snapshotAllVats(), [], 'nothing new to snapshot');
});

test.serial('devices: callNow, endowments, parameters, state, and non-fatal device errors (local)', async t => {
  const controller = await buildFixtureController('devices', 'local', withoutComms, noSnapshots, { counter: { start: 10 } });
  t.teardown(() => controller.shutdown());
  t.is(controller.deviceNameToID('counter'), 'd7');
  t.is(controller.deviceNameToID('vatAdmin'), 'd8');
  await controller.run();
  t.deepEqual(kunser(controller.kpResolution(controller.bootstrapResult as string)), {
    first: 20,
    second: 22,
    failure: 'syscall.callNow failed: device.invoke failed, see logs for details',
    hasVatAdminDevice: true,
  });
});
