import '@endo/init/debug.js';
import test from 'ava';
import { makeTempDir } from '../kernel-helpers.js';
import { compareFingerprints, runWithKills } from './driver.js';
import { baseline, defineRestartTests, INPUTS, removeDir, SEED } from './restartTests.js';

defineRestartTests(test, 'xsnap');

test.serial('xsnap: a host killed with SIGKILL at three moments, resumed from its last commit, gives the same result', async t => {
  const expected = await baseline('xsnap');
  const total = Object.keys(expected.crankHashes).length;
  // early (during bootstrap), mid-workload, and late
  const killAt = [Math.floor(total * 0.05), Math.floor(total * 0.45), Math.floor(total * 0.8)];
  const dir = makeTempDir('det-kill-xsnap');
  const { fingerprint, killed } = await runWithKills(dir, { managerType: 'xsnap', seed: SEED, inputs: INPUTS }, killAt);
  removeDir(dir);
  t.is(killed, 3, 'every kill landed before the workload finished');
  t.deepEqual(compareFingerprints(expected, fingerprint), []);
});
