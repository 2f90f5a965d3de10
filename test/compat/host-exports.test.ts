// The host-level exports beside the controller (issue 11, classes 3 and 5):
// upgradeSwingset, the run-until-done helpers of tools/run-utils, and the
// names @agoric/swing-store 0.10 and @agoric/swingset-vat 0.33 export.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as swingStore from '@crankshaft/swing-store';
import * as kernel from '@crankshaft/kernel';
import { makeRunUtils as makeRunUtilsFromTools } from '@crankshaft/kernel/tools/run-utils.js';
import { buildVatController, makeRunUtils, upgradeSwingset } from '@crankshaft/kernel';
import { loadCompatConfig, makeTempDir, quiet } from './helpers.js';

// @agoric/swing-store 0.10's src/index.js, name by name.
const SWING_STORE_EXPORTS = [
  'initSwingStore', 'openSwingStore', 'isSwingStore', 'makeSwingStoreExporter', 'importSwingStore',
  'makeArchiveSnapshot', 'makeArchiveTranscript', 'makeKVStore', 'getKeyType', 'makeTranscriptStore',
  'makeSnapStore', 'makeSnapStoreIO', 'makeBundleStore', 'bundleIDFromName',
];
// @agoric/swingset-vat 0.33's src/index.js; `shape` and the mailbox, bridge,
// command and plugin builders come with the devices/comms work.
const SWINGSET_EXPORTS = [
  'buildVatController', 'makeSwingsetController', 'swingsetIsInitialized', 'initializeSwingset',
  'buildKernelBundles', 'loadBasedir', 'loadSwingsetConfigFile', 'normalizeConfig', 'upgradeSwingset', 'buildTimer',
];

test('every @agoric/swing-store 0.10 export exists', t => {
  const ours = swingStore as Record<string, unknown>;
  for (const name of SWING_STORE_EXPORTS) t.is(typeof ours[name], 'function', name);
});

test('the @agoric/swingset-vat 0.33 exports this work covers exist', t => {
  const ours = kernel as Record<string, unknown>;
  for (const name of SWINGSET_EXPORTS) t.is(typeof ours[name], 'function', name);
});

test('upgradeSwingset: no change on a current store; refuses what it cannot upgrade', async t => {
  const { kernelStorage, hostStorage } = swingStore.initSwingStore(null);
  t.teardown(() => hostStorage.close());
  t.throws(() => upgradeSwingset(kernelStorage), { message: /not initialized/ });
  await kernel.initializeSwingset({ vats: {} }, [], kernelStorage);
  t.deepEqual(upgradeSwingset(kernelStorage), { modified: false });
  t.deepEqual(upgradeSwingset(kernelStorage), { modified: false });
  kernelStorage.kvStore.set('version', '2');
  t.throws(() => upgradeSwingset(kernelStorage), { message: /schema v2 cannot be upgraded/ });
  kernelStorage.kvStore.set('version', '3');
});

test('makeSnapStoreIO measures; the archivers write one gzip per artifact', async t => {
  const io = swingStore.makeSnapStoreIO();
  const { result, duration } = await io.measureSeconds(() => 7);
  t.is(result, 7);
  t.true(duration >= 0);

  const dir = makeTempDir('archive');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const archiveTranscript = swingStore.makeArchiveTranscript(dir, { fs, path });
  await archiveTranscript('transcript.v1.0.3', [Buffer.from('a\n'), Buffer.from('b\n')]);
  t.is(gunzipSync(fs.readFileSync(path.join(dir, 'transcript.v1.0.3.gz'))).toString(), 'a\nb\n');
  const archiveSnapshot = swingStore.makeArchiveSnapshot(dir, { fs, path });
  const gz = Buffer.from([0x1f, 0x8b, 1, 2]);
  await archiveSnapshot('snapshot.v1.4', gz);
  t.deepEqual(fs.readFileSync(path.join(dir, 'snapshot.v1.4.gz')), gz);
  t.deepEqual(fs.readdirSync(dir).sort(), ['snapshot.v1.4.gz', 'transcript.v1.0.3.gz']);
});

test('makeRunUtils: EV and queueAndRun run until done and return the settled result', async t => {
  t.is(makeRunUtilsFromTools, makeRunUtils, 'the tools/run-utils.js subpath is the same helper');
  const config = await loadCompatConfig('testlog', 'local');
  const c = await buildVatController(config, [], quiet);
  t.teardown(() => c.shutdown());
  await c.run();
  const { EV, queueAndRun } = makeRunUtils(c);
  // Two calls at once are serialized, each run to completion.
  const [second, third] = await Promise.all([EV.vat('bootstrap')['call']?.('a'), EV.vat('bootstrap')['call']?.('b')]);
  t.deepEqual([second, third], [2, 3]);
  t.is(await queueAndRun(() => c.queueToVatRoot('counter', 'go', ['direct'])), 4);
  t.is(await EV.sendOnly(kernel.kslot(c.pinVatRoot('counter')))['go']?.('quiet'), undefined);
  await t.throwsAsync(() => EV.vat('counter')['noSuchMethod']?.() ?? Promise.resolve(), { message: /noSuchMethod/ });
  t.deepEqual(c.dump().log.filter(line => line.startsWith('go ')), [
    'go boot n=1', 'go a n=2', 'go b n=3', 'go direct n=4', 'go quiet n=5',
  ]);
});
