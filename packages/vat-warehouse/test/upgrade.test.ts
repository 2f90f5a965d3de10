import '@endo/init/debug.js';
// Upgrade rollover: shutdown-worker ends the incarnation, the last snapshot
// is no longer used, and the next delivery opens the new incarnation's span
// with initialize-worker carrying the new bundleID.
import test from 'ava';
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

test('upgrade ends the incarnation and the next span starts with the new bundle', async t => {
  const dir = makeTempDir('warehouse-upgrade');
  const policy = { snapshotInitial: 3, snapshotInterval: 7 };
  const first = makeHarness({ dir, policy });
  const { workerOptions, bundleIDs } = await installBundles(first.store, ['vat-counter', 'vat-counter-v2']);
  const v1Bundle = bundleIDs['vat-counter'] as string;
  const v2Bundle = bundleIDs['vat-counter-v2'] as string;
  t.not(v1Bundle, v2Bundle);
  const { configs, warehouse, store } = first;
  configs.set('v1', { name: 'up', source: { bundleID: v1Bundle }, workerOptions });

  await first.crank('v1', startVat({ label: 'up' }));
  for (let i = 1; i <= 3; i += 1) await first.crank('v1', message('ping', [i], `p-${60 + i}`));
  t.truthy(store.kernelStorage.snapStore.getSnapshotInfo('v1'), 'a snapshot is in use before the upgrade');
  const endBefore = store.kernelStorage.transcriptStore.getCurrentSpanBounds('v1').endPos;

  // The kernel's upgrade: new incarnation, then new config, then startVat.
  const incarnation = await warehouse.beginNewWorkerIncarnation('v1');
  t.is(incarnation, 1);
  t.false(warehouse.isOnline('v1'));
  t.is(store.kernelStorage.snapStore.getSnapshotInfo('v1'), undefined, 'the old snapshot is no longer used');
  configs.set('v1', { name: 'up', source: { bundleID: v2Bundle }, workerOptions });
  first.kernel.takeSyscalls('v1');
  t.is((await first.crank('v1', startVat({ label: 'up' }))).status, 'ok');
  await first.crank('v1', message('ping', [4], 'p-70'));
  // Baggage (in the kernel's vatstore) survived; v2 adds 10.
  t.is(resolvedValue(first.kernel.takeSyscalls('v1'), 'p-70'), 'up v2 pong 4 #13');

  const spans = readSpans(store, 'v1');
  const items = readItems(store, 'v1').map(row => JSON.parse(row.item));
  const types = entryTypes(store, 'v1');
  // The old incarnation's last span ends with shutdown-worker.
  t.is(types[endBefore], 'shutdown-worker');
  const closing = spans.find(span => span.endPos === endBefore + 1);
  t.like(closing, { incarnation: 0, isCurrent: null });
  // The new incarnation's first span starts right after it, with initialize-worker.
  const opening = spans.find(span => span.startPos === endBefore + 1);
  t.like(opening, { incarnation: 1 });
  t.deepEqual(items[endBefore + 1], {
    d: ['initialize-worker', { source: { bundleID: v2Bundle }, workerOptions }],
    sc: [],
    r: { status: 'ok' },
  });
  // snapshotInitial applies again in the new incarnation: init, startVat, ping, BOYD, save.
  t.deepEqual(types.slice(endBefore + 1, endBefore + 6), [
    'initialize-worker',
    'startVat',
    'message',
    'bringOutYourDead',
    'save-snapshot',
  ]);
  t.is(types[endBefore + 6], 'load-snapshot');
  // Every span follows the invariant.
  for (const span of spans) {
    t.true(['initialize-worker', 'load-snapshot'].includes(types[span.startPos] ?? ''));
    const inner = types.slice(span.startPos + 1, span.isCurrent ? span.endPos : span.endPos - 1);
    t.false(inner.some(type => type === 'save-snapshot' || type === 'shutdown-worker'));
    if (!span.isCurrent) t.true(['save-snapshot', 'shutdown-worker'].includes(types[span.endPos - 1] ?? ''));
  }
  await first.close();

  // A reopened store brings back the new incarnation (not the old code).
  const second = makeHarness({ dir, reopen: true, policy, configs });
  t.teardown(() => second.close());
  await second.crank('v1', message('version', [], 'p-71'));
  t.is(resolvedValue(second.kernel.takeSyscalls('v1'), 'p-71'), 'v2');
});

test('upgrading a vat whose current span is still empty only rolls the incarnation', async t => {
  const dir = makeTempDir('warehouse-upgrade-empty');
  const h = makeHarness({ dir });
  t.teardown(() => h.close());
  const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
  h.configs.set('v9', { source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
  t.is(await h.warehouse.beginNewWorkerIncarnation('v9'), 1);
  t.deepEqual(entryTypes(h.store, 'v9'), ['shutdown-worker']);
  t.is(h.warehouse.nextDeliveryNum('v9'), 1);
  await t.throwsAsync(h.warehouse.beginNewWorkerIncarnation('v404'), { message: /vat v404 is unknown/ });
});
