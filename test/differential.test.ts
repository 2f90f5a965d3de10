// Differential test: every scenario under test/fixtures/differential runs on
// the reference (@agoric/swingset-vat) and on Crankshaft, each in its own
// process, and each vat's transcript (`d` and `sc` of every entry) must be
// the same on both sides. See test/differential/compare.ts for the two
// normalizations and test/fixtures/differential/README.md for the rules
// the scenarios follow.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compareSides } from './differential/compare.js';
import { isFailure, type DriverOutput, type ScenarioResult, type Side } from './differential/driver.js';

const execFileAsync = promisify(execFile);

const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = path.join(testDir, 'fixtures', 'differential');
const driverPath: Record<Side, string> = {
  reference: path.join(testDir, 'differential', 'drive-reference.js'),
  ours: path.join(testDir, 'dist', 'differential', 'drive-ours.js'),
};

const scenarios = fs
  .readdirSync(fixturesDir, { withFileTypes: true })
  .filter(entry => entry.isDirectory() && fs.existsSync(path.join(fixturesDir, entry.name, 'config.json')))
  .map(entry => entry.name)
  .sort();

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'differential-out-'));
test.after.always(() => fs.rmSync(outDir, { recursive: true, force: true }));

async function drive(side: Side, scenario: string): Promise<ScenarioResult> {
  const outFile = path.join(outDir, `${scenario}-${side}.json`);
  try {
    await execFileAsync(process.execPath, [driverPath[side], outFile, path.join(fixturesDir, scenario)], {
      maxBuffer: 1 << 26,
      cwd: testDir,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw Error(`${side} driver failed on ${scenario}: ${(stderr ?? String(error)).slice(-4000)}`);
  }
  const output = JSON.parse(fs.readFileSync(outFile, 'utf8')) as DriverOutput;
  const result = output[scenario];
  if (result === undefined) throw Error(`${side} driver wrote no result for ${scenario}`);
  if (isFailure(result)) throw Error(`${side} side of ${scenario} failed: ${result.error}`);
  return result;
}

interface Expectations {
  /** The bootstrap result (alice's log) the reference produces. */
  bootstrap: unknown[];
}

const readExpectations = (scenario: string): Expectations =>
  JSON.parse(fs.readFileSync(path.join(fixturesDir, scenario, 'expected.json'), 'utf8')) as Expectations;

test('there are at least five scenarios', t => {
  t.true(scenarios.length >= 5, `scenarios: ${scenarios.join(', ')}`);
});

for (const scenario of scenarios) {
  // Serial: each scenario already uses two processes (one per side).
  test.serial(`transcripts match the reference: ${scenario}`, async t => {
    const [reference, ours] = await Promise.all([drive('reference', scenario), drive('ours', scenario)]);
    t.log(`${scenario}: reference ${reference.seconds.toFixed(1)}s, ours ${ours.seconds.toFixed(1)}s`);

    // The scenario still does what it was written to do (on the reference).
    const expected = readExpectations(scenario);
    t.is(reference.bootstrap.status, 'fulfilled', `reference bootstrap of ${scenario}`);
    t.is(reference.bootstrap.body, `#${JSON.stringify(expected.bootstrap)}`, `reference bootstrap result of ${scenario}`);

    t.deepEqual(Object.keys(ours.vats).sort(), Object.keys(reference.vats).sort(), 'the same vats are alive');
    const differences = compareSides(ours, reference);
    for (const difference of differences) {
      t.log(`${difference.vat} #${difference.index}: ${difference.reason}`);
      t.log('  ours:      ', JSON.stringify(difference.ours)?.slice(0, 2000));
      t.log('  reference: ', JSON.stringify(difference.reference)?.slice(0, 2000));
    }
    t.deepEqual(
      differences.map(d => `${d.vat}: ${d.reason}`),
      [],
      `transcripts of ${scenario} differ`,
    );
    t.deepEqual(ours.bootstrap, reference.bootstrap, 'bootstrap results');
    t.deepEqual(ours.steps, reference.steps, 'host step results');
  });
}
