// Differential driver for the reference, @agoric/swingset-vat (a test peer
// only; plain JS because that package ships no types). It locks down its
// own realm, so it runs in a child process of its own.
// Usage: node test/differential/drive-reference.js <out.json> <scenarioDir>...
import '@endo/init/debug.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initSwingStore } from '@agoric/swing-store';
import { buildKernelBundles, initializeSwingset, makeSwingsetController } from '@agoric/swingset-vat';
import { runDriver } from '../dist/differential/driver.js';

const require = createRequire(import.meta.url);
const { version } = require('@agoric/swingset-vat/package.json');

// The reference re-bundles its kernel and built-in vats on every start
// unless handed bundles; keep them between runs, keyed by its version.
async function provideReferenceKernelBundles() {
  const dir = path.join(os.tmpdir(), 'crankshaft-differential');
  const file = path.join(dir, `reference-kernel-bundles-${version}.json`);
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // rebuilt below
    }
  }
  const bundles = await buildKernelBundles();
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(bundles));
  fs.renameSync(temp, file);
  return bundles;
}

const kernelBundles = await provideReferenceKernelBundles();

/** @type {import('../dist/differential/driver.js').DriverApi} */
const api = {
  side: 'reference',
  openStore: dir => initSwingStore(dir),
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false, kernelBundles }),
  makeController: kernelStorage =>
    makeSwingsetController(kernelStorage, {}, { kernelBundle: kernelBundles.kernel }),
};

await runDriver(api, process.argv.slice(2));
// xsnap children and timers must not keep us alive once the output is written.
process.exit(0);
