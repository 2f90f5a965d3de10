// Kernel benchmark driver for the reference, @agoric/swingset-vat (a test
// and bench peer only; plain JS because it ships no types). One workload
// per process: each side locks down its own realm.
// Usage: node bench/kernel/drive-reference.js <workload>
import '@endo/init/debug.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initSwingStore, openSwingStore } from '@agoric/swing-store';
import { buildKernelBundles, initializeSwingset, makeSwingsetController } from '@agoric/swingset-vat';
import { runBenchDriver } from '../dist/kernel/workloads.js';

const require = createRequire(import.meta.url);
const { version } = require('@agoric/swingset-vat/package.json');

// Without these the reference re-bundles its kernel and built-in vats at
// every start; a host would keep them, so the bench does too.
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

/** @type {import('../dist/kernel/workloads.js').BenchApi} */
const api = {
  side: 'reference',
  initStore: dir => initSwingStore(dir),
  openStore: dir => openSwingStore(dir),
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false, kernelBundles }),
  makeController: (kernelStorage, { slogSender }) =>
    makeSwingsetController(kernelStorage, {}, { kernelBundle: kernelBundles.kernel, ...(slogSender ? { slogSender } : {}) }),
};

await runBenchDriver(api, process.argv.slice(2));
process.exit(0);
