// Host misuse: each wrong call gets a clear error naming the thing and the
// reason, and the committed store is exactly what it was before the call.
import '@endo/init/debug.js';
import test from 'ava';
import { initSwingStore, openSwingStore, type SwingStore } from '@crankshaft/swing-store';
import { initializeSwingset, makeSwingsetController, type SwingsetController } from '@crankshaft/kernel';
import { loadFixtureConfig, makeTempDir } from '../kernel-helpers.js';
import { dumpCommittedStore } from './storeDump.js';

interface Booted {
  dir: string;
  store: SwingStore;
  controller: SwingsetController;
}

/** pingpong on local workers, bootstrapped and committed. */
async function boot(): Promise<Booted> {
  const dir = makeTempDir('host-misuse');
  const store = initSwingStore(dir);
  await initializeSwingset(await loadFixtureConfig('pingpong', 'local'), [], store.kernelStorage);
  await store.hostStorage.commit();
  const controller = await makeSwingsetController(store.kernelStorage, {}, { quiet: true, vatConsole: () => {} });
  // bootstrap drops the roots it is given; keep pong's for the host's own sends
  controller.pinVatRoot('pong');
  await controller.run();
  await store.hostStorage.commit();
  return { dir, store, controller };
}

/** Runs `misuse`, commits whatever the kernel holds, and shows the committed store unchanged. */
async function assertNothingCommitted(t: import('ava').ExecutionContext, booted: Booted, misuse: () => unknown | Promise<unknown>): Promise<unknown> {
  const before = dumpCommittedStore(booted.dir);
  let thrown: unknown;
  try {
    await misuse();
  } catch (err) {
    thrown = err;
  }
  // a commit after a refused call would publish anything it left half-written
  await booted.store.hostStorage.commit().catch(() => {});
  t.deepEqual(dumpCommittedStore(booted.dir), before, 'the committed store is unchanged');
  return thrown;
}

test('queueToVatRoot to an unknown vat names the vat; nothing is written', async t => {
  const booted = await boot();
  t.teardown(() => booted.controller.shutdown());
  const err = await assertNothingCommitted(t, booted, () => booted.controller.queueToVatRoot('nosuchvat', 'ping', [1]));
  t.regex((err as Error).message, /vat name "nosuchvat" must exist/);
});

test('a non-serializable argument is refused with the passStyle reason; nothing is written', async t => {
  const booted = await boot();
  t.teardown(() => booted.controller.shutdown());
  const fnErr = await assertNothingCommitted(t, booted, () => booted.controller.queueToVatRoot('pong', 'ping', [() => 1]));
  t.regex((fnErr as Error).message, /Remotables must be explicitly declared/);
  const symErr = await assertNothingCommitted(t, booted, () => booted.controller.queueToVatRoot('pong', 'ping', [Symbol('local')]));
  t.regex((symErr as Error).message, /Only registered symbols or well-known symbols are passable/);
  // the kernel still works afterwards
  const kpid = booted.controller.queueToVatRoot('pong', 'ping', [1], 'ignore');
  await booted.controller.run();
  t.is(booted.controller.kpStatus(kpid as string), 'fulfilled');
});

test('run, step and queueToVatRoot after shutdown are refused, not a kernel panic', async t => {
  const booted = await boot();
  await booted.controller.shutdown();
  const runErr = await assertNothingCommitted(t, booted, () => booted.controller.run());
  t.regex((runErr as Error).message, /controller\.run: the controller was shut down/);
  t.is((runErr as { code?: string }).code, 'LIFECYCLE');
  const stepErr = await assertNothingCommitted(t, booted, () => booted.controller.step());
  t.regex((stepErr as Error).message, /controller\.step: the controller was shut down/);
  const queueErr = await assertNothingCommitted(t, booted, () => booted.controller.queueToVatRoot('pong', 'ping', [1]));
  t.regex((queueErr as Error).message, /controller\.queueToVatRoot: the controller was shut down/);
  // reading still answers, and a second shutdown is harmless
  t.is(typeof booted.controller.getActivityhash(), 'string');
  await t.notThrowsAsync(() => booted.controller.shutdown());
});

test('a second store opened for writing while a kernel writes is refused with LOCKED, naming the store', async t => {
  const booted = await boot();
  t.teardown(() => booted.controller.shutdown());
  booted.controller.queueToVatRoot('pong', 'ping', [7]); // the first kernel now holds the write lock
  const before = dumpCommittedStore(booted.dir);
  const err = t.throws(() => openSwingStore(booted.dir));
  t.is((err as { code?: string }).code, 'LOCKED');
  t.true(err?.message.includes(booted.dir), `the error names the store: ${err?.message}`);
  t.regex(err?.message ?? '', /another open store \(another kernel or process\) is writing to it/);
  t.deepEqual(dumpCommittedStore(booted.dir), before);
  // the first kernel is unaffected
  await booted.controller.run();
  await booted.store.hostStorage.commit();
});

test('commit while a crank is open is refused and loses nothing', async t => {
  const booted = await boot();
  t.teardown(() => booted.controller.shutdown());
  const before = dumpCommittedStore(booted.dir);
  const { kernelStorage, hostStorage } = booted.store;
  // every kernel crank works inside a savepoint, as here
  kernelStorage.startCrank();
  kernelStorage.establishCrankSavepoint('start');
  kernelStorage.kvStore.set('host-misuse.probe', 'x');
  const err = await t.throwsAsync(() => hostStorage.commit());
  t.is((err as { code?: string }).code, 'CRANK_STATE');
  t.deepEqual(dumpCommittedStore(booted.dir), before, 'nothing of the open crank was committed');
  kernelStorage.rollbackCrank('start');
  kernelStorage.endCrank();
  t.is(kernelStorage.kvStore.get('host-misuse.probe'), undefined, 'the rolled-back crank left nothing');
  await hostStorage.commit();
  t.deepEqual(dumpCommittedStore(booted.dir), before);
});
