import '@endo/init/debug.js';
// replaySpan: every stored span of a vat (historical ones from kept
// snapshots, the first from its bundle) replays in a fresh worker, with the
// ending snapshot re-hashed; a tampered syscall is reported at its delivery.
import test from 'ava';
import type { SwingStore } from '@crankshaft/swing-store';
import type { VatSyscallObject } from '@crankshaft/worker-supervisor';
import { ReplayDivergenceError } from '../src/errors.js';
import { replaySpan, type SpanReplayOutcome } from '../src/spanReplay.js';
import { makeWorkerStarter } from '../src/workerStarter.js';
import type { VatConfig } from '../src/types.js';
import { installBundles, makeHarness, makeTempDir, message, rewriteItem, startVat } from './helpers.js';

type StoredEntry = { d: unknown[]; sc: { s: VatSyscallObject; r: unknown }[]; r: unknown };

async function replayAll(store: SwingStore, vatID: string, config: VatConfig): Promise<SpanReplayOutcome[]> {
  const { transcriptStore, snapStore, bundleStore } = store.internal;
  const startWorker = makeWorkerStarter({ bundleStore, xsnap: { stdout: 'ignore', stderr: 'ignore' } });
  const outcomes: SpanReplayOutcome[] = [];
  for (const span of transcriptStore.describeVatSpans(vatID)) {
    outcomes.push(
      await replaySpan({
        vatID,
        startPos: span.startPos,
        endPos: span.endPos,
        items: transcriptStore.readSpan(vatID, span.startPos),
        config,
        startWorker,
        loadSnapshot: snapPos => snapStore.loadSnapshotAt(vatID, snapPos),
      }),
    );
  }
  return outcomes;
}

test('replaySpan checks every span, its syscalls and its ending snapshot', async t => {
  const dir = makeTempDir('warehouse-span-replay');
  const policy = { snapshotInitial: 3, snapshotInterval: 7 };
  const storeOptions = { keepSnapshots: true };
  const first = makeHarness({ dir, policy, storeOptions });
  const { workerOptions, bundleIDs } = await installBundles(first.store, ['vat-counter']);
  const config: VatConfig = { source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions };
  first.configs.set('v1', config);
  await first.crank('v1', startVat({ label: 'spans' }));
  for (let i = 1; i <= 12; i += 1) await first.crank('v1', message('ping', [i], `p-${60 + i}`));
  await first.close();

  // Spans: [0,5) init, startVat, ping, BOYD, save; [5,14) load, 6 pings, BOYD, save; [14,20) current.
  const reopened = makeHarness({ dir, reopen: true, policy, storeOptions });
  const outcomes = await replayAll(reopened.store, 'v1', config);
  const spans = reopened.store.internal.transcriptStore.describeVatSpans('v1');
  t.deepEqual(
    spans.map(s => [s.startPos, s.endPos, s.isCurrent]),
    [
      [0, 5, false],
      [5, 14, false],
      [14, 20, true],
    ],
  );
  t.deepEqual(
    outcomes.map(o => [o.start, o.end, o.deliveries, o.snapshot?.matches]),
    [
      ['initialize-worker', 'save-snapshot', 3, true],
      ['load-snapshot', 'save-snapshot', 7, true],
      ['load-snapshot', 'open', 5, undefined],
    ],
  );
  const recorded = reopened.store.internal.snapStore.describeVatSnapshots('v1').map(s => s.hash);
  t.deepEqual(outcomes.slice(0, 2).map(o => o.snapshot?.actual), recorded);
  await reopened.close();

  // Tamper with the vatstoreSet of a ping inside the second span (position 8).
  let forged: VatSyscallObject | undefined;
  rewriteItem(dir, 'v1', 8, (entry: StoredEntry) => {
    const call = entry.sc.find(c => c.s[0] === 'vatstoreSet');
    if (!call) throw Error('ping made no vatstoreSet');
    forged = ['vatstoreSet', call.s[1] as string, 'forged'];
    call.s = forged;
  });
  const tampered = makeHarness({ dir, reopen: true, policy, storeOptions });
  t.teardown(() => tampered.close());
  const { transcriptStore, snapStore, bundleStore } = tampered.store.internal;
  const err = await t.throwsAsync(
    replaySpan({
      vatID: 'v1',
      startPos: 5,
      endPos: 14,
      items: transcriptStore.readSpan('v1', 5),
      config,
      startWorker: makeWorkerStarter({ bundleStore, xsnap: { stdout: 'ignore', stderr: 'ignore' } }),
      loadSnapshot: snapPos => snapStore.loadSnapshotAt('v1', snapPos),
    }),
    { instanceOf: ReplayDivergenceError },
  );
  t.is(err?.details.deliveryNum, 8);
  t.is(err?.details.kind, 'wrong');
  t.deepEqual(err?.details.expected, forged);
});
