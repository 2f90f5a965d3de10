// Class 1 of issue 11: vatPowers.testLog reaches controller.dump().log, in
// order, rendered as SwingSet renders it; it is not a syscall (no transcript
// entry); a replayed delivery appends its lines again, as SwingSet's does
// after a restart. Both manager types: SwingSet renders an argument with no
// JSON form as '' in a local vat and as 'null' in an xsnap vat.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import { openSwingStore, initSwingStore } from '@crankshaft/swing-store';
import { initializeSwingset, makeSwingsetController } from '@crankshaft/kernel';
import { loadCompatConfig, makeTempDir, quiet, type ManagerType } from './helpers.js';

const shapesLine = (undefinedAs: string): string =>
  `shapes:12{"big":3,"long":"xxxxxxxxxxxxxxx...xxxxxxxxxxxxxxx"}${undefinedAs}[1,"yyyyyyyyyyyyyyy...yyyyyyyyyyyyyyy"]`;

for (const managerType of ['local', 'xsnap'] as ManagerType[]) {
  const shapes = shapesLine(managerType === 'xsnap' ? 'null' : '');

  test.serial(`testLog lines reach dump().log in order, and replay re-appends them (${managerType})`, async t => {
    const dir = makeTempDir(`testlog-${managerType}`);
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const config = await loadCompatConfig('testlog', managerType);

    const first = initSwingStore(dir);
    await initializeSwingset(config, [], first.kernelStorage);
    const c1 = await makeSwingsetController(first.kernelStorage, {}, quiet);
    await c1.run();
    c1.queueToVatRoot('bootstrap', 'call', ['host']);
    await c1.run();
    const beforeRestart = ['bootstrap', 'go boot n=1', shapes, 'call host', 'go host n=2', shapes];
    t.deepEqual(c1.dump().log, beforeRestart);

    // Not a syscall: the counter vat's transcript holds no trace of it.
    const counterID = c1.vatNameToID('counter');
    const table = c1.dump().vatTables.find(v => v.vatID === counterID);
    t.truthy(table);
    const transcriptText = JSON.stringify(table?.state.transcript);
    t.true(transcriptText.includes('\\"go\\"'), 'the go messages are in the transcript');
    t.false(transcriptText.includes('go boot n=1'));
    t.false(transcriptText.includes('testLog'));

    // The host's own lines share the log.
    c1.log('from the host');
    t.is(c1.dump().log.at(-1), 'from the host');
    await first.hostStorage.commit();
    await c1.shutdown();
    await first.hostStorage.close();

    // Restart: the log is in memory only, and preload replays each vat's
    // deliveries (vats in name order: bootstrap, then counter), appending
    // their lines again.
    const second = openSwingStore(dir);
    const c2 = await makeSwingsetController(second.kernelStorage, {}, quiet);
    t.teardown(async () => {
      await c2.shutdown();
      await second.hostStorage.close();
    });
    const replayed = ['bootstrap', 'call host', 'go boot n=1', shapes, 'go host n=2', shapes];
    t.deepEqual(c2.dump().log, replayed);
    c2.queueToVatRoot('bootstrap', 'call', ['again']);
    await c2.run();
    t.deepEqual(c2.dump().log, [...replayed, 'call again', 'go again n=3', shapes]);
  });
}
