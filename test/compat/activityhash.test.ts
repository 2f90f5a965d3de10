// Class 6 of issue 11: restarting the kernel does not change the activity
// hash. A host that reopens its store and makes a new controller (preload
// replays the vats) must see the hash it committed, and the same run after
// the restart must give the same hash as without one. (The cause of the
// earlier difference: the stats flush after run() rewrote an unchanged
// consensus record outside a crank, hashed but never emitted before commit.)
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import { initSwingStore, openSwingStore } from '@crankshaft/swing-store';
import { initializeSwingset, makeSwingsetController } from '@crankshaft/kernel';
import { loadCompatConfig, makeTempDir, quiet, type ManagerType } from './helpers.js';

for (const managerType of ['local', 'xsnap'] as ManagerType[]) test.serial(`restarting kernel does not change activityhash (${managerType})`, async t => {
  const restarted = makeTempDir(`activityhash-restart-${managerType}`);
  const straight = makeTempDir(`activityhash-straight-${managerType}`);
  t.teardown(() => {
    fs.rmSync(restarted, { recursive: true, force: true });
    fs.rmSync(straight, { recursive: true, force: true });
  });
  const config = await loadCompatConfig('testlog', managerType);

  // Kernel A: run, commit, restart, run more.
  const a1 = initSwingStore(restarted);
  await initializeSwingset(config, [], a1.kernelStorage);
  const ca1 = await makeSwingsetController(a1.kernelStorage, {}, quiet);
  await ca1.run();
  await a1.hostStorage.commit();
  const committed = ca1.getActivityhash();
  t.regex(committed, /^[0-9a-f]{64}$/);
  await ca1.shutdown();
  await a1.hostStorage.close();

  const a2 = openSwingStore(restarted);
  const ca2 = await makeSwingsetController(a2.kernelStorage, {}, quiet);
  t.teardown(async () => {
    await ca2.shutdown();
    await a2.hostStorage.close();
  });
  t.is(ca2.getActivityhash(), committed, 'making the controller (preload, replay) changes nothing');
  ca2.queueToVatRoot('bootstrap', 'call', ['after']);
  await ca2.run();
  await a2.hostStorage.commit();

  // Kernel B: the same work without the restart.
  const b = initSwingStore(straight);
  await initializeSwingset(config, [], b.kernelStorage);
  const cb = await makeSwingsetController(b.kernelStorage, {}, quiet);
  t.teardown(async () => {
    await cb.shutdown();
    await b.hostStorage.close();
  });
  await cb.run();
  await b.hostStorage.commit();
  t.is(cb.getActivityhash(), committed, 'the same config and run give the same hash');
  cb.queueToVatRoot('bootstrap', 'call', ['after']);
  await cb.run();
  await b.hostStorage.commit();

  t.is(ca2.getActivityhash(), cb.getActivityhash(), 'the restart left no trace in the hash');
  t.not(ca2.getActivityhash(), committed);
});
