import '@endo/init/debug.js';
// Base worker snapshots (zygotes): deterministic, cached in memory and on
// disk, carrying the larger heap growth step; and a vat started from one
// behaves exactly like a vat booted from the bundles.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { loadWorkerBundles, type WorkerBundles } from '../src/bundleBuilder.js';
import type { VatDeliveryObject, VatSyscallObject, VatSyscallResult } from '../src/types.js';
import { DEFAULT_HEAP_INCREMENT_SLOTS, readSnapshotHeapIncrement } from '../src/xsHeapTuning.js';
import { startXsnapVatWorker, type XsnapVatWorker, type XsnapWorkerOptions } from '../src/xsnapWorker.js';
import { buildZygote, makeZygoteCache, zygoteKey, type ZygoteCache } from '../src/zygote.js';
import {
  capdata,
  getScenarioVatBundle,
  makeFakeKernel,
  makeFileSnapStore,
  makeTempDir,
  message,
  presenceRef,
  promiseRef,
  startVat,
  type FakeKernel,
} from './harness.js';

let bundlesP: Promise<WorkerBundles> | undefined;
const workerBundles = (): Promise<WorkerBundles> => (bundlesP ??= loadWorkerBundles());

const zygoteRequest = (bundles: WorkerBundles, heapRoomSlots = 256 * 1024) => ({
  lockdownBundle: bundles.lockdown,
  supervisorBundle: bundles.supervisor,
  bundleIDs: [bundles.lockdownID, bundles.supervisorID] as const,
  heapRoomSlots,
});

async function startWorker(options: XsnapWorkerOptions, zygotes: ZygoteCache | false): Promise<XsnapVatWorker> {
  const [bundles, vatBundle] = await Promise.all([workerBundles(), getScenarioVatBundle()]);
  return startXsnapVatWorker(
    { onConsole: () => {}, ...options },
    { from: 'bundles', lockdownBundle: bundles.lockdown, supervisorBundle: bundles.supervisor, vatBundle, zygotes },
  );
}

const script: VatDeliveryObject[] = [
  startVat(),
  message('o+0', 'ping', ['one'], 'p-60'),
  message('o+0', 'makeCounter', [], 'p-61'),
  message('o+0', 'sendTo', [presenceRef(0), 'hi'], 'p-62', ['o-50']),
  message('o+0', 'watch', [promiseRef(0)], null, ['p-63']),
  ['notify', [['p-63', false, capdata('yes')]]],
  message('o+0', 'hold', [presenceRef(0)], null, ['o-51']),
  message('o+0', 'drop', [], null),
  message('o+0', 'sendMany', [presenceRef(0), 300], 'p-64', ['o-50']),
  message('o+0', 'allocate', [2], 'p-65'),
  message('o+0', 'incrementCounter', [], 'p-66'),
  message('o+0', 'log', ['hello'], 'p-67'),
  ['bringOutYourDead'],
];

interface Entry {
  d: VatDeliveryObject;
  sc: { s: VatSyscallObject; r: VatSyscallResult }[];
  r: unknown;
}

async function runRecorded(worker: XsnapVatWorker, kernel: FakeKernel, deliveries: VatDeliveryObject[]) {
  const transcript: Entry[] = [];
  for (const d of deliveries) {
    const sc: Entry['sc'] = [];
    const r = await worker.deliver(d, vso => {
      const result = kernel.handler(vso);
      sc.push({ s: vso, r: result });
      return result;
    });
    transcript.push({ d, sc, r });
  }
  return transcript;
}

test('a vat started from the zygote makes the same syscalls, results and computrons as one booted from bundles', async t => {
  const zygotes = makeZygoteCache();
  const [fromZygote, fromBundles] = await Promise.all([
    startWorker({ vatID: 'v1' }, zygotes),
    startWorker({ vatID: 'v1' }, false),
  ]);
  const snapStore = makeFileSnapStore(makeTempDir('zygote-snap'));
  try {
    const a = await runRecorded(fromZygote, makeFakeKernel(), script);
    const b = await runRecorded(fromBundles, makeFakeKernel(), script);
    t.deepEqual(a, b);
    t.true(a.every(entry => (entry.r as { status: string }).status === 'ok'));
    t.true((a[8]?.sc.length ?? 0) > 600, 'the sends were made');
    t.deepEqual(zygotes.stats(), { built: 1, loaded: 0, hits: 0 });

    // The zygote's heap growth step lives on in the vat's own snapshots.
    await fromZygote.makeSnapshot(100, snapStore);
    const chunks: Uint8Array[] = [];
    for await (const chunk of snapStore.loadSnapshot('v1')) chunks.push(chunk);
    t.is(readSnapshotHeapIncrement(Buffer.concat(chunks)), DEFAULT_HEAP_INCREMENT_SLOTS);
  } finally {
    await Promise.all([fromZygote.shutdown(), fromBundles.shutdown()]);
  }
});

test('zygotes are deterministic, keyed by everything they depend on, and cached on disk', async t => {
  const bundles = await workerBundles();
  const first = await buildZygote(zygoteRequest(bundles));
  const second = await buildZygote(zygoteRequest(bundles));
  t.true(Buffer.from(first).equals(Buffer.from(second)), 'same inputs, same bytes');
  t.is(readSnapshotHeapIncrement(first), DEFAULT_HEAP_INCREMENT_SLOTS);
  const key = zygoteKey(zygoteRequest(bundles));
  t.not(zygoteKey(zygoteRequest(bundles, 0)), key, 'the heap room is part of the key');
  t.not(zygoteKey({ ...zygoteRequest(bundles), heapIncrementSlots: 128 * 1024 }), key);
  t.is(zygoteKey({ ...zygoteRequest(bundles), bundleIDs: undefined as never }), key, 'IDs are computed when absent');
  t.throws(() => zygoteKey({ ...zygoteRequest(bundles), heapIncrementSlots: 1000 }), {
    message: /heapIncrementSlots must be an integer in 131072\.\.16777216, not 1000/,
  });
  t.throws(() => zygoteKey(zygoteRequest(bundles, -1)), { message: /heapRoomSlots must be an integer/ });

  const dir = makeTempDir('zygote-cache');
  const writer = makeZygoteCache({ dir });
  const written = await writer.provide(zygoteRequest(bundles));
  t.true(Buffer.from(written).equals(Buffer.from(first)));
  await writer.provide(zygoteRequest(bundles));
  t.deepEqual(writer.stats(), { built: 1, loaded: 0, hits: 1 });

  const reader = makeZygoteCache({ dir });
  const read = await reader.provide(zygoteRequest(bundles));
  t.true(Buffer.from(read).equals(Buffer.from(first)));
  t.deepEqual(reader.stats(), { built: 0, loaded: 1, hits: 0 });

  // A damaged file is not trusted: it is rebuilt (and rewritten).
  const [file] = fs.readdirSync(dir).filter(name => name.endsWith('.xss'));
  if (file === undefined) return t.fail('no zygote file written');
  fs.writeFileSync(path.join(dir, file), Buffer.from(first).subarray(0, 1000));
  const repairer = makeZygoteCache({ dir });
  const rebuilt = await repairer.provide(zygoteRequest(bundles));
  t.true(Buffer.from(rebuilt).equals(Buffer.from(first)));
  t.deepEqual(repairer.stats(), { built: 1, loaded: 0, hits: 0 });
  t.is(fs.statSync(path.join(dir, file)).size, first.length);
});
