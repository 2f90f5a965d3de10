// The drivers' host API over the reference, @agoric/swingset-vat on
// @agoric/swing-store (test and benchmark peers only; plain JS because they
// ship no types). Importing it locks down this realm with the reference's SES.
import '@endo/init/debug.js';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initSwingStore, openSwingStore } from '@agoric/swing-store';
import { buildKernelBundles, initializeSwingset, makeSwingsetController } from '@agoric/swingset-vat';
import { sharedCacheDir } from './dist/src/cacheDirs.js';

const require = createRequire(import.meta.url);
const { version } = require('@agoric/swingset-vat/package.json');

// The reference re-bundles its kernel and built-in vats at every start unless
// handed bundles; a host would keep them, so we build them once per version.
async function provideReferenceKernelBundles() {
  const file = path.join(sharedCacheDir('reference'), `kernel-bundles-${version}.json`);
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // a torn or stale file: rebuilt below
    }
  }
  const bundles = await buildKernelBundles();
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(bundles));
  fs.renameSync(temp, file);
  return bundles;
}

const kernelBundles = await provideReferenceKernelBundles();

/** @type {import('./dist/src/hosts.js').HostApi} */
export const referenceHost = {
  side: 'reference',
  initStore: dir => initSwingStore(dir),
  openStore: dir => openSwingStore(dir),
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage, { addComms: false, addVattp: false, kernelBundles }),
  makeController: (kernelStorage, options = {}) =>
    makeSwingsetController(kernelStorage, {}, {
      kernelBundle: kernelBundles.kernel,
      ...(options.slogSender ? { slogSender: options.slogSender } : {}),
    }),
};
