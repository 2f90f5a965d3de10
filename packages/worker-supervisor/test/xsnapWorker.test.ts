import '@endo/init/debug.js';
import test from 'ava';
import { getWorkerBundlesByID, provideWorkerBundleIDs } from '../src/bundleIDs.js';
import { loadWorkerBundles, type WorkerBundles } from '../src/bundleBuilder.js';
import { WorkerError } from '../src/errors.js';
import type { VatDeliveryObject, VatSyscallObject, VatSyscallResult } from '../src/types.js';
import { startXsnapVatWorker, type XsnapVatWorker, type XsnapWorkerOptions } from '../src/xsnapWorker.js';
import {
  capdata,
  getScenarioVatBundle,
  makeFakeKernel,
  makeFileSnapStore,
  makeMapBundleStore,
  makeTempDir,
  message,
  presenceRef,
  promiseRef,
  startVat,
  type FakeKernel,
} from './harness.js';
import { defineCommonScenarios } from './scenarios.js';

let bundlesP: Promise<WorkerBundles> | undefined;
const workerBundles = (): Promise<WorkerBundles> => (bundlesP ??= loadWorkerBundles());

// Every worker in this file boots as the kernel would: from the bundleStore,
// by the b0 IDs its worker options record.
const bundleStore = makeMapBundleStore();
async function startScenarioWorker(options: XsnapWorkerOptions): Promise<XsnapVatWorker> {
  const [bundles, vatBundle] = await Promise.all([workerBundles(), getScenarioVatBundle()]);
  const workerOptions = provideWorkerBundleIDs(bundleStore, bundles);
  if (workerOptions.type !== 'xsnap') throw Error('expected xsnap worker options');
  const { lockdown, supervisor } = getWorkerBundlesByID(bundleStore, workerOptions.bundleIDs);
  return startXsnapVatWorker(
    { stdout: 'inherit', stderr: 'inherit', ...options },
    { from: 'bundles', lockdownBundle: lockdown, supervisorBundle: supervisor, vatBundle },
  );
}

const shared = defineCommonScenarios(test, 'xsnap', options => startScenarioWorker(options));

test.serial('xsnap: metered deliveries report computrons', async t => {
  const { worker, kernel } = shared();
  const ping = await worker.deliver(message('o+0', 'ping', ['x'], 'p-90'), kernel.handler);
  kernel.takeSyscalls();
  t.is(ping.status, 'ok');
  const computrons = ping.metering?.computrons ?? 0;
  t.true(computrons > 1000 && computrons < 1_000_000, `ping cost ${computrons}`);
});

test('xsnap: the worker options name the bundles stored by b0 ID', async t => {
  const bundles = await workerBundles();
  t.deepEqual(provideWorkerBundleIDs(bundleStore, bundles), {
    type: 'xsnap',
    bundleIDs: [bundles.lockdownID, bundles.supervisorID],
  });
  t.true(bundleStore.hasBundle(bundles.lockdownID));
  t.true(bundleStore.hasBundle(bundles.supervisorID));
});

test('xsnap: the meter stops an infinite loop and the worker is dead after', async t => {
  const kernel = makeFakeKernel();
  // startVat needs ~1.2e7 computrons; the loop hits this limit in well under a second
  const worker = await startScenarioWorker({ vatID: 'v11', vatName: 'looper', onConsole: () => {}, computeLimit: 50_000_000 });
  try {
    t.is((await worker.deliver(startVat(), kernel.handler)).status, 'ok');
    const result = await worker.deliver(message('o+0', 'spin', [], 'p-60'), kernel.handler);
    t.deepEqual(result, { status: 'error', error: 'Compute meter exceeded' });
    const again = worker.deliver(message('o+0', 'ping', ['x'], 'p-61'), kernel.handler);
    const err = await t.throwsAsync(again, { instanceOf: WorkerError });
    t.is(err?.code, 'WORKER_DEAD');
    t.regex(err?.message ?? '', /v11 \(looper\).*meter.*message to o\+0\.spin/);
  } finally {
    await worker.shutdown();
  }
});

test('xsnap: a worker killed by SIGKILL mid-delivery rejects, naming vat, signal and delivery', async t => {
  const kernel = makeFakeKernel();
  // unmetered: nothing but the kill can stop it
  const worker = await startScenarioWorker({ vatID: 'v12', vatName: 'victim', onConsole: () => {}, metered: false });
  try {
    t.is((await worker.deliver(startVat(), kernel.handler)).status, 'ok');
    // kill it while it waits for the answer to a vatstore read
    kernel.onSyscall = vso => {
      if (vso[0] === 'vatstoreGet' && worker.pid !== undefined) process.kill(worker.pid, 'SIGKILL');
    };
    const err = await t.throwsAsync(worker.deliver(message('o+0', 'makeCounter', [], 'p-60'), kernel.handler), {
      instanceOf: WorkerError,
    });
    t.is(err?.code, 'WORKER_DEAD');
    t.regex(err?.message ?? '', /v12 \(victim\).*signal SIGKILL.*delivery #2 \(message to o\+0\.makeCounter\)/);
    const next = await t.throwsAsync(worker.deliver(message('o+0', 'ping', ['x'], 'p-61'), kernel.handler));
    t.regex(next?.message ?? '', /cannot deliver/);
  } finally {
    await worker.shutdown();
  }
});

/** The deliveries the snapshot and batching tests replay on several workers. */
const script: VatDeliveryObject[] = [
  startVat(),
  message('o+0', 'ping', ['one'], 'p-60'),
  message('o+0', 'makeCounter', [], 'p-61'),
  message('o+0', 'sendTo', [presenceRef(0), 'hi'], 'p-62', ['o-50']),
  message('o+0', 'watch', [promiseRef(0)], null, ['p-63']),
  ['notify', [['p-63', false, capdata('yes')]]],
  message('o+0', 'hold', [presenceRef(0)], null, ['o-51']),
  message('o+0', 'drop', [], null),
  message('o+0', 'sendMany', [presenceRef(0), 4], 'p-64', ['o-50']),
  ['bringOutYourDead'],
];

interface TranscriptEntry {
  d: VatDeliveryObject;
  sc: { s: VatSyscallObject; r: VatSyscallResult }[];
  r: unknown;
}

async function runRecorded(worker: XsnapVatWorker, kernel: FakeKernel, deliveries: VatDeliveryObject[]) {
  const transcript: TranscriptEntry[] = [];
  for (const d of deliveries) {
    const sc: TranscriptEntry['sc'] = [];
    const r = await worker.deliver(d, vso => {
      const result = kernel.handler(vso);
      sc.push({ s: vso, r: result });
      return result;
    });
    transcript.push({ d, sc, r });
  }
  return transcript;
}

test('xsnap: batching on and off give the same transcript; batching saves round trips', async t => {
  const [on, off] = await Promise.all([
    startScenarioWorker({ vatID: 'v20', onConsole: () => {}, batchSyscalls: true }),
    startScenarioWorker({ vatID: 'v20', onConsole: () => {}, batchSyscalls: false }),
  ]);
  try {
    const kernelOn = makeFakeKernel();
    const kernelOff = makeFakeKernel();
    const transcriptOn = await runRecorded(on, kernelOn, script);
    const transcriptOff = await runRecorded(off, kernelOff, script);
    t.deepEqual(transcriptOn, transcriptOff);
    t.true(transcriptOn.every(entry => (entry.r as { status: string }).status === 'ok'));

    // k sends (each with its subscribe), a resolve and a vatstoreSet: all
    // result-less, so one round trip with batching, one per syscall without
    const k = 5;
    const many = message('o+0', 'sendMany', [presenceRef(0), k], 'p-70', ['o-50']);
    const beforeOn = on.stats().roundTrips;
    const beforeOff = off.stats().roundTrips;
    const [entryOn] = await runRecorded(on, kernelOn, [many]);
    await runRecorded(off, kernelOff, [many]);
    const syscallCount = entryOn?.sc.length ?? 0;
    t.true(syscallCount >= 2 * k + 1);
    t.is(on.stats().roundTrips - beforeOn, 1, 'one trip for the whole delivery');
    t.is(off.stats().roundTrips - beforeOff, 1 + syscallCount, 'one trip per syscall');
  } finally {
    await Promise.all([on.shutdown(), off.shutdown()]);
  }
});

test('xsnap: a worker started from a snapshot behaves like one that never snapshotted', async t => {
  const snapStore = makeFileSnapStore(makeTempDir('ws-snap'));
  const [subject, control] = await Promise.all([
    startScenarioWorker({ vatID: 'v30', onConsole: () => {} }),
    startScenarioWorker({ vatID: 'v30', onConsole: () => {} }),
  ]);
  const kernelA = makeFakeKernel();
  const kernelB = makeFakeKernel();
  let fromSnapshot: XsnapVatWorker | undefined;
  try {
    await runRecorded(subject, kernelA, script);
    await runRecorded(control, kernelB, script);

    const report = await subject.makeSnapshot(script.length, snapStore);
    t.is(report.snapPos, script.length);
    t.regex(report.hash, /^[0-9a-f]{64}$/);
    t.true(report.uncompressedSize > report.compressedSize);
    t.false(report.restarted);

    fromSnapshot = await startXsnapVatWorker(
      { vatID: 'v30', onConsole: () => {} },
      { from: 'snapshot', snapshot: snapStore.loadSnapshot('v30') },
    );
    const next: VatDeliveryObject[] = [
      message('o+0', 'incrementCounter', [], 'p-80'),
      message('o+0', 'sendTo', [presenceRef(0), 'again'], 'p-81', ['o-50']),
      message('o+0', 'getWatched', [], 'p-82'),
    ];
    const kernelC = makeFakeKernel(kernelA.vatstore);
    const restored = await runRecorded(fromSnapshot, kernelC, next);
    const never = await runRecorded(control, kernelB, next);
    t.deepEqual(
      restored.map(e => e.sc),
      never.map(e => e.sc),
    );
    t.deepEqual(
      restored[0]?.sc.find(c => c.s[0] === 'resolve')?.s,
      ['resolve', [['p-80', false, capdata(11)]]],
    );

    // restart-on-snapshot: the same worker object now runs from its own snapshot
    const pidBefore = subject.pid;
    const restart = await subject.makeSnapshot(script.length + 10, snapStore, true);
    t.true(restart.restarted);
    t.not(subject.pid, pidBefore);
    const afterRestart = await runRecorded(subject, kernelA, next);
    t.deepEqual(
      afterRestart.map(e => e.sc),
      never.map(e => e.sc),
    );
  } finally {
    await Promise.all([subject.shutdown(), control.shutdown(), fromSnapshot?.shutdown()]);
  }
});

test('xsnap: a bad compute limit is refused before spawning', async t => {
  const bundles = await workerBundles();
  const start = {
    from: 'bundles' as const,
    lockdownBundle: bundles.lockdown,
    supervisorBundle: bundles.supervisor,
    vatBundle: await getScenarioVatBundle(),
  };
  for (const computeLimit of [0, 1.5, 2 ** 31]) {
    const err = await t.throwsAsync(startXsnapVatWorker({ vatID: 'v50', computeLimit }, start), {
      instanceOf: WorkerError,
    });
    t.is(err?.code, 'BAD_ARGUMENT');
    t.regex(err?.message ?? '', /^vat v50: computeLimit must be an integer/);
  }
});
