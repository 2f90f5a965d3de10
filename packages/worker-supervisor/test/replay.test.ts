import '@endo/init/debug.js';
// Replay mode: a fresh worker re-executes recorded deliveries, answering
// syscalls from the recorded results, and reports the syscalls the vat made
// and the delivery results: the same as when the deliveries ran live.
import test from 'ava';
import { loadWorkerBundles } from '../src/bundleBuilder.js';
import { startLocalVatWorker } from '../src/localWorker.js';
import type {
  DeliveryResult,
  ReplayedDelivery,
  ReplayRequest,
  VatDeliveryObject,
  VatSyscallObject,
  VatSyscallResult,
  VatWorker,
} from '../src/types.js';
import { startXsnapVatWorker, type XsnapVatWorker } from '../src/xsnapWorker.js';
import {
  capdata,
  getScenarioVatBundle,
  makeFakeKernel,
  message,
  presenceRef,
  promiseRef,
  startVat,
  type FakeKernel,
} from './harness.js';

type ReplayingWorker = VatWorker & { replay(requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]> };
type Start = (vatID: string, batchSyscalls: boolean) => Promise<ReplayingWorker>;

const startXsnap = async (vatID: string, batchSyscalls: boolean): Promise<XsnapVatWorker> => {
  const [bundles, vatBundle] = await Promise.all([loadWorkerBundles(), getScenarioVatBundle()]);
  return startXsnapVatWorker(
    { vatID, batchSyscalls, onConsole: () => {} },
    { from: 'bundles', lockdownBundle: bundles.lockdown, supervisorBundle: bundles.supervisor, vatBundle },
  );
};
const startLocal: Start = async vatID =>
  startLocalVatWorker({ vatID, vatBundle: await getScenarioVatBundle(), onConsole: () => {} });

const script: VatDeliveryObject[] = [
  startVat(),
  message('o+0', 'ping', ['one'], 'p-60'),
  message('o+0', 'makeCounter', [], 'p-61'),
  message('o+0', 'incrementCounter', [], 'p-62'),
  message('o+0', 'sendTo', [presenceRef(0), 'hi'], 'p-63', ['o-50']),
  message('o+0', 'watch', [promiseRef(0)], null, ['p-64']),
  ['notify', [['p-64', false, capdata('yes')]]],
  message('o+0', 'getWatched', [], 'p-65'),
  message('o+0', 'fail', ['on purpose'], 'p-66'),
  message('o+0', 'log', ['quiet please'], 'p-67'),
  message('o+0', 'sendMany', [presenceRef(0), 3], 'p-68', ['o-50']),
  ['bringOutYourDead'],
];

interface Recorded {
  delivery: VatDeliveryObject;
  syscalls: VatSyscallObject[];
  results: VatSyscallResult[];
  result: DeliveryResult;
}

async function recordLive(worker: VatWorker, kernel: FakeKernel, deliveries: VatDeliveryObject[]): Promise<Recorded[]> {
  const out: Recorded[] = [];
  for (const delivery of deliveries) {
    const syscalls: VatSyscallObject[] = [];
    const results: VatSyscallResult[] = [];
    const result = await worker.deliver(delivery, vso => {
      const r = kernel.handler(vso);
      syscalls.push(vso);
      results.push(r);
      return r;
    });
    out.push({ delivery, syscalls, results, result });
  }
  return out;
}

const withoutMetering = ({ status, error }: DeliveryResult) => ({ status, ...(error === undefined ? {} : { error }) });

function defineReplayTests(kind: string, start: Start, batchings: boolean[]): void {
  for (const batchSyscalls of batchings) {
    const mode = `${kind}, batching ${batchSyscalls ? 'on' : 'off'}`;

    test(`${mode}: replay reports the syscalls and results of the live run`, async t => {
      const live = await start('v1', batchSyscalls);
      const fresh = await start('v1', batchSyscalls);
      try {
        const liveKernel = makeFakeKernel();
        const recorded = await recordLive(live, liveKernel, script);
        const rejected = recorded[8]?.syscalls.find(vso => vso[0] === 'resolve');
        t.true(rejected !== undefined && rejected[0] === 'resolve' && rejected[1][0]?.[1] === true, 'a rejection');
        // in two round trips, to show batches continue one vat
        const requests = recorded.map(({ delivery, results }) => ({ delivery, results }));
        const reports = [...(await fresh.replay(requests.slice(0, 5))), ...(await fresh.replay(requests.slice(5)))];
        t.is(reports.length, recorded.length);
        for (const [i, report] of reports.entries()) {
          const expected = recorded[i] as Recorded;
          t.deepEqual(report.syscalls, expected.syscalls, `syscalls of delivery ${i}`);
          t.deepEqual(withoutMetering(report.result), withoutMetering(expected.result), `result of delivery ${i}`);
          if (kind === 'xsnap') t.true((report.result.metering?.computrons ?? 0) > 0);
        }
        // The replayed vat continues exactly where the live one is.
        const next = message('o+0', 'incrementCounter', [], 'p-70');
        const freshKernel = makeFakeKernel(liveKernel.vatstore);
        t.deepEqual([...kernelStateOf(recorded)], [...liveKernel.vatstore], 'the record holds the vatstore');
        const [a] = await recordLive(live, liveKernel, [next]);
        const [b] = await recordLive(fresh, freshKernel, [next]);
        t.deepEqual(b?.syscalls, a?.syscalls);
        t.deepEqual(b?.results, a?.results);
      } finally {
        await Promise.all([live.shutdown(), fresh.shutdown()]);
      }
    });

    test(`${mode}: a delivery doomed by a rejected syscall replays as doomed`, async t => {
      const live = await start('v2', batchSyscalls);
      const fresh = await start('v2', batchSyscalls);
      try {
        const kernel = makeFakeKernel();
        const [started] = await recordLive(live, kernel, [startVat()]);
        kernel.failWhen = vso => (vso[0] === 'send' ? 'target is gone' : undefined);
        const [doomed] = await recordLive(live, kernel, [
          message('o+0', 'sendMany', [presenceRef(0), 3], 'p-71', ['o-50']),
        ]);
        if (started === undefined || doomed === undefined) return t.fail('nothing recorded');
        t.deepEqual(withoutMetering(doomed.result), {
          status: 'error',
          error: 'syscall.send failed: target is gone',
        });
        t.is(doomed.syscalls.length, 1, 'nothing after the rejected send reached the kernel');
        const reports = await fresh.replay([started, doomed].map(({ delivery, results }) => ({ delivery, results })));
        t.deepEqual(reports[1]?.syscalls, doomed.syscalls);
        t.deepEqual(withoutMetering(reports[1]?.result as DeliveryResult), withoutMetering(doomed.result));
      } finally {
        await Promise.all([live.shutdown(), fresh.shutdown()]);
      }
    });
  }
}

/** The vatstore the live run left, rebuilt from its recorded syscalls. */
function kernelStateOf(recorded: Recorded[]): Map<string, string> {
  const vatstore = new Map<string, string>();
  for (const { syscalls } of recorded) {
    for (const vso of syscalls) {
      if (vso[0] === 'vatstoreSet') vatstore.set(vso[1], vso[2]);
      if (vso[0] === 'vatstoreDelete') vatstore.delete(vso[1]);
    }
  }
  return vatstore;
}

defineReplayTests('xsnap', startXsnap, [true, false]);
defineReplayTests('local', startLocal, [true]);

test('xsnap: a replay batch is one round trip, however many value syscalls it answers', async t => {
  const live = await startXsnap('v3', true);
  const fresh = await startXsnap('v3', true);
  try {
    const deliveries = [startVat(), message('o+0', 'makeCounter', [], 'p-60')];
    for (let i = 0; i < 10; i += 1) deliveries.push(message('o+0', 'incrementCounter', [], `p-${61 + i}`));
    const recorded = await recordLive(live, makeFakeKernel(), deliveries);
    const values = recorded.flatMap(r => r.syscalls).filter(s => s[0] === 'vatstoreGet').length;
    t.true(values >= 10, 'the counter reads the vatstore');
    const before = fresh.stats().roundTrips;
    await fresh.replay(recorded.map(({ delivery, results }) => ({ delivery, results })));
    t.is(fresh.stats().roundTrips - before, 1);
    t.is(fresh.stats().replayed, deliveries.length);
  } finally {
    await Promise.all([live.shutdown(), fresh.shutdown()]);
  }
});
