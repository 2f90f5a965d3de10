// A worker process that dies (SIGKILL) in the middle of a delivery is a
// fault of this machine, not of the vat: the kernel rolls the crank back and
// runs it again on a worker brought back from the vat's snapshot and
// transcript, so the result, the transcript and the activity hash are those
// of a run where nothing died. A second death in the same crank panics the
// kernel and leaves the store at its last commit, from which a restarted
// host finishes with the same activity hash.
import '@endo/init/debug.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  initializeSwingset,
  kunser,
  loadSwingsetConfigFile,
  makeSwingsetController,
  type SwingSetConfig,
  type SwingsetController,
} from '@crankshaft/kernel';
import { initSwingStore, openSwingStore, type SwingStore } from '@crankshaft/swing-store';
import { makeTempDir, quietOptions } from '../kernel-helpers.js';

const configFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/faults/worker-death/config.json');
// Long enough (well over a second on XS) for the kill to land mid-delivery.
const SPIN = 30_000_000;

interface Host {
  store: SwingStore;
  controller: SwingsetController;
  close(): Promise<void>;
}

/** The victim's xsnap process, a child of this one. */
const victimPid = (): number => {
  const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'xsnap-worker v[0-9]+:victim'], { encoding: 'utf8' }).trim();
  return Number(pids.split('\n')[0]);
};

interface HostOptions {
  /** SIGKILL the victim's worker this many times, each while spin is delivered. */
  kills?: number;
  /** SIGSTOP the victim's worker as the first spin is delivered (it hangs). */
  stopOnce?: boolean;
  workerHangTimeoutMs?: number;
}

/** Opens (initializing if new) a store in `dir`. */
async function openHost(dir: string, options: HostOptions = {}): Promise<Host> {
  const { kills = 0, stopOnce = false, workerHangTimeoutMs } = options;
  const fresh = !fs.existsSync(path.join(dir, 'swingstore.sqlite'));
  const store = fresh ? initSwingStore(dir) : openSwingStore(dir);
  if (fresh) {
    const config = (await loadSwingsetConfigFile(configFile)) as SwingSetConfig;
    await initializeSwingset({ ...config, defaultManagerType: 'xsnap' }, [], store.kernelStorage);
    await store.hostStorage.commit();
  }
  let killsLeft = kills;
  let stopsLeft = stopOnce ? 1 : 0;
  const slogSender = (event: Record<string, unknown>): void => {
    const vd = event['vd'] as unknown[] | undefined;
    const isSpin = event['type'] === 'deliver' && event['replay'] === false && JSON.stringify(vd ?? []).includes('spin');
    if (!isSpin) return;
    if (stopsLeft > 0) {
      // before the delivery reaches the worker: it never answers
      stopsLeft -= 1;
      process.kill(victimPid(), 'SIGSTOP');
    }
    if (killsLeft === 0) return;
    killsLeft -= 1;
    setTimeout(() => process.kill(victimPid(), 'SIGKILL'), 300);
  };
  const controller = await makeSwingsetController(store.kernelStorage, {}, {
    ...quietOptions,
    slogSender: slogSender as never,
    ...(workerHangTimeoutMs === undefined ? {} : { workerHangTimeoutMs }),
  });
  // bootstrap drops the roots it is given; the host keeps the victim's
  if (fresh) controller.pinVatRoot('victim');
  return {
    store,
    controller,
    async close() {
      await controller.shutdown();
      await store.hostStorage.close();
    },
  };
}

async function bootAndSpin(host: Host, iterations = SPIN): Promise<{ result: unknown; activityhash: string }> {
  const kpid = host.controller.queueToVatRoot('victim', 'spin', [iterations], 'ignore') as string;
  await host.controller.run();
  const status = host.controller.kpStatus(kpid);
  const result = kunser(host.controller.kpResolution(kpid));
  await host.store.hostStorage.commit();
  return { result: `${status} ${String(result)}`, activityhash: host.controller.getActivityhash() };
}

const victimTranscript = (host: Host): string[] => {
  const vatID = host.controller.vatNameToID('victim');
  return Object.values(host.store.debug.dump(true).transcripts[vatID] ?? {});
};

let expected: { result: unknown; activityhash: string; transcript: string[] } | undefined;

test.serial('the uninterrupted run (the reference for the others)', async t => {
  const host = await openHost(makeTempDir('death-ref'));
  t.teardown(() => host.close());
  await host.controller.run();
  await host.store.hostStorage.commit();
  const spun = await bootAndSpin(host);
  expected = { ...spun, transcript: victimTranscript(host) };
  t.is(expected.transcript.filter(item => item.includes('spin')).length, 1, 'the transcript holds the spin');
  t.regex(String(spun.result), /^fulfilled spin 1: \d+$/);
});

test.serial('a worker killed mid-delivery: the crank is retried on a new worker; nothing differs', async t => {
  if (!expected) return t.fail('no reference run');
  const host = await openHost(makeTempDir('death-once'), { kills: 1 });
  t.teardown(() => host.close());
  await host.controller.run();
  await host.store.hostStorage.commit();
  const spun = await bootAndSpin(host);
  t.is(spun.result, expected.result, 'the vat was not terminated; the delivery ran once, to the end');
  t.deepEqual(victimTranscript(host), expected.transcript, 'the transcript holds the delivery once');
  t.is(spun.activityhash, expected.activityhash);
  return undefined;
});

test.serial('a worker that dies again on the retry panics the kernel; a restarted host finishes the same', async t => {
  if (!expected) return t.fail('no reference run');
  const dir = makeTempDir('death-twice');
  const host = await openHost(dir, { kills: 2 });
  await host.controller.run();
  await host.store.hostStorage.commit();
  const before = host.store.debug.dump(true);
  host.controller.queueToVatRoot('victim', 'spin', [SPIN], 'ignore');
  const failure = await t.throwsAsync(() => host.controller.run());
  t.regex(failure?.message ?? '', /vat v\d+: worker died during delivery \d+ \(message\).*SIGKILL/);
  await host.controller.shutdown();
  await host.store.hostStorage.close();

  // The host did not commit after queueing: the store is as it was.
  const reopened = await openHost(dir);
  t.teardown(() => reopened.close());
  t.deepEqual(reopened.store.debug.dump(true).kvEntries, before.kvEntries, 'nothing of the failed run was committed');
  const spun = await bootAndSpin(reopened);
  t.is(spun.result, expected.result);
  t.is(spun.activityhash, expected.activityhash);
  return undefined;
});

test('a worker that stops answering is killed after workerHangTimeoutMs and the crank retried on a new worker', async t => {
  const host = await openHost(makeTempDir('death-hang'), { stopOnce: true, workerHangTimeoutMs: 3000 });
  t.teardown(() => host.close());
  await host.controller.run();
  await host.store.hostStorage.commit();
  const started = process.hrtime.bigint();
  // a short spin: the retry must answer well within the timeout, even on a loaded machine
  const spun = await bootAndSpin(host, 10_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let x = 0;
  for (let i = 0; i < 10_000; i += 1) x = (x + i) % 1000003;
  t.is(spun.result, `fulfilled spin 1: ${x}`, 'the vat was not terminated; the spin ran once, to the end');
  t.is(victimTranscript(host).filter(item => item.includes('spin')).length, 1, 'the transcript holds the delivery once');
  t.true(seconds >= 3, `the hung worker was waited for ${seconds} s, at least the timeout`);
});
