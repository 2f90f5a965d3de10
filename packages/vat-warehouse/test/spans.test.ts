import '@endo/init/debug.js';
// Span layout with snapshotInitial=3, snapshotInterval=7 over 30 deliveries
// (real xsnap worker, real SQLite): exact entry types and positions, the
// reference's worked example, span hash chains, and slog deliveryNums.
import test from 'ava';
import { createHash } from 'node:crypto';
import {
  entryTypes,
  installBundles,
  makeHarness,
  makeTempDir,
  message,
  readItems,
  readSpans,
  resolvedValue,
  startVat,
} from './helpers.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * What the span rules predict: after each delivery the policy checks the
 * span length (pseudo-entries included) against snapshotInitial (no
 * snapshot yet) or snapshotInterval, and a snapshot appends BOYD, save,
 * then load in the next span.
 */
function expectedLayout(deliveries: string[], initial: number, interval: number): string[][] {
  const spans: string[][] = [['initialize-worker']];
  let haveSnapshot = false;
  for (const delivery of deliveries) {
    let span = spans[spans.length - 1] as string[];
    span.push(delivery);
    const due = haveSnapshot ? span.length >= interval : span.length >= initial;
    if (due) {
      span.push('bringOutYourDead', 'save-snapshot');
      span = ['load-snapshot'];
      spans.push(span);
      haveSnapshot = true;
    }
  }
  return spans;
}

test('spans roll over at each snapshot, as the reference lays them out', async t => {
  const dir = makeTempDir('warehouse-spans');
  const h = makeHarness({ dir, policy: { snapshotInitial: 3, snapshotInterval: 7 } });
  t.teardown(() => h.close());
  const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
  h.configs.set('v1', { name: 'counter', source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });

  const deliveries = ['startVat'];
  t.is((await h.crank('v1', startVat({ label: 'c' }))).status, 'ok');
  for (let i = 1; i < 30; i += 1) {
    const vpid = `p-${60 + i}`;
    const result = await h.crank('v1', message('ping', [i], vpid));
    t.is(result.status, 'ok');
    t.is(resolvedValue(h.kernel.takeSyscalls('v1'), vpid), `c v1 pong ${i} #${i}`);
    deliveries.push('message');
  }

  const expected = expectedLayout(deliveries, 3, 7);
  // The reference's worked example: [0,5) = init, startVat, delivery, BOYD, save.
  t.deepEqual(expected[0], ['initialize-worker', 'startVat', 'message', 'bringOutYourDead', 'save-snapshot']);
  // Each later full cycle is 9 positions: load, 6 deliveries, BOYD, save.
  t.deepEqual(expected[1], ['load-snapshot', ...Array(6).fill('message'), 'bringOutYourDead', 'save-snapshot']);

  const spans = readSpans(h.store, 'v1');
  const types = entryTypes(h.store, 'v1');
  t.deepEqual(
    spans.map(span => types.slice(span.startPos, span.endPos)),
    expected,
    'entry types per span',
  );
  t.deepEqual(spans[0], { ...spans[0], startPos: 0, endPos: 5, isCurrent: null, incarnation: 0 });
  t.is(spans[1]?.startPos, 5);
  // Spans are contiguous and only the last is current.
  spans.forEach((span, i) => {
    if (i > 0) t.is(span.startPos, spans[i - 1]?.endPos ?? -1);
    t.is(span.isCurrent, i === spans.length - 1 ? 1 : null);
  });

  // Historical spans end with save-snapshot; every span starts with init or load.
  const items = readItems(h.store, 'v1');
  t.deepEqual(
    items.map(row => row.position),
    items.map((_, i) => i),
  );
  for (const span of spans) {
    const entries = items.slice(span.startPos, span.endPos).map(row => JSON.parse(row.item));
    const first = entries[0];
    t.true(['initialize-worker', 'load-snapshot'].includes(first.d[0]));
    if (span.isCurrent === null) {
      const last = entries[entries.length - 1];
      t.is(last.d[0], 'save-snapshot');
      // The snapshot saved at the save entry's position is what the next span loads.
      const next = items[span.endPos];
      t.deepEqual(JSON.parse(next?.item ?? 'null').d, ['load-snapshot', { snapshotID: last.r.snapshotID }]);
    }
    // The span hash is the chain over its items from the seed.
    let hash = sha256('start of transcript span');
    for (const row of items.slice(span.startPos, span.endPos)) hash = sha256(hash + sha256(row.item));
    t.is(span.hash, hash, `hash of span [${span.startPos},${span.endPos})`);
  }

  // The in-use snapshot is the one saved at the last save-snapshot.
  const last = spans[spans.length - 1];
  const info = h.store.kernelStorage.snapStore.getSnapshotInfo('v1');
  t.is(info?.snapPos, (last?.startPos ?? 0) - 1);

  // initialize-worker records the bundleID and worker options, never the bundle.
  const init = JSON.parse(items[0]?.item ?? 'null');
  t.deepEqual(init, {
    d: ['initialize-worker', { source: { bundleID: bundleIDs['vat-counter'] }, workerOptions }],
    sc: [],
    r: { status: 'ok' },
  });
  // Real deliveries record syscalls with results, and xsnap metering.
  const ping = JSON.parse(items[2]?.item ?? 'null');
  t.is(ping.r.status, 'ok');
  t.is(typeof ping.r.metering.computrons, 'number');
  t.true(ping.sc.some((call: { s: string[] }) => call.s[0] === 'vatstoreSet'));

  // Slog: deliver events carry the transcript position, live ones replay:false.
  const delivers = h.slogs.filter(e => e.type === 'deliver');
  const realPositions = types.flatMap((type, pos) =>
    ['startVat', 'message', 'bringOutYourDead'].includes(type) ? [pos] : [],
  );
  t.deepEqual(
    delivers.map(e => (e.type === 'deliver' ? e.deliveryNum : -1)),
    realPositions,
  );
  t.true(delivers.every(e => e.type === 'deliver' && e.replay === false));
  const saves = h.slogs.filter(e => e.type === 'heap-snapshot-save');
  t.is(saves.length, spans.length - 1);
  t.like(saves[0], { type: 'heap-snapshot-save', vatID: 'v1', endPosition: 4, restartWorker: true });
  // BOYDs were reported so the kernel can clear reap dirt.
  t.is(h.reaped.length, types.filter(type => type === 'bringOutYourDead').length);
  // No replay was needed: the worker restarted from each snapshot it wrote.
  t.is(h.warehouse.getStats().replayedDeliveries, 0);

  // snapshotAllVats snapshots any vat with at least two span entries.
  t.deepEqual(await h.warehouse.snapshotAllVats(), ['v1']);
  const after = readSpans(h.store, 'v1');
  t.is(after.length, spans.length + 1);
  t.deepEqual(entryTypes(h.store, 'v1').slice(-3), ['bringOutYourDead', 'save-snapshot', 'load-snapshot']);
  // The fresh span holds only its load-snapshot: nothing more to do.
  t.deepEqual(await h.warehouse.snapshotAllVats(), []);
});
