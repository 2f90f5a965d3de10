// Dynamic vats through the vat-admin service: creation from a bundlecap,
// talking to the new vat, every way it can end (terminateWithFailure,
// exitVat, exitVatWithFailure, controller.terminateVat, a failed startVat),
// done() settling, messages afterwards rejecting, the promises it decided
// being rejected, changeOptions, critical vats panicking the kernel, and a
// dynamic vat surviving a kernel restart.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import { kser, makeSourceBundler, type SlogRecord } from '@crankshaft/kernel';
import { openSwingStore } from '@crankshaft/swing-store';
import { fileURLToPath } from 'node:url';
import { buildFixtureController, makeTempDir, type WorkerType } from './kernel-helpers.js';
import { callBootstrap, noSnapshots } from './kernel-lifecycle-helpers.js';

// These assertions name vat IDs from before comms and vattp were built in:
// the fixtures run without them (addComms/addVattp false), as SwingSet's own
// tests that hardcode IDs do.
const withoutComms = { initializationOptions: { addComms: false, addVattp: false } };

for (const managerType of ['xsnap', 'local'] as WorkerType[]) {
  test.serial(`create a dynamic vat, talk to it, terminate it (${managerType})`, async t => {
    const terminations: SlogRecord[] = [];
    const controller = await buildFixtureController(
      'dynamic',
      managerType,
      { ...withoutComms, slogSender: record => void (record.type === 'terminate' && terminations.push(record)) },
      noSnapshots,
    );
    t.teardown(() => controller.shutdown());
    await controller.run();
    t.deepEqual(await callBootstrap(controller, 'getLog'), []);

    t.deepEqual(
      await callBootstrap(controller, 'create', ['c1', 'counter', { name: 'counter-1', vatParameters: { start: 5 } }]),
      { ok: 'created' },
    );
    t.deepEqual(await callBootstrap(controller, 'call', ['c1', 'increment']), { ok: 6 });
    t.deepEqual(await callBootstrap(controller, 'call', ['c1', 'get']), { ok: 6 });

    // The kernel recorded it as a dynamic vat with the options it was given.
    const [dynamic] = controller.getStatus().activeVats.filter(vat => !['v1', 'v2', 'v3'].includes(vat.id));
    t.like(dynamic?.options, { name: 'counter-1', enableDisavow: false, critical: false });
    const vatID = dynamic?.id as string;

    await callBootstrap(controller, 'watchDone', ['c1']);
    // A call the vat holds (it decides the result promise) until it dies.
    await callBootstrap(controller, 'callLater', ['c1', 'hold']);
    t.deepEqual(await callBootstrap(controller, 'getLog'), []);

    t.deepEqual(await callBootstrap(controller, 'terminate', ['c1', 'enough counting']), { ok: undefined });
    t.deepEqual(await callBootstrap(controller, 'getLog'), [
      { 'c1.hold': { err: 'vat terminated' } },
      { 'c1 done': { err: 'enough counting' } },
    ]);
    t.deepEqual(await callBootstrap(controller, 'call', ['c1', 'increment']), { err: 'vat terminated' });
    // Its adminNode refuses further work on it.
    t.deepEqual(await callBootstrap(controller, 'terminate', ['c1', 'again']), {
      err: `vatAdminService rejecting attempt to perform "terminateWithFailure"() on non-running vat "${vatID}"`,
    });
    t.is(terminations.length, 1);
    t.like(terminations[0], { vatID, shouldReject: true });
    t.false(controller.getStatus().activeVats.some(vat => vat.id === vatID));

    // The vat's own ways out.
    for (const name of ['quits', 'fails']) {
      t.deepEqual(await callBootstrap(controller, 'create', [name, 'counter']), { ok: 'created' });
      await callBootstrap(controller, 'watchDone', [name]);
      await callBootstrap(controller, 'callLater', [name, 'hold']);
    }
    // A clean exit keeps the crank: the call returns before the vat goes.
    t.deepEqual(await callBootstrap(controller, 'call', ['quits', 'exit', ['all done']]), { ok: 'exiting' });
    // A failing exit unwinds the crank, so the call itself is rejected.
    t.deepEqual(await callBootstrap(controller, 'call', ['fails', 'fail', ['broken']]), { err: 'vat terminated' });
    t.deepEqual((await callBootstrap(controller, 'getLog')) as unknown[], [
      { 'c1.hold': { err: 'vat terminated' } },
      { 'c1 done': { err: 'enough counting' } },
      { 'quits.hold': { err: 'vat terminated' } },
      { 'quits done': { ok: 'all done' } },
      { 'fails.hold': { err: 'vat terminated' } },
      { 'fails done': { err: 'broken' } },
    ]);
    t.deepEqual(await callBootstrap(controller, 'call', ['quits', 'get']), { err: 'vat terminated' });
  });
}

test.serial('failed creation, host-installed bundles, controller.terminateVat, changeOptions (local)', async t => {
  const controller = await buildFixtureController('dynamic', 'local', withoutComms, noSnapshots);
  t.teardown(() => controller.shutdown());
  await controller.run();
  const created = (await callBootstrap(controller, 'create', ['b', 'broken'])) as { err: string };
  t.regex(created.err, /^Vat Creation Error: .*this vat refuses to start/);
  // Bad options are refused by vat-admin before the kernel hears of them.
  t.deepEqual(await callBootstrap(controller, 'create', ['x', 'counter', { colour: 'blue' }]), {
    err: 'CreateVatOptions: unknown options "colour"',
  });
  t.deepEqual(await callBootstrap(controller, 'create', ['x', 'counter', { name: 'no spaces' }]), {
    err: 'CreateVatOptions: bad vat name "no spaces"',
  });
  // The failed vat (v4, the first dynamic vatID) was rolled back: no
  // c-list rows, no transcript, not alive.
  const dump = controller.dump();
  t.false(dump.kernelTable.some(([, owner]) => owner === 'v4'));
  t.false(dump.vatTables.some(table => table.vatID === 'v4'));
  t.deepEqual(
    controller
      .getStatus()
      .activeVats.map(vat => vat.id)
      .sort(),
    ['v1', 'v2', 'v3'],
  );

  const source = fileURLToPath(new URL('../fixtures/kernel/dynamic/vat-echo.js', import.meta.url));
  const bundle = await makeSourceBundler().bundle(source);
  const bundleID = `b1-${bundle.endoZipBase64Sha512}`;
  // The host installs the bundle after the vat asked for it.
  const kpid = controller.queueToVatRoot('bootstrap', 'createFromBundleID', ['h', bundleID, { vatParameters: { start: 40 } }]);
  await controller.run();
  t.is(controller.kpStatus(kpid as string), 'unresolved');
  t.is(await controller.validateAndInstallBundle(bundle, bundleID), bundleID);
  await controller.run();
  t.deepEqual(await callBootstrap(controller, 'call', ['h', 'increment']), { ok: 41 });
  // The older forms: createVat(bundle) and createVatByName(name).
  t.deepEqual(await callBootstrap(controller, 'createFromWholeBundle', ['whole', 'counter']), { ok: 'created' });
  t.deepEqual(await callBootstrap(controller, 'call', ['whole', 'increment']), { ok: 1 });
  t.deepEqual(await callBootstrap(controller, 'createByName', ['named', 'counter', { vatParameters: { start: 9 } }]), {
    ok: 'created',
  });
  t.deepEqual(await callBootstrap(controller, 'call', ['named', 'increment']), { ok: 10 });
  await callBootstrap(controller, 'terminate', ['whole', 'done with it']);
  await callBootstrap(controller, 'terminate', ['named', 'done with it']);

  const vatID = controller.getStatus().activeVats.map(vat => vat.id).find(id => !['v1', 'v2', 'v3'].includes(id)) as string;
  t.deepEqual(await callBootstrap(controller, 'changeOptions', ['h', { reapInterval: 7 }]), { ok: undefined });
  const options = controller.getStatus().activeVats.find(vat => vat.id === vatID)?.options as { reapDirtThreshold: unknown };
  t.deepEqual(options.reapDirtThreshold, { deliveries: 7 });
  t.deepEqual(await callBootstrap(controller, 'changeOptions', ['h', { colour: 1 }]), { err: 'invalid option "colour"' });

  await callBootstrap(controller, 'watchDone', ['h']);
  controller.terminateVat(vatID, kser(Error('host says stop')));
  await controller.run();
  t.deepEqual(await callBootstrap(controller, 'getLog'), [{ 'h done': { err: 'host says stop' } }]);
  t.deepEqual(await callBootstrap(controller, 'call', ['h', 'get']), { err: 'vat terminated' });
});

test.serial('a critical dynamic vat that fails panics the kernel (local)', async t => {
  const controller = await buildFixtureController('dynamic', 'local', withoutComms, noSnapshots);
  t.teardown(() => controller.shutdown());
  await controller.run();
  t.deepEqual(await callBootstrap(controller, 'create', ['crit', 'counter', { critical: true }]), { ok: 'created' });
  t.like(controller.getStatus().activeVats.find(vat => !['v1', 'v2', 'v3'].includes(vat.id))?.options, { critical: true });
  controller.queueToVatRoot('bootstrap', 'terminate', ['crit', 'critical failure']);
  await t.throwsAsync(() => controller.run(), { message: /critical failure/ });
  // The panic is sticky.
  await t.throwsAsync(() => controller.run(), { message: /critical failure/ });
});

test.serial('a dynamic vat and its adminNode survive a kernel restart (xsnap)', async t => {
  const dir = makeTempDir('dynamic-restart');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  {
    const { kernelStorage, hostStorage } = openSwingStore(dir);
    const controller = await buildFixtureController('dynamic', 'xsnap', { ...withoutComms, kernelStorage }, noSnapshots);
    await controller.run();
    t.deepEqual(await callBootstrap(controller, 'create', ['c', 'counter', { vatParameters: { start: 1 } }]), {
      ok: 'created',
    });
    t.deepEqual(await callBootstrap(controller, 'call', ['c', 'increment']), { ok: 2 });
    await hostStorage.commit();
    await controller.shutdown();
    await hostStorage.close();
  }
  const { kernelStorage, hostStorage } = openSwingStore(dir);
  const controller = await buildFixtureController('dynamic', 'xsnap', { ...withoutComms, kernelStorage });
  t.teardown(async () => {
    await controller.shutdown();
    await hostStorage.close();
  });
  t.deepEqual(await callBootstrap(controller, 'call', ['c', 'increment']), { ok: 3 });
  await callBootstrap(controller, 'watchDone', ['c']);
  t.deepEqual(await callBootstrap(controller, 'call', ['c', 'exit', ['bye']]), { ok: 'exiting' });
  t.deepEqual(await callBootstrap(controller, 'getLog'), [{ 'c done': { ok: 'bye' } }]);
});
