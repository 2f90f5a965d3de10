// Class 4 of issue 11: config and manager types as SwingSet takes them.
// - creationOptions.enableSetup in a config whose default manager type is
//   xsnap runs the vat's setup() (SwingSet runs such a vat on its local
//   manager whatever the type, with a warning; so do we).
// - managerType "node-subprocess" is accepted and runs (on our local worker:
//   Crankshaft has no Node child-process worker; see docs/host-api.md).
// - nodeOptions: accepted with node-subprocess, refused otherwise with
//   SwingSet's reason.
import '@endo/init/debug.js';
import test from 'ava';
import { initSwingStore } from '@crankshaft/swing-store';
import { buildVatController, initializeSwingset, kunser, loadSwingsetConfigFile } from '@crankshaft/kernel';
import { fixturePath, quiet } from './helpers.js';

test.serial('enableSetup under default xsnap, and a node-subprocess vat with nodeOptions, run', async t => {
  const config = await loadSwingsetConfigFile(fixturePath('config', 'config.json'));
  if (!config) throw Error('missing fixture config');
  const c = await buildVatController(config, [], quiet);
  t.teardown(() => c.shutdown());
  await c.run();
  t.is(c.kpStatus(c.bootstrapResult as string), 'fulfilled');
  t.deepEqual(kunser(c.kpResolution(c.bootstrapResult as string)), ['setup ok', 'hello boot']);
  t.deepEqual(c.dump().log, ['setup vat got #["hello",["boot"]] at o+0', 'plain vat hello boot']);
  // The host reaches the setup vat's root as any other.
  const kpid = c.queueToVatRoot('setup', 'again', [], 'ignore');
  await c.run();
  t.is(kunser(c.kpResolution(kpid as string)), 'setup ok');
  t.is(c.dump().log.at(-1), 'setup vat got #["again",[]] at o+0');
});

test.serial('nodeOptions without managerType node-subprocess is refused', async t => {
  const { kernelStorage, hostStorage } = initSwingStore(null);
  t.teardown(() => hostStorage.close());
  const config = {
    vats: { plain: { sourceSpec: fixturePath('config', 'vat-plain.js'), creationOptions: { nodeOptions: ['--x'] } } },
  };
  await t.throwsAsync(initializeSwingset(config, [], kernelStorage), {
    message: /nodeOptions requires managerType 'node-subprocess'/,
  });
});
