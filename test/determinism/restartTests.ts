// A restarted kernel computes exactly what an uninterrupted one computes:
// the same activity hash, crank hashes, kv, transcript items and snapshot
// hashes, on xsnap and on local workers, across stops between inputs, right
// after queueing and mid-run, and with maxVatsOnline: 1. Shared by
// restart-xsnap and restart-local: two files, so ava runs them side by side.
import fs from 'node:fs';
import type { TestFn } from 'ava';
import { makeTempDir } from '../kernel-helpers.js';
import { compareFingerprints, fingerprintOf, runWorkload, type Fingerprint, type Stop, type WorkerKind, type WorkloadSpec } from './driver.js';

export const INPUTS = 40;
export const SEED = 12;

/** Stores of finished runs are big (snapshots); only their fingerprints are kept. */
export const removeDir = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true });

/**
 * With maxVatsOnline 1, local workers (which have no heap snapshots) replay
 * their whole transcript at every page-in, so the cost grows with the
 * square of the run's length: 40 inputs took minutes, and under load longer
 * than ava's inactivity timeout. 12 inputs still evict at nearly every
 * delivery. xsnap workers page in from snapshots and keep all 40.
 */
const EVICTING_INPUTS: Record<WorkerKind, number> = { xsnap: INPUTS, local: 12 };

const baselines = new Map<string, Promise<Fingerprint>>();

export const baseline = (managerType: WorkerKind, inputs = INPUTS): Promise<Fingerprint> => {
  const key = `${managerType}:${inputs}`;
  let found = baselines.get(key);
  if (found === undefined) {
    found = (async () => {
      const dir = makeTempDir(`det-base-${managerType}`);
      const hashes = await runWorkload(dir, { managerType, seed: SEED, inputs });
      const fingerprint = fingerprintOf(dir, hashes);
      removeDir(dir);
      return fingerprint;
    })();
    baselines.set(key, found);
  }
  return found;
};

const SCHEDULES: Record<string, Stop[]> = {
  'between inputs': [
    { input: 3, at: 'between' },
    { input: 17, at: 'between' },
    { input: 29, at: 'between' },
  ],
  'right after queueing': [
    { input: 5, at: 'afterQueue' },
    { input: 22, at: 'afterQueue' },
  ],
  'mid-run, work still queued': [
    { input: 8, at: 'midRun' },
    { input: 26, at: 'midRun' },
    { input: 35, at: 'midRun' },
  ],
};

/** The restart, eviction and same-run tests for one worker kind. */
export function defineRestartTests(test: TestFn, managerType: WorkerKind): void {
  test.serial(`${managerType}: the same run twice is identical`, async t => {
    const expected = await baseline(managerType);
    const dir = makeTempDir(`det-again-${managerType}`);
    const actual = fingerprintOf(dir, await runWorkload(dir, { managerType, seed: SEED, inputs: INPUTS }));
    removeDir(dir);
    t.deepEqual(compareFingerprints(expected, actual), []);
    t.true(Object.keys(expected.crankHashes).length > 100, 'the workload runs many cranks');
    const deliveries = Object.values(expected.transcripts).reduce((n, items) => n + Object.keys(items).length, 0);
    t.true(deliveries > 100, 'and many deliveries');
    if (managerType === 'xsnap') {
      t.true(Object.values(expected.snapshots).some(list => list.length > 1), 'vats were snapshotted more than once');
    }
  });

  for (const [name, stops] of Object.entries(SCHEDULES)) {
    test.serial(`${managerType}: stopped and reopened ${name} gives the uninterrupted result`, async t => {
      const expected = await baseline(managerType);
      const dir = makeTempDir(`det-stop-${managerType}`);
      const actual = fingerprintOf(dir, await runWorkload(dir, { managerType, seed: SEED, inputs: INPUTS }, stops));
    removeDir(dir);
      t.deepEqual(compareFingerprints(expected, actual), []);
    });
  }

  test.serial(`${managerType}: maxVatsOnline 1 (a worker evicted at nearly every delivery) gives the same result`, async t => {
    const inputs = EVICTING_INPUTS[managerType];
    const expected = await baseline(managerType, inputs);
    const spec: WorkloadSpec = { managerType, seed: SEED, inputs, maxVatsOnline: 1 };
    const dir = makeTempDir(`det-evict-${managerType}`);
    const actual = fingerprintOf(dir, await runWorkload(dir, spec, [{ input: Math.floor(inputs / 2), at: 'midRun' }]));
    removeDir(dir);
    t.deepEqual(compareFingerprints(expected, actual), []);
  });
}

