// vat-warehouse benchmark (real xsnap workers, real SQLite). Prints ONE JSON line:
//   - live delivery vs replay speed over a 1,000-delivery span, for both
//     replay modes ('exact', the default, and 'pipelined');
//   - startup: workers for 5 fresh vats (from the zygote, side by side);
//   - page-in time: load-snapshot plus replay of 200 deliveries for a vat
//     with a ~20 MB heap;
//   - the snapshot pause (BOYD + save + worker restart) and its cost spread
//     over one snapshotInterval (200 deliveries).
//
//   node bench/dist/warehouse.js
import { answerVatstoreSyscall, kvVatstore } from '@crankshaft/test-support/vatstore';
import '@endo/init';
import bundleSource from '@endo/bundle-source';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initSwingStore, type SwingStore } from '@crankshaft/swing-store';
import {
  loadWorkerBundles,
  provideWorkerBundleIDs,
  type VatBundle,
  type VatDeliveryObject,
  type VatSyscallHandler,
  type WorkerOptions,
} from '@crankshaft/worker-supervisor';
import {
  makeVatWarehouse,
  makeWorkerStarter,
  type VatConfig,
  type VatWarehouse,
  type WarehousePolicy,
  type WarehouseSlogEvent,
} from '@crankshaft/vat-warehouse';

const spanDeliveries = 1_000;
const pageInDeliveries = 200;
// Ballast on top of a fresh vat's ~11 MB heap: about 20 MB in all.
const ballastMegabytes = 10;
const snapshotInterval = 200;
const startupVats = 5;

const fixture = fileURLToPath(new URL('../../packages/vat-warehouse/test/fixtures/vat-counter.js', import.meta.url));

const capdata = (value: unknown) => ({ body: `#${JSON.stringify(value)}`, slots: [] });
const ping = (n: number): VatDeliveryObject => [
  'message',
  'o+0',
  { methargs: capdata(['ping', [n]]), result: `p-${1000 + n}` },
];
const call = (method: string, args: unknown[], n: number): VatDeliveryObject => [
  'message',
  'o+0',
  { methargs: capdata([method, args]), result: `p-${1000 + n}` },
];

/** The kernel's part: vatstore in the kvStore, ['ok', null] for the rest. */
function handlerFor(store: SwingStore, vatID: string): VatSyscallHandler {
  const { kvStore } = store.kernelStorage;
  const vatstore = kvVatstore(kvStore, vatID);
  return vso => answerVatstoreSyscall(vso, vatstore) ?? ['ok', null];
}

interface Setup {
  store: SwingStore;
  warehouse: VatWarehouse;
  slogs: WarehouseSlogEvent[];
  configs: Map<string, VatConfig>;
  deliver(vatID: string, delivery: VatDeliveryObject): Promise<void>;
  /** Another warehouse over the same store and configs (e.g. another replay mode). */
  makeWarehouse(policy: WarehousePolicy): VatWarehouse;
}

async function setup(dir: string, vatBundle: VatBundle & { endoZipBase64Sha512: string }): Promise<Setup & { bundleID: string; workerOptions: WorkerOptions }> {
  const store = initSwingStore(dir);
  const { bundleStore, transcriptStore, snapStore } = store.kernelStorage;
  const workerOptions = provideWorkerBundleIDs(bundleStore, await loadWorkerBundles());
  const bundleID = `b1-${vatBundle.endoZipBase64Sha512}`;
  bundleStore.addBundle(bundleID, vatBundle);
  const configs = new Map<string, VatConfig>();
  const slogs: WarehouseSlogEvent[] = [];
  const makeWarehouse = (policy: WarehousePolicy): VatWarehouse =>
    makeVatWarehouse({
      stores: { bundleStore, transcriptStore, snapStore },
      host: {
        getVatConfig: vatID => configs.get(vatID),
        listVatIDs: () => [...configs.keys()],
        syscallHandlerFor: vatID => handlerFor(store, vatID),
      },
      startWorker: makeWorkerStarter({ bundleStore, xsnap: { stdout: 'ignore', stderr: 'ignore' } }),
      policy: { snapshotInitial: 100_000, snapshotInterval: 100_000, ...policy },
      slog: event => {
        if (event.type !== 'syscall' && event.type !== 'syscall-result') slogs.push(event);
      },
      vatConsole: () => {},
    });
  const warehouse = makeWarehouse({});
  const deliver = async (vatID: string, delivery: VatDeliveryObject): Promise<void> => {
    const result = await warehouse.deliverToVat(vatID, delivery, handlerFor(store, vatID));
    if (result.status !== 'ok') throw Error(`${vatID} ${delivery[0]} failed: ${result.error}`);
  };
  return { store, warehouse, slogs, configs, deliver, makeWarehouse, bundleID, workerOptions };
}

const seconds = (from: number): number => (performance.now() - from) / 1000;
const round = (x: number, places = 3): number => Number(x.toFixed(places));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-warehouse-'));
  try {
    const vatBundle = (await bundleSource(fixture)) as VatBundle & { endoZipBase64Sha512: string };
    const s = await setup(dir, vatBundle);
    const commitEvery = 100;

    // 1. Live deliveries into a 1,000-delivery span, then replay of that span.
    s.configs.set('v1', { name: 'span', source: { bundleID: s.bundleID }, workerOptions: s.workerOptions });
    await s.deliver('v1', ['startVat', capdata({})]);
    const liveStart = performance.now();
    for (let i = 1; i < spanDeliveries; i += 1) {
      await s.deliver('v1', ping(i));
      if (i % commitEvery === 0) await s.store.hostStorage.commit();
    }
    const liveSeconds = seconds(liveStart);
    await s.store.hostStorage.commit();
    await s.warehouse.stopWorker('v1');
    const replaySeconds = async (warehouse: VatWarehouse): Promise<{ replayed: number; seconds: number }> => {
      const before = s.slogs.length;
      await warehouse.ensureVatOnline('v1');
      const finish = s.slogs.slice(before).find(e => e.type === 'finish-replay');
      if (finish?.type !== 'finish-replay') throw Error('no replay happened');
      await warehouse.stopWorker('v1');
      return { replayed: warehouse.getStats().replayedDeliveries, seconds: finish.seconds };
    };
    const exact = await replaySeconds(s.warehouse);
    const pipelinedWarehouse = s.makeWarehouse({ replayMode: 'pipelined' });
    const pipelined = await replaySeconds(pipelinedWarehouse);
    await pipelinedWarehouse.shutdown();
    const replayed = exact.replayed;

    // Startup: workers for five fresh vats (from the zygote, side by side;
    // the zygote itself was built for v1 above).
    const startupWarehouse = s.makeWarehouse({});
    const startupIDs: string[] = [];
    for (let i = 0; i < startupVats; i += 1) {
      const vatID = `v${10 + i}`;
      startupIDs.push(vatID);
      s.configs.set(vatID, { name: `fresh${i}`, source: { bundleID: s.bundleID }, workerOptions: s.workerOptions });
    }
    const startupStart = performance.now();
    await Promise.all(startupIDs.map(vatID => startupWarehouse.ensureVatOnline(vatID)));
    const startupSeconds = seconds(startupStart);
    await startupWarehouse.shutdown();
    for (const vatID of startupIDs) s.configs.delete(vatID);

    // 2. A ~20 MB heap: snapshot it, 200 deliveries, then page it in again.
    s.configs.set('v2', { name: 'big', source: { bundleID: s.bundleID }, workerOptions: s.workerOptions });
    await s.deliver('v2', ['startVat', capdata({})]);
    await s.deliver('v2', call('grow', [ballastMegabytes], 0));
    const pauseStart = performance.now();
    const took = await s.warehouse.maybeSaveSnapshot('v2', 2);
    const snapshotPause = seconds(pauseStart);
    if (!took) throw Error('snapshot was not taken');
    const save = s.slogs.find(e => e.type === 'heap-snapshot-save' && e.vatID === 'v2');
    if (save?.type !== 'heap-snapshot-save') throw Error('no heap-snapshot-save');
    for (let i = 1; i <= pageInDeliveries; i += 1) await s.deliver('v2', ping(i));
    await s.store.hostStorage.commit();
    await s.warehouse.stopWorker('v2');
    const pageStart = performance.now();
    const mark = s.slogs.length;
    await s.warehouse.ensureVatOnline('v2');
    const pageInSeconds = seconds(pageStart);
    const pageEvents = s.slogs.slice(mark);
    const replayStart = pageEvents.findIndex(e => e.type === 'start-replay');
    const pageFinish = pageEvents.find(e => e.type === 'finish-replay');
    const pageReplaySeconds = pageFinish?.type === 'finish-replay' ? pageFinish.seconds : NaN;
    await s.warehouse.shutdown();
    await s.store.hostStorage.close();

    const liveRate = (spanDeliveries - 1) / liveSeconds;
    const replayRate = replayed / exact.seconds;
    const pipelinedRate = pipelined.replayed / pipelined.seconds;
    console.log(
      JSON.stringify({
        bench: 'vat-warehouse',
        replay: {
          spanDeliveries: replayed,
          liveDeliveriesPerSec: round(liveRate, 1),
          replayDeliveriesPerSec: round(replayRate, 1),
          replayVsLive: round(replayRate / liveRate, 2),
          pipelinedReplayDeliveriesPerSec: round(pipelinedRate, 1),
          pipelinedVsLive: round(pipelinedRate / liveRate, 2),
        },
        startup: { vats: startupVats, seconds: round(startupSeconds), secondsPerVat: round(startupSeconds / startupVats) },
        pageIn: {
          heapBytes: save.uncompressedSize,
          compressedBytes: save.compressedSize,
          replayedDeliveries: replayStart >= 0 ? pageInDeliveries : 0,
          seconds: round(pageInSeconds),
          loadSeconds: round(pageInSeconds - pageReplaySeconds),
          replaySeconds: round(pageReplaySeconds),
        },
        snapshot: {
          heapBytes: save.uncompressedSize,
          pauseSeconds: round(snapshotPause),
          compressSeconds: round(save.compressSeconds ?? NaN),
          snapshotInterval,
          pausePerDeliveryMs: round((snapshotPause * 1000) / snapshotInterval),
        },
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
