// Determinism benchmark: the workload of test/determinism (same driver),
// run uninterrupted once per worker kind, then under many seeded stop
// schedules (stops between inputs, right after queueing and mid-run; some
// with maxVatsOnline: 1) and many SIGKILL points (child host processes,
// resumed from the last commit). Each run is compared with the
// uninterrupted one: activity hash, every crank hash, kv, every transcript
// item, every snapshot hash. Prints ONE JSON line with the counts.
//
//   node bench/dist/determinism.js
//
// Environment: BENCH_DET_SCHEDULES (50), BENCH_DET_KILL_POINTS (100, four
// per killed run), BENCH_DET_INPUTS (40), BENCH_DET_SEED (12).
import '@endo/init/debug.js';
import cliProgress from 'cli-progress';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Driver from '../test/determinism/driver.js';

const driverUrl = new URL('../../test/dist/determinism/driver.js', import.meta.url);
const driver = (await import(driverUrl.href)) as typeof Driver;
const { compareFingerprints, fingerprintOf, makeRandom, runWithKills, runWorkload } = driver;

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw Error(`${name} must be a non-negative integer, not ${JSON.stringify(raw)}`);
  return value;
};

const scheduleCount = envNumber('BENCH_DET_SCHEDULES', 50);
const killPointCount = envNumber('BENCH_DET_KILL_POINTS', 100);
const inputs = envNumber('BENCH_DET_INPUTS', 40);
const seed = envNumber('BENCH_DET_SEED', 12);
const KILLS_PER_RUN = 4;
const STOP_KINDS: readonly Driver.StopPoint[] = ['between', 'afterQueue', 'midRun'];

const tempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `crankshaft-bench-det-${label}-`));
const removeDir = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true });
// A progress bar on a terminal only; CI logs stay quiet.
const bar = process.stderr.isTTY
  ? new cliProgress.SingleBar({ format: 'determinism {bar} {value}/{total} {task}', stream: process.stderr }, cliProgress.Presets.shades_classic)
  : undefined;
const progress = (task: string): void => {
  bar?.increment(1, { task });
};

const started = performance.now();
bar?.start(2 + scheduleCount + Math.ceil(killPointCount / 4), 0, { task: 'uninterrupted runs' });
const baselines = new Map<Driver.WorkerKind, Driver.Fingerprint>();
for (const managerType of ['xsnap', 'local'] as const) {
  progress(`uninterrupted ${managerType}`);
  const dir = tempDir(`base-${managerType}`);
  baselines.set(managerType, fingerprintOf(dir, await runWorkload(dir, { managerType, seed, inputs })));
  removeDir(dir);
}
const baseline = (managerType: Driver.WorkerKind): Driver.Fingerprint => baselines.get(managerType) as Driver.Fingerprint;

// Schedules: seeded, so every run of the benchmark tries the same ones.
const random = makeRandom(seed * 7919 + 1);
const divergences: string[] = [];
const schedules = { run: 0, identical: 0, xsnap: 0, local: 0, evicting: 0, stops: 0 };
for (let i = 0; i < scheduleCount; i += 1) {
  // Local vats have no snapshots, so with one worker online every page-in
  // replays the whole transcript: keep eviction to the xsnap schedules.
  const managerType: Driver.WorkerKind = i % 2 === 0 ? 'xsnap' : 'local';
  const evicting = managerType === 'xsnap' && i % 6 === 0;
  const stopCount = 1 + Math.floor(random() * 4);
  const stops: Driver.Stop[] = [];
  for (let s = 0; s < stopCount; s += 1) {
    stops.push({ input: Math.floor(random() * inputs), at: STOP_KINDS[Math.floor(random() * STOP_KINDS.length)] as Driver.StopPoint });
  }
  progress(`schedule ${i + 1}/${scheduleCount} (${managerType}${evicting ? ', maxVatsOnline 1' : ''})`);
  const spec: Driver.WorkloadSpec = { managerType, seed, inputs, ...(evicting ? { maxVatsOnline: 1 } : {}) };
  const dir = tempDir('schedule');
  const actual = fingerprintOf(dir, await runWorkload(dir, spec, stops));
  removeDir(dir);
  const diffs = compareFingerprints(baseline(managerType), actual, 3);
  schedules.run += 1;
  schedules[managerType] += 1;
  if (evicting) schedules.evicting += 1;
  schedules.stops += stops.length;
  if (diffs.length === 0) schedules.identical += 1;
  else divergences.push(`schedule ${i} ${JSON.stringify(stops)}: ${diffs.join('; ')}`);
}

// Kill points: spread over the workload's cranks, four per child run.
const totalCranks = Object.keys(baseline('xsnap').crankHashes).length;
const killPoints = { run: 0, landed: 0, identical: 0, runs: 0 };
for (let first = 0; first < killPointCount; first += KILLS_PER_RUN) {
  const count = Math.min(KILLS_PER_RUN, killPointCount - first);
  const cranks = Array.from({ length: count }, () => 1 + Math.floor(random() * (totalCranks - 1))).sort((a, b) => a - b);
  progress(`kill points ${first + 1}-${first + count}/${killPointCount} at cranks ${cranks.join(',')}`);
  const dir = tempDir('kill');
  const { fingerprint, killed } = await runWithKills(dir, { managerType: 'xsnap', seed, inputs }, cranks);
  removeDir(dir);
  const diffs = compareFingerprints(baseline('xsnap'), fingerprint, 3);
  killPoints.runs += 1;
  killPoints.run += count;
  killPoints.landed += killed;
  if (diffs.length === 0) killPoints.identical += count;
  else divergences.push(`kills at ${cranks.join(',')}: ${diffs.join('; ')}`);
}
bar?.stop();

console.log(
  JSON.stringify({
    bench: 'determinism',
    inputs,
    seed,
    cranks: totalCranks,
    activityhash: { xsnap: baseline('xsnap').activityhash, local: baseline('local').activityhash },
    schedules,
    killPoints,
    divergences: divergences.slice(0, 5),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  }),
);
