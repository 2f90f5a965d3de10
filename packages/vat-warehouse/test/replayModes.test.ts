import '@endo/init/debug.js';
// The two replay modes. 'pipelined' (recorded results travel with the
// deliveries, several per round trip) and 'exact' (one round trip per
// delivery and value syscall) must replay to the same effect: the same
// replay slog (syscalls, recorded results, delivery results), the same
// divergence reports for tampered transcripts, the same state afterwards.
// Only 'exact' leaves the heap exactly as a worker that never restarted.
import test from 'ava';
import fs from 'node:fs';
import type { VatDeliveryObject, VatSyscallObject } from '@crankshaft/worker-supervisor';
import type { WarehouseSlogEvent } from '../src/slog.js';
import type { WarehousePolicy } from '../src/types.js';
import { installBundles, makeHarness, makeTempDir, message, presence, rewriteItem, startVat, type Harness } from './helpers.js';

type StoredEntry = { d: unknown[]; sc: { s: VatSyscallObject; r: unknown }[]; r: unknown };

const noSnapshots: WarehousePolicy = { snapshotInitial: 1000, snapshotInterval: 1000 };
const modes: WarehousePolicy[] = [
  { ...noSnapshots, replayMode: 'exact' },
  // small batches, so a span takes several round trips
  { ...noSnapshots, replayMode: 'pipelined', replayBatching: { maxDeliveries: 3, maxChars: 1_000_000 } },
];

/** Pings (vatstore reads and writes), sends to an import, console output. */
function script(count: number): VatDeliveryObject[] {
  const deliveries: VatDeliveryObject[] = [startVat({ label: 'm' })];
  for (let i = 1; i < count; i += 1) {
    const vpid = `p-${60 + i}`;
    if (i % 4 === 0) deliveries.push(message('tell', [presence(0), i], vpid, ['o-50']));
    else if (i % 5 === 0) deliveries.push(message('log', [`line ${i}`], vpid));
    else deliveries.push(message('ping', [i], vpid));
  }
  return deliveries;
}

/** Replay events without timings or computrons (they are not compared). */
const replayEvents = (slogs: WarehouseSlogEvent[], vatID: string): unknown[] =>
  slogs
    .filter(event => 'replay' in event && event.replay === true && 'vatID' in event && event.vatID === vatID)
    .map(event => {
      const { seconds: _seconds, ...rest } = event as { seconds?: number } & Record<string, unknown>;
      if (rest['type'] === 'deliver-result') {
        const [status, problem] = rest['dr'] as [string, string | null, unknown];
        return { ...rest, dr: [status, problem] };
      }
      return rest;
    });

const copyStore = (from: string): string => {
  const to = makeTempDir('warehouse-replay-mode');
  fs.cpSync(from, to, { recursive: true });
  return to;
};

async function buildStore(vats: string[], deliveries: VatDeliveryObject[]) {
  const dir = makeTempDir('warehouse-replay-modes');
  const h = makeHarness({ dir, policy: noSnapshots });
  const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
  for (const vatID of vats) {
    h.configs.set(vatID, { name: vatID, source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
    for (const d of deliveries) await h.crank(vatID, d);
  }
  await h.close();
  return { dir, configs: h.configs };
}

test('pipelined and exact replay report the same syscalls, results and divergences', async t => {
  const vats = ['v1', 'v2', 'v3', 'v4'];
  const deliveries = script(12);
  const { dir, configs } = await buildStore(vats, deliveries);
  // Tamper with d7 (position 0 is initialize-worker, 1 startVat; d7 is the
  // ping script[6]): v1 wrong, v2 extra, v3 missing; v4 intact.
  const tampered = 7;
  rewriteItem(dir, 'v1', tampered, (entry: StoredEntry) => {
    const set = entry.sc.find(call => call.s[0] === 'vatstoreSet');
    if (set) set.s = ['vatstoreSet', set.s[1] as string, 'forged'];
  });
  rewriteItem(dir, 'v2', tampered, (entry: StoredEntry) => void entry.sc.pop());
  rewriteItem(dir, 'v3', tampered, (entry: StoredEntry) => void entry.sc.push({ s: ['vatstoreGet', 'x'], r: ['ok', null] }));

  const outcomes = [];
  for (const policy of modes) {
    const h: Harness = makeHarness({ dir: copyStore(dir), reopen: true, policy, configs });
    try {
      const errors: Record<string, unknown> = {};
      for (const vatID of vats) {
        try {
          await h.warehouse.ensureVatOnline(vatID);
        } catch (err) {
          const { code, message: text, details } = err as { code: string; message: string; details: unknown };
          errors[vatID] = { code, text, details };
        }
      }
      const next = await h.deliver('v4', message('ping', [99], 'p-99'));
      outcomes.push({
        errors,
        events: vats.map(vatID => replayEvents(h.slogs, vatID)),
        next,
        nextSyscalls: h.kernel.takeSyscalls('v4'),
        replayed: h.warehouse.getStats().replayedDeliveries,
      });
    } finally {
      await h.close();
    }
  }
  const [exact, pipelined] = outcomes;
  t.deepEqual(Object.keys(exact?.errors ?? {}), ['v1', 'v2', 'v3']);
  for (const [vatID, kind] of [['v1', 'wrong'], ['v2', 'extra'], ['v3', 'missing']] as const) {
    const err = exact?.errors[vatID] as { code: string; details: { kind: string; deliveryNum: number } };
    t.is(err.code, 'REPLAY_DIVERGENCE');
    t.is(err.details.kind, kind);
    t.is(err.details.deliveryNum, tampered);
  }
  t.deepEqual(pipelined?.errors, exact?.errors, 'identical divergence reports');
  t.deepEqual(pipelined?.events, exact?.events, 'identical replay slogs');
  t.true((exact?.events[3]?.length ?? 0) > deliveries.length * 3, 'the intact vat replayed everything');
  t.deepEqual(pipelined?.next, exact?.next);
  t.deepEqual(pipelined?.nextSyscalls, exact?.nextSyscalls);
  t.is(pipelined?.replayed, exact?.replayed);
});

test('exact replay leaves the heap as if the worker had never restarted; pipelined does not', async t => {
  const deliveries = script(16);
  const snapshotHash = async (restartAfter: number | undefined, policy: WarehousePolicy): Promise<string> => {
    const dir = makeTempDir('warehouse-heap-identity');
    let h = makeHarness({ dir, policy });
    const { workerOptions, bundleIDs } = await installBundles(h.store, ['vat-counter']);
    const configs = h.configs;
    configs.set('v1', { name: 'v1', source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
    for (const [i, d] of deliveries.entries()) {
      if (i === restartAfter) {
        await h.close();
        h = makeHarness({ dir, reopen: true, policy, configs });
      }
      await h.crank('v1', d);
    }
    t.true(await h.warehouse.maybeSaveSnapshot('v1', 2));
    const hash = h.store.kernelStorage.snapStore.getSnapshotInfo('v1')?.hash ?? 'none';
    await h.close();
    return hash;
  };
  const [straight, exact, pipelined] = await Promise.all([
    snapshotHash(undefined, modes[0] as WarehousePolicy),
    snapshotHash(9, modes[0] as WarehousePolicy),
    snapshotHash(9, modes[1] as WarehousePolicy),
  ]);
  t.regex(straight, /^[0-9a-f]{64}$/);
  t.is(exact, straight, 'a restart with exact replay changes nothing');
  t.not(pipelined, straight, 'pipelined replay allocates differently in the worker');
});
