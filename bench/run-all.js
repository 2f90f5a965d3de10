#!/usr/bin/env node
// `npm run bench`: builds, then runs every benchmark in turn, each in its own
// process (each locks down its own realm). Every benchmark prints one JSON
// line; this passes them through and adds nothing else to stdout.
// Usage: node bench/run-all.js [name...]   (names: swing-store worker warehouse kernel cli determinism)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const all = ['swing-store', 'worker', 'warehouse', 'kernel', 'cli', 'determinism'];
const chosen = process.argv.slice(2);
const unknown = chosen.filter(name => !all.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (known: ${all.join(', ')})`);
  process.exit(2);
}
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const name of chosen.length > 0 ? chosen : all) {
  const run = spawnSync(process.execPath, [path.join(benchDir, 'dist', `${name}.js`)], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench: ${name} exited with ${run.status ?? run.signal}`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
