#!/usr/bin/env node
// Build the xsnap worker bundles (lockdown + supervisor) from the compiled
// TypeScript, unless the cache in packages/worker-supervisor/bundles/ already
// matches the inputs. Run by `npm run build` after `tsc -b`.
// Usage: node scripts/build-bundles.js [--force]
// bundle-source expects a locked-down (SES) process: lock down first.
import '@endo/init';
import { ensureWorkerBundles } from '../packages/worker-supervisor/dist/src/bundleBuilder.js';

const force = process.argv.includes('--force');
const started = Date.now();
const { bundles, rebuilt } = await ensureWorkerBundles({
  force,
  log: message => console.log(`build-bundles: ${message}`),
});
const what = rebuilt ? `built in ${((Date.now() - started) / 1000).toFixed(1)}s` : 'cache is current';
console.log(`build-bundles: ${what}: lockdown ${bundles.lockdownID}, supervisor ${bundles.supervisorID}`);
