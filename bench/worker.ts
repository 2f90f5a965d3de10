// worker-supervisor benchmark (real xsnap workers). Prints ONE JSON line:
//   - worker start: from the bundles, building the zygote, from the zygote;
//   - a burst: one delivery making n sends whose results stay pending, on
//     today's worker (zygote, heap room, larger heap growth step) and on a
//     worker with xsnap's own heap behaviour;
//   - replay mode: deliveries per second re-executed through `replay`;
//   - deliveries per second of a trivial vat method on xsnap;
//   - worker round trips per delivery, batching on and off, for a method
//     making no syscall of its own and for one making 2k+2 result-less ones;
//   - heap snapshot save and load time and size for a vat holding ~20 MB;
//   - the raw @agoric/xsnap command round trip, as the physical floor.
//
//   node bench/dist/worker.js
import { answerVatstoreSyscall, mapVatstore } from '@crankshaft/test-support/vatstore';
import '@endo/init';
import bundleSource from '@endo/bundle-source';
// @ts-expect-error untyped package: the one function used is typed below
import { xsnap as untypedXsnap } from '@agoric/xsnap';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import {
  buildZygote,
  loadWorkerBundles,
  makeZygoteCache,
  startXsnapVatWorker,
  type ReplayRequest,
  type ZygoteCache,
  type SnapStoreLike,
  type VatBundle,
  type VatDeliveryObject,
  type VatSyscallHandler,
  type WorkerBundles,
  type XsnapVatWorker,
} from '@crankshaft/worker-supervisor';

const pingDeliveries = 2_000;
// Each sendMany leaves 5 result promises pending, so the heap (and XS's
// unmetered GC work) grows as this runs: keep the run short.
const sendDeliveries = 200;
const sendsPerDelivery = 5;
const rawRoundTrips = 2_000;
const burstSizes = [250, 2_000];
// xsnap's own heap behaviour is quadratic: keep its burst small.
const oldHeapBurst = 1_000;
const replayDeliveries = 1_000;
// The test vat's allocate(n) adds ~3.4 MB of small objects per unit; with
// the fresh vat's own heap this makes a snapshot of about 20 MB.
const ballastUnits = 3;

// The worker-supervisor test vat (it must live in a package that depends on
// @endo/far for bundle-source to resolve its imports).
const fixture = fileURLToPath(
  new URL('../../packages/worker-supervisor/test/fixtures/vat-scenarios.js', import.meta.url),
);

const capdata = (value: unknown, slots: string[] = []) => ({ body: `#${JSON.stringify(value)}`, slots });
const message = (method: string, args: unknown[], result: string | null, slots: string[] = []): VatDeliveryObject => [
  'message',
  'o+0',
  { methargs: capdata([method, args], slots), result },
];

/** A kernel stand-in: vatstore in a Map, everything else answered ok. */
function makeKernel(): VatSyscallHandler {
  const vatstore = mapVatstore();
  return vso => answerVatstoreSyscall(vso, vatstore) ?? ['ok', null];
}

/** Keeps one gzipped snapshot per vat in memory; hashes and gzips as it streams. */
function makeMemorySnapStore(): SnapStoreLike {
  const saved = new Map<string, Buffer>();
  return {
    async saveSnapshot(vatID, _snapPos, stream) {
      const hash = createHash('sha256');
      const gzip = zlib.createGzip();
      const out: Buffer[] = [];
      gzip.on('data', (chunk: Buffer) => out.push(chunk));
      const ended = new Promise(resolve => gzip.on('end', resolve));
      let uncompressedSize = 0;
      for await (const chunk of stream) {
        hash.update(chunk);
        uncompressedSize += chunk.length;
        if (!gzip.write(chunk)) await new Promise(resolve => gzip.once('drain', resolve));
      }
      gzip.end();
      await ended;
      const compressed = Buffer.concat(out);
      saved.set(vatID, compressed);
      return { hash: hash.digest('hex'), uncompressedSize, compressedSize: compressed.length };
    },
    async *loadSnapshot(vatID) {
      const compressed = saved.get(vatID);
      if (compressed === undefined) throw Error(`no snapshot for ${vatID}`);
      yield* Readable.from([compressed]).pipe(zlib.createGunzip());
    },
  };
}

/** How a fresh worker is made: the default (zygote), or xsnap's own heap (bundles evaluated, no room). */
type Boot = { zygotes?: ZygoteCache | false; heapRoomSlots?: number };

async function startWorker(
  bundles: WorkerBundles,
  vatBundle: VatBundle,
  vatID: string,
  batchSyscalls: boolean,
  boot: Boot = {},
): Promise<{ worker: XsnapVatWorker; handler: VatSyscallHandler }> {
  const worker = await startXsnapVatWorker(
    { vatID, batchSyscalls, onConsole: () => {} },
    { from: 'bundles', lockdownBundle: bundles.lockdown, supervisorBundle: bundles.supervisor, vatBundle, ...boot },
  );
  const handler = makeKernel();
  const started = await worker.deliver(['startVat', capdata({})], handler);
  if (started.status !== 'ok') throw Error(`startVat failed: ${started.error}`);
  return { worker, handler };
}

interface Subject {
  worker: XsnapVatWorker;
  handler: VatSyscallHandler;
}

/**
 * Runs `count` deliveries on each subject, interleaved so load on the
 * machine (and heap growth) hits both alike; reports per subject.
 */
async function measureSideBySide(
  subjects: Subject[],
  count: number,
  makeDelivery: (i: number) => VatDeliveryObject,
) {
  const before = subjects.map(s => s.worker.stats());
  const elapsed = subjects.map(() => 0);
  for (let i = 0; i < count; i += 1) {
    const delivery = makeDelivery(i);
    for (const [index, { worker, handler }] of subjects.entries()) {
      const started = performance.now();
      const result = await worker.deliver(delivery, handler);
      elapsed[index] = (elapsed[index] ?? 0) + performance.now() - started;
      if (result.status !== 'ok') throw Error(`delivery ${i} failed: ${result.error}`);
    }
  }
  return subjects.map(({ worker }, index) => {
    const ms = elapsed[index] ?? 0;
    const after = worker.stats();
    const start = before[index] ?? after;
    return {
      deliveriesPerSecond: Math.round((count * 1000) / ms),
      msPerDelivery: Number((ms / count).toFixed(3)),
      roundTripsPerDelivery: (after.roundTrips - start.roundTrips) / count,
      syscallsPerDelivery: (after.syscalls - start.syscalls) / count,
    };
  });
}

interface RawXsnap {
  evaluate(code: string): Promise<unknown>;
  issueCommand(request: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}
const xsnap = untypedXsnap as (options: Record<string, unknown>) => Promise<RawXsnap>;

async function rawXsnapRoundTrip(): Promise<number> {
  const worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fs.promises },
    name: 'raw-floor',
  });
  try {
    await worker.evaluate('globalThis.handleCommand = request => request;');
    const payload = new TextEncoder().encode('["deliver",["message","o+0",{}]]');
    for (let i = 0; i < 100; i += 1) await worker.issueCommand(payload); // warm up
    const started = performance.now();
    for (let i = 0; i < rawRoundTrips; i += 1) await worker.issueCommand(payload);
    return (performance.now() - started) / rawRoundTrips;
  } finally {
    await worker.close();
  }
}

const secondsSince = (started: number): number => Number(((performance.now() - started) / 1000).toFixed(3));

/** Worker start times: evaluating the bundles, building a zygote, starting from it. */
async function measureStarts(bundles: WorkerBundles, vatBundle: VatBundle) {
  const timeStart = async (boot: Boot): Promise<number> => {
    const started = performance.now();
    const worker = await startXsnapVatWorker(
      { vatID: 'v9', onConsole: () => {} },
      { from: 'bundles', lockdownBundle: bundles.lockdown, supervisorBundle: bundles.supervisor, vatBundle, ...boot },
    );
    const seconds = secondsSince(started);
    await worker.shutdown();
    return seconds;
  };
  const fromBundles = await timeStart({ zygotes: false });
  const zygoteStarted = performance.now();
  const zygote = await buildZygote({
    lockdownBundle: bundles.lockdown,
    supervisorBundle: bundles.supervisor,
    heapRoomSlots: 256 * 1024,
  });
  const buildSeconds = secondsSince(zygoteStarted);
  const zygotes = makeZygoteCache();
  await zygotes.provide({ lockdownBundle: bundles.lockdown, supervisorBundle: bundles.supervisor, heapRoomSlots: 256 * 1024 });
  const fromZygote = await timeStart({ zygotes });
  return { fromBundlesSeconds: fromBundles, zygoteBuildSeconds: buildSeconds, zygoteBytes: zygote.length, fromZygoteSeconds: fromZygote };
}

/** One delivery making `count` sends whose results stay pending. */
async function measureBurst(bundles: WorkerBundles, vatBundle: VatBundle, count: number, boot: Boot = {}): Promise<number> {
  const { worker, handler } = await startWorker(bundles, vatBundle, 'v3', true, boot);
  try {
    const started = performance.now();
    const result = await worker.deliver(message('sendMany', ['$0.Alleged: target', count], 'p-70', ['o-50']), handler);
    if (result.status !== 'ok') throw Error(`burst failed: ${result.error}`);
    return secondsSince(started);
  } finally {
    await worker.shutdown();
  }
}

/** Record pings on one worker, re-execute them on a fresh one through `replay`. */
async function measureReplay(bundles: WorkerBundles, vatBundle: VatBundle) {
  const { worker: live, handler } = await startWorker(bundles, vatBundle, 'v4', true);
  const { worker: fresh } = await startWorker(bundles, vatBundle, 'v4', true);
  try {
    const requests: ReplayRequest[] = [];
    for (let i = 0; i < replayDeliveries; i += 1) {
      // a durable counter every tenth delivery: vatstore reads answered from the record
      const method = i === 0 ? 'makeCounter' : i % 10 === 0 ? 'incrementCounter' : 'ping';
      const delivery = message(method, method === 'ping' ? [i] : [], `p-${200 + i}`);
      const results: ReplayRequest['results'] = [];
      await live.deliver(delivery, vso => {
        const r = handler(vso);
        results.push(r);
        return r;
      });
      requests.push({ delivery, results });
    }
    const started = performance.now();
    for (let i = 0; i < requests.length; i += 64) await fresh.replay(requests.slice(i, i + 64));
    return { deliveries: replayDeliveries, deliveriesPerSecond: Math.round(replayDeliveries / secondsSince(started)) };
  } finally {
    await Promise.all([live.shutdown(), fresh.shutdown()]);
  }
}

async function main(): Promise<void> {
  const [bundles, vatBundle] = await Promise.all([loadWorkerBundles(), bundleSource(fixture) as Promise<VatBundle>]);
  const starts = await measureStarts(bundles, vatBundle);
  const burst: Record<string, number> = {};
  for (const count of burstSizes) burst[`seconds${count}`] = await measureBurst(bundles, vatBundle, count);
  const oldHeap = await measureBurst(bundles, vatBundle, oldHeapBurst, { zygotes: false, heapRoomSlots: 0 });
  const sameSize = await measureBurst(bundles, vatBundle, oldHeapBurst);
  const replay = await measureReplay(bundles, vatBundle);

  // deliveries per second, and round trips with batching on and off
  const batchedSubject = await startWorker(bundles, vatBundle, 'v1', true);
  const unbatchedSubject = await startWorker(bundles, vatBundle, 'v1', false);
  const modes: Record<string, unknown> = {};
  try {
    const subjects = [batchedSubject, unbatchedSubject];
    let nextVpid = 100;
    const ping = await measureSideBySide(subjects, pingDeliveries, () => message('ping', [], `p-${(nextVpid += 1)}`));
    const sends = await measureSideBySide(subjects, sendDeliveries, () =>
      message('sendMany', ['$0.Alleged: target', sendsPerDelivery], `p-${(nextVpid += 1)}`, ['o-50']),
    );
    modes['batched'] = { ping: ping[0], [`send${sendsPerDelivery}`]: sends[0] };
    modes['unbatched'] = { ping: ping[1], [`send${sendsPerDelivery}`]: sends[1] };
  } finally {
    await Promise.all([batchedSubject.worker.shutdown(), unbatchedSubject.worker.shutdown()]);
  }

  // snapshot of a vat holding ~20 MB of objects
  const { worker: big, handler } = await startWorker(bundles, vatBundle, 'v2', true);
  const snapStore = makeMemorySnapStore();
  let snapshot: Record<string, unknown>;
  try {
    const grown = await big.deliver(message('allocate', [ballastUnits], 'p-60'), handler);
    if (grown.status !== 'ok') throw Error(`allocate failed: ${grown.error}`);
    const saveStarted = performance.now();
    const saved = await big.makeSnapshot(5, snapStore);
    const saveSeconds = (performance.now() - saveStarted) / 1000;
    const loadStarted = performance.now();
    const loaded = await startXsnapVatWorker(
      { vatID: 'v2', onConsole: () => {} },
      { from: 'snapshot', snapshot: snapStore.loadSnapshot('v2') },
    );
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const firstDelivery = await loaded.deliver(message('ping', [], 'p-61'), handler);
    await loaded.shutdown();
    if (firstDelivery.status !== 'ok') throw Error('delivery after load failed');
    snapshot = {
      ballastUnits,
      uncompressedBytes: saved.uncompressedSize,
      compressedBytes: saved.compressedSize,
      saveSeconds: Number(saveSeconds.toFixed(3)),
      loadSeconds: Number(loadSeconds.toFixed(3)),
    };
  } finally {
    await big.shutdown();
  }

  const rawMs = await rawXsnapRoundTrip();
  const batched = modes['batched'] as { ping: { deliveriesPerSecond: number } };
  console.log(
    JSON.stringify({
      bench: 'worker',
      start: starts,
      burst: {
        ...burst,
        [`seconds${oldHeapBurst}`]: sameSize,
        [`xsnapOwnHeapSeconds${oldHeapBurst}`]: oldHeap,
        speedupOverXsnapOwnHeap: Number((oldHeap / sameSize).toFixed(2)),
      },
      replay,
      xsnapDeliveriesPerSecond: batched.ping.deliveriesPerSecond,
      modes,
      snapshot,
      rawXsnapRoundTripMs: Number(rawMs.toFixed(4)),
      floorDeliveriesPerSecond: Math.round(1000 / rawMs),
    }),
  );
}

await main();
