#!/usr/bin/env node
// Runs the whole ava suite with the TAP reporter, echoes it, and ends with the
// one summary line CI reads: "N passed, N failed".
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Tests run from dist/: rebuild first (tsc -b is incremental, bundles cached).
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Every test file shares one cache inside the checkout (ignored by git):
// source bundles and base worker snapshots are made once per checkout, not
// once per test file or per run in the OS temp folder.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = {
  ...process.env,
  CRANKSHAFT_BUNDLE_CACHE: process.env.CRANKSHAFT_BUNDLE_CACHE || path.join(repo, '.cache', 'bundles'),
  CRANKSHAFT_ZYGOTE_CACHE: process.env.CRANKSHAFT_ZYGOTE_CACHE || path.join(repo, '.cache', 'zygotes'),
};

const extraArgs = process.argv.slice(2);
const child = spawn('npx', ['ava', '--tap', ...extraArgs], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env,
});
let passed = 0;
let failed = 0;
let sawPlan = false;
// Counted from the test lines too: when ava's TAP reporter itself crashes
// (it does on a test timeout) no "# pass" line comes, yet the results so far
// must still be reported.
let okLines = 0;
let notOkLines = 0;
const lines = createInterface({ input: child.stdout });
lines.on('line', line => {
  console.log(line);
  if (/^ok \d+ /.test(line)) okLines += 1;
  else if (/^not ok \d+ /.test(line)) notOkLines += 1;
  const m = /^# (pass|fail) (\d+)$/.exec(line);
  if (m) {
    sawPlan = true;
    if (m[1] === 'pass') passed = Number(m[2]);
    else failed = Number(m[2]);
  }
});
child.on('close', code => {
  // A crashed runner with no counts is a failure, not "0 failed".
  if (!sawPlan) {
    passed = okLines;
    failed = notOkLines + (code !== 0 ? 1 : 0);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
