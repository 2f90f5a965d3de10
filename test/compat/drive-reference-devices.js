// Runs one device scenario of devices-scenarios.ts on the reference,
// @agoric/swingset-vat 0.33 (a test peer only; plain JS because that package
// ships no types). It locks down its own realm, so it runs in a child
// process of the compat test.
// Usage: node test/compat/drive-reference-devices.js <bridge|command|plugin> <out.json>
import '@endo/init/debug.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initSwingStore, openSwingStore } from '@agoric/swing-store';
import {
  buildBridge,
  buildCommand,
  buildKernelBundles,
  buildPlugin,
  initializeSwingset,
  makeSwingsetController,
} from '@agoric/swingset-vat';
import { scenarios } from '../dist/compat/devices-scenarios.js';

const require = createRequire(import.meta.url);
const { version } = require('@agoric/swingset-vat/package.json');

// The reference bundles its kernel and built-ins on every start unless
// handed bundles; keep them in a temp file keyed by its version.
async function kernelBundlesOnce() {
  const dir = path.join(os.tmpdir(), 'crankshaft-compat');
  const file = path.join(dir, `reference-kernel-bundles-${version}.json`);
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // written again below
    }
  }
  const bundles = await buildKernelBundles();
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(bundles));
  fs.renameSync(temp, file);
  return bundles;
}

const [scenario, outFile] = process.argv.slice(2);
const run = scenarios[scenario];
if (!run || !outFile) throw Error('usage: drive-reference-devices.js <bridge|command|plugin> <out.json>');
const kernelBundles = await kernelBundlesOnce();

/** @type {import('../dist/compat/devices-scenarios.js').DevicesHostApi} */
const api = {
  side: 'reference',
  initSwingStore: dir => initSwingStore(dir),
  openSwingStore: dir => openSwingStore(dir),
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false, kernelBundles }),
  makeController: (kernelStorage, deviceEndowments) =>
    makeSwingsetController(kernelStorage, deviceEndowments, { kernelBundle: kernelBundles.kernel }),
  buildBridge,
  buildCommand,
  buildPlugin,
};

fs.writeFileSync(outFile, JSON.stringify(await run(api), null, 1));
// xsnap children must not keep us alive once the output is written.
process.exit(0);
