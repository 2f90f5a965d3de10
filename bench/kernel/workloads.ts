// The kernel benchmark's workloads, written once against a SwingSet-shaped
// host API so both sides run exactly the same steps. A side's driver
// (drive-ours.ts, drive-reference.js) supplies the API and runs one
// workload per process; bench/kernel.ts runs the drivers and pairs results.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControllerLike, HostApi, Side, SlogRecordLike, StoreLike } from '@crankshaft/test-support/hosts';
import { sharedCacheDir } from '@crankshaft/test-support/cache';

export type { Side } from '@crankshaft/test-support/hosts';
/** The benchmark drives the shared host API. */
export type BenchApi = HostApi;

export type WorkloadName =
  | 'pingpong'
  | 'pingpong-snapshots'
  | 'burst'
  | 'burst-small'
  | 'local-burst'
  | 'startup'
  | 'restart'
  | 'local-pingpong';

export const WORKLOADS: readonly WorkloadName[] = [
  'pingpong',
  'pingpong-snapshots',
  'burst',
  'burst-small',
  'local-burst',
  'startup',
  'restart',
  'local-pingpong',
];

export interface WorkloadSizes {
  pingpong: number;
  burst: number;
  /** A smaller burst, to show how burst time grows with its size. */
  burstSmall: number;
  startupVats: number;
  restartSpan: number;
  local: number;
  snapshotInterval: number;
}

/** Sizes from the environment, so a quick run is possible. */
export function sizesFromEnv(env: Record<string, string | undefined> = process.env): WorkloadSizes {
  const read = (key: string, fallback: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw Error(`${key} must be a positive integer, got ${raw}`);
    return value;
  };
  return {
    pingpong: read('BENCH_PINGPONG_N', 2000),
    burst: read('BENCH_BURST_N', 2000),
    burstSmall: read('BENCH_BURST_SMALL_N', 250),
    startupVats: read('BENCH_STARTUP_VATS', 5),
    restartSpan: read('BENCH_RESTART_SPAN', 1000),
    local: read('BENCH_LOCAL_N', 2000),
    snapshotInterval: read('BENCH_SNAPSHOT_INTERVAL', 200),
  };
}

export interface WorkloadResult {
  side: Side;
  workload: WorkloadName;
  /** Timed wall seconds (what the workload says it times). */
  seconds: number;
  /** Vat deliveries in the timed part (transcript entries written, or replayed for restart). */
  deliveries: number;
  deliveriesPerSecond?: number;
  [detail: string]: unknown;
}

const fixturesDir = fileURLToPath(new URL('../../fixtures/kernel/', import.meta.url));
const NEVER = 1_000_000_000;

/** The bench config: the same JSON on both sides. */
export function benchConfig(
  vatNames: readonly string[],
  options: { managerType: 'xsnap' | 'local'; snapshotInterval?: number; snapshotInitial?: number },
): Record<string, unknown> {
  // "Snapshots off" is an interval (and first snapshot) that is never reached.
  const snapshots = options.snapshotInterval ?? NEVER;
  const vats: Record<string, unknown> = { bootstrap: { sourceSpec: path.join(fixturesDir, 'bootstrap.js') } };
  for (const name of vatNames) vats[name] = { sourceSpec: path.join(fixturesDir, 'peer.js') };
  return {
    bootstrap: 'bootstrap',
    pinBootstrapRoot: true,
    defaultManagerType: options.managerType,
    defaultReapInterval: 1000,
    snapshotInitial: options.snapshotInitial ?? snapshots,
    snapshotInterval: snapshots,
    bundleCachePath: sharedCacheDir(`bench-bundles-${options.managerType}`),
    vats,
  };
}

const PEERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

function peerNames(count: number): string[] {
  const names = PEERS.slice(0, count);
  for (let i = names.length; i < count; i += 1) names.push(`peer${i}`);
  return names;
}

const now = (): number => performance.now() / 1000;

/** Sum of transcript end positions over the named vats. */
function transcriptLength(store: StoreLike, controller: ControllerLike, names: readonly string[]): number {
  let total = 0;
  for (const name of names) {
    total += store.kernelStorage.transcriptStore.getCurrentSpanBounds(controller.vatNameToID(name)).endPos;
  }
  return total;
}

function spanLengths(store: StoreLike, controller: ControllerLike, names: readonly string[]): number {
  let total = 0;
  for (const name of names) {
    const { startPos, endPos } = store.kernelStorage.transcriptStore.getCurrentSpanBounds(controller.vatNameToID(name));
    total += endPos - startPos;
  }
  return total;
}

async function runToResult(controller: ControllerLike, vat: string, method: string, args: unknown[]): Promise<string> {
  const kpid = controller.queueToVatRoot(vat, method, args, 'ignore');
  if (kpid === undefined) throw Error(`no result promise for ${vat}.${method}`);
  await controller.run();
  const status = controller.kpStatus(kpid);
  if (status !== 'fulfilled') {
    const detail = status === 'rejected' ? controller.kpResolution(kpid).body : status;
    throw Error(`${vat}.${method} did not fulfill: ${detail}`);
  }
  return controller.kpResolution(kpid).body;
}

interface Booted {
  dir: string;
  store: StoreLike;
  controller: ControllerLike;
  names: string[];
  bootSeconds: number;
}

async function boot(api: BenchApi, names: string[], config: Record<string, unknown>, slogSender?: (r: SlogRecordLike) => void): Promise<Booted> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-kernel-${api.side}-`));
  const started = now();
  const store = api.initStore(dir);
  const bootKpid = await api.initialize(config, store.kernelStorage);
  await store.hostStorage.commit();
  const controller = await api.makeController(store.kernelStorage, slogSender === undefined ? {} : { slogSender });
  await controller.run();
  await store.hostStorage.commit();
  if (bootKpid !== undefined && controller.kpStatus(bootKpid) !== 'fulfilled') {
    throw Error(`bootstrap did not fulfill: ${controller.kpStatus(bootKpid)}`);
  }
  return { dir, store, controller, names, bootSeconds: now() - started };
}

async function finish(booted: Booted): Promise<void> {
  await booted.controller.shutdown();
  await booted.store.hostStorage.commit();
  await booted.store.hostStorage.close();
  fs.rmSync(booted.dir, { recursive: true, force: true });
}

/** Sums slog deliver-result seconds (live deliveries only) while `measuring`. */
function makeDeliveryMeter(): {
  slogSender: (record: SlogRecordLike) => void;
  start(): void;
  stop(): { delivered: number; secondsInDeliveries: number; longestDelivery: { vatID: unknown; dispatch: unknown; seconds: number } | null; secondsByVat: Record<string, number> };
} {
  let measuring = false;
  let delivered = 0;
  let inDeliveries = 0;
  let longest: { vatID: unknown; dispatch: unknown; seconds: number } | null = null;
  const byVat: Record<string, number> = {};
  return {
    slogSender: record => {
      if (!measuring || record.type !== 'deliver-result' || record.replay === true) return;
      delivered += 1;
      const seconds = typeof record.seconds === 'number' ? record.seconds : 0;
      inDeliveries += seconds;
      const vatID = String(record.vatID);
      byVat[vatID] = (byVat[vatID] ?? 0) + seconds;
      if (longest === null || seconds > longest.seconds) longest = { vatID: record.vatID, dispatch: record.dispatch, seconds };
    },
    start: () => {
      measuring = true;
    },
    stop: () => {
      measuring = false;
      return { delivered, secondsInDeliveries: inDeliveries, longestDelivery: longest, secondsByVat: byVat };
    },
  };
}

async function timedDrive(
  api: BenchApi,
  workload: WorkloadName,
  method: 'pingpong' | 'burst',
  count: number,
  options: { snapshotInterval?: number; splitTime?: boolean; managerType?: 'xsnap' | 'local' } = {},
): Promise<WorkloadResult> {
  const names = peerNames(2);
  const { snapshotInterval, splitTime = false, managerType = 'xsnap' } = options;
  // Only when asked: a slog listener costs a little on every delivery.
  const meter = splitTime ? makeDeliveryMeter() : undefined;
  const config = benchConfig(names, { managerType, ...(snapshotInterval === undefined ? {} : { snapshotInterval }) });
  const booted = await boot(api, names, config, meter?.slogSender);
  const before = transcriptLength(booted.store, booted.controller, names);
  meter?.start();
  const started = now();
  await runToResult(booted.controller, 'alice', method, [count]);
  const seconds = now() - started;
  const split = meter?.stop();
  const deliveries = transcriptLength(booted.store, booted.controller, names) - before;
  await finish(booted);
  const result: WorkloadResult = { side: api.side, workload, n: count, seconds, deliveries, deliveriesPerSecond: deliveries / seconds };
  if (split !== undefined) {
    result.secondsInDeliveries = split.secondsInDeliveries;
    result.secondsOutsideDeliveries = seconds - split.secondsInDeliveries;
    result.secondsInDeliveriesByVat = split.secondsByVat;
    result.longestDelivery = split.longestDelivery;
  }
  return result;
}

async function startup(api: BenchApi, vatCount: number): Promise<WorkloadResult> {
  // Bootstrap is one of the vats.
  const names = peerNames(Math.max(1, vatCount - 1));
  const config = benchConfig(names, { managerType: 'xsnap' });
  // Warm the bundle caches first (untimed): "startup, warm bundles".
  await finish(await boot(api, names, config));
  const booted = await boot(api, names, config);
  const deliveries = transcriptLength(booted.store, booted.controller, [...names, 'bootstrap']);
  await finish(booted);
  return { side: api.side, workload: 'startup', vats: vatCount, seconds: booted.bootSeconds, deliveries };
}

async function restart(api: BenchApi, span: number): Promise<WorkloadResult> {
  const names = peerNames(2);
  // A first snapshot early (the default snapshotInitial), then none: the
  // current span starts with load-snapshot and holds every later delivery.
  const booted = await boot(api, names, benchConfig(names, { managerType: 'xsnap', snapshotInitial: 3 }));
  // alice gets `span` notifies and bob `span` pings: both current spans grow past `span`.
  await runToResult(booted.controller, 'alice', 'pingpong', [span]);
  const replayed = spanLengths(booted.store, booted.controller, [...names, 'bootstrap']);
  await booted.controller.shutdown();
  await booted.store.hostStorage.commit();
  await booted.store.hostStorage.close();

  const started = now();
  const store = api.openStore(booted.dir);
  const controller = await api.makeController(store.kernelStorage, {});
  await runToResult(controller, 'bob', 'ping', [1]);
  const seconds = now() - started;
  await controller.shutdown();
  await store.hostStorage.close();
  fs.rmSync(booted.dir, { recursive: true, force: true });
  return { side: api.side, workload: 'restart', span, seconds, deliveries: replayed, msPerReplayedEntry: (1000 * seconds) / replayed };
}

async function localPingpong(api: BenchApi, count: number): Promise<WorkloadResult> {
  const names = peerNames(2);
  let inDeliveries = 0;
  let delivered = 0;
  let measuring = false;
  const slogSender = (record: SlogRecordLike): void => {
    if (!measuring || record.type !== 'deliver-result' || record.replay === true) return;
    delivered += 1;
    if (typeof record.seconds === 'number') inDeliveries += record.seconds;
  };
  const booted = await boot(api, names, benchConfig(names, { managerType: 'local' }), slogSender);
  measuring = true;
  const started = now();
  await runToResult(booted.controller, 'alice', 'pingpong', [count]);
  const seconds = now() - started;
  measuring = false;
  await finish(booted);
  const outside = seconds - inDeliveries;
  return {
    side: api.side,
    workload: 'local-pingpong',
    n: count,
    seconds,
    deliveries: delivered,
    deliveriesPerSecond: delivered / seconds,
    secondsInDeliveries: inDeliveries,
    kernelOverheadSeconds: outside,
    kernelOverheadMsPerDelivery: delivered === 0 ? null : (1000 * outside) / delivered,
  };
}

export async function runWorkload(api: BenchApi, workload: WorkloadName, sizes: WorkloadSizes): Promise<WorkloadResult> {
  switch (workload) {
    case 'pingpong':
      return timedDrive(api, workload, 'pingpong', sizes.pingpong);
    case 'pingpong-snapshots':
      return timedDrive(api, workload, 'pingpong', sizes.pingpong, { snapshotInterval: sizes.snapshotInterval });
    case 'burst':
      return timedDrive(api, workload, 'burst', sizes.burst, { splitTime: true });
    case 'burst-small':
      return timedDrive(api, workload, 'burst', sizes.burstSmall, { splitTime: true });
    case 'local-burst':
      // The same burst on local workers (V8, same liveslots): separates XS costs from liveslots costs.
      return timedDrive(api, workload, 'burst', sizes.burst, { splitTime: true, managerType: 'local' });
    case 'startup':
      return startup(api, sizes.startupVats);
    case 'restart':
      return restart(api, sizes.restartSpan);
    case 'local-pingpong':
      return localPingpong(api, sizes.local);
    default: {
      const never: never = workload;
      throw Error(`unknown workload ${String(never)}`);
    }
  }
}

/** Driver entry: `<workload>`; prints the result as the last stdout line. */
export async function runBenchDriver(api: BenchApi, argv: readonly string[]): Promise<void> {
  const [workload] = argv;
  if (!WORKLOADS.includes(workload as WorkloadName)) {
    throw Error(`usage: drive-<side> <${WORKLOADS.join('|')}>`);
  }
  const result = await runWorkload(api, workload as WorkloadName, sizesFromEnv());
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify(result)}\n`);
}
