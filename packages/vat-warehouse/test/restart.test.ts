import '@endo/init/debug.js';
// Restart: close the store mid-span, reopen it, and the vat comes back by
// load-snapshot plus replay; its next deliveries make the same syscalls as
// in a run that never restarted.
import test from 'ava';
import type { VatDeliveryObject, VatSyscallObject } from '@crankshaft/worker-supervisor';
import { installBundles, makeHarness, makeTempDir, message, presence, readSpans, resolvedValue, startVat } from './helpers.js';
import type { WarehousePolicy } from '../src/types.js';

const policy: WarehousePolicy = { snapshotInitial: 3, snapshotInterval: 7 };

/** A mix of deliveries: vatstore traffic, sends to an import, console output. */
function script(count: number): VatDeliveryObject[] {
  const deliveries: VatDeliveryObject[] = [startVat({ label: 'r' })];
  for (let i = 1; i < count; i += 1) {
    const vpid = `p-${60 + i}`;
    if (i % 4 === 0) deliveries.push(message('tell', [presence(0), i], vpid, ['o-50']));
    else if (i % 5 === 0) deliveries.push(message('log', [`line ${i}`], vpid));
    else deliveries.push(message('ping', [i], vpid));
  }
  return deliveries;
}

const total = 20;
const restartAt = 12; // deliveries before the restart

async function runScript(
  t: { teardown(fn: () => unknown): void },
  deliveries: VatDeliveryObject[],
  options: { restart: boolean; policy: WarehousePolicy },
) {
  const dir = makeTempDir('warehouse-restart');
  let h = makeHarness({ dir, policy: options.policy });
  const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
  const configs = h.configs;
  configs.set('v1', { name: 'r', source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
  const perDelivery: VatSyscallObject[][] = [];
  let spanBeforeRestart;
  for (const [i, delivery] of deliveries.entries()) {
    if (options.restart && i === restartAt) {
      spanBeforeRestart = h.store.kernelStorage.transcriptStore.getCurrentSpanBounds('v1');
      await h.close();
      h = makeHarness({ dir, reopen: true, policy: options.policy, configs });
    }
    const result = await h.crank('v1', delivery);
    if (result.status !== 'ok') throw Error(`delivery ${i} failed: ${result.error}`);
    perDelivery.push(h.kernel.takeSyscalls('v1'));
  }
  const final = h;
  t.teardown(() => final.close());
  return { h: final, perDelivery, spanBeforeRestart };
}

test('a reopened store brings the vat back by load-snapshot plus replay', async t => {
  const deliveries = script(total);
  // The uninterrupted run keeps its worker across snapshots (no restart).
  const straight = await runScript(t, deliveries, {
    restart: false,
    policy: { ...policy, restartWorkerOnSnapshot: false },
  });
  const restarted = await runScript(t, deliveries, { restart: true, policy });

  // Mid-span: the span open at the restart starts with load-snapshot and has deliveries to replay.
  const bounds = restarted.spanBeforeRestart;
  if (!bounds) throw Error('no restart happened');
  const spanLength = bounds.endPos - bounds.startPos;
  t.true(spanLength >= 3, `span [${bounds.startPos},${bounds.endPos}) has deliveries after its load`);
  const { slogs } = restarted.h;
  const load = slogs.find(e => e.type === 'heap-snapshot-load');
  t.like(load, { type: 'heap-snapshot-load', vatID: 'v1', snapPos: bounds.startPos - 1 });
  const startReplay = slogs.findIndex(e => e.type === 'start-replay');
  t.like(slogs[startReplay], { type: 'start-replay', vatID: 'v1', deliveries: spanLength - 1 });
  const finishReplay = slogs.findIndex(e => e.type === 'finish-replay');
  t.true(finishReplay > startReplay);
  // Each replayed delivery is slogged with replay:true and its transcript position.
  const replayed = slogs.slice(startReplay, finishReplay).filter(e => e.type === 'deliver');
  t.deepEqual(
    replayed.map(e => (e.type === 'deliver' ? [e.deliveryNum, e.replay] : [])),
    Array.from({ length: spanLength - 1 }, (_, i) => [bounds.startPos + 1 + i, true]),
  );
  // Replay answered from the transcript: the kernel saw no syscalls for it.
  t.is(restarted.h.warehouse.getStats().replayedDeliveries, spanLength - 1);

  // After the restart, every delivery made exactly the same syscalls.
  t.is(restarted.perDelivery.length, total);
  t.deepEqual(restarted.perDelivery.slice(restartAt), straight.perDelivery.slice(restartAt));
  // ...and they are meaningful: the counter carried on across the restart.
  const lastPing = deliveries.length - 1;
  const vpid = `p-${60 + lastPing}`;
  t.is(resolvedValue(restarted.perDelivery[lastPing] ?? [], vpid), `r v1 pong ${lastPing} #${lastPing - 4 - 3}`);
  t.true(restarted.perDelivery.slice(restartAt).some(calls => calls.some(vso => vso[0] === 'send')));

  // Both stores end with the same transcript layout.
  t.deepEqual(
    readSpans(restarted.h.store, 'v1').map(s => [s.startPos, s.endPos]),
    readSpans(straight.h.store, 'v1').map(s => [s.startPos, s.endPos]),
  );
});

test('console output is suppressed during replay only', async t => {
  const dir = makeTempDir('warehouse-console');
  const first = makeHarness({ dir, policy: { snapshotInitial: 50 } });
  const { workerOptions, bundleIDs } = await installBundles(first.store, ['vat-counter']);
  first.configs.set('v1', { name: 'talker', source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
  await first.crank('v1', startVat({ label: 'talk' }));
  await first.crank('v1', message('log', ['before'], 'p-61'));
  t.deepEqual(
    first.consoles.map(entry => entry.args.join(' ')),
    ['talk: before'],
  );
  const consoleEvent = first.slogs.find(e => e.type === 'console');
  t.like(consoleEvent, { type: 'console', vatID: 'v1', state: 'delivery', deliveryNum: 2, level: 'log' });
  await first.close();

  const second = makeHarness({ dir, reopen: true, policy: { snapshotInitial: 50 }, configs: first.configs });
  t.teardown(() => second.close());
  await second.crank('v1', message('log', ['after'], 'p-62'));
  // The replayed 'before' line is not printed again, the live one is.
  t.deepEqual(
    second.consoles.map(entry => entry.args.join(' ')),
    ['talk: after'],
  );
  t.is(second.warehouse.getStats().replayedDeliveries, 2);
});
