#!/usr/bin/env node
// Build, at install time, every bundle that does not depend on the user's
// config: the xsnap worker bundles (lockdown + supervisor, cached in
// packages/worker-supervisor/bundles/ by their inputs) and the kernel's
// built-in vats and devices (cached in packages/kernel/dist/bundles/ by the
// content of every file they read). Run by `npm run build` after `tsc -b`.
// Usage: node scripts/build-bundles.js [--force]
// bundle-source expects a locked-down (SES) process: lock down first.
import '@endo/init';
import { ensureWorkerBundles } from '../packages/worker-supervisor/dist/src/bundleBuilder.js';
import { provideBuiltinBundles } from '../packages/kernel/dist/src/controller/builtins.js';

const force = process.argv.includes('--force');
const started = Date.now();
const { bundles, rebuilt } = await ensureWorkerBundles({
  force,
  log: message => console.log(`build-bundles: ${message}`),
});
const what = rebuilt ? `built in ${((Date.now() - started) / 1000).toFixed(1)}s` : 'cache is current';
console.log(`build-bundles: ${what}: lockdown ${bundles.lockdownID}, supervisor ${bundles.supervisorID}`);

const builtinsStarted = Date.now();
const builtins = await provideBuiltinBundles();
const builtinSeconds = ((Date.now() - builtinsStarted) / 1000).toFixed(1);
console.log(`build-bundles: built-in vats and devices ready in ${builtinSeconds}s: ${Object.keys(builtins).sort().join(', ')}`);
