// GC end to end: a presence dropped by its only importer leads to
// dropExports and then retireExports in the exporter; a presence that is
// dropped but still recognized (a WeakSet key) gets only dropExports, and
// re-importing it before retirement brings back the same vref and keeps it
// recognizable. Run on xsnap and on local workers.
import '@endo/init/debug.js';
import test from 'ava';
import { kunser, type SwingsetController } from '@crankshaft/kernel';
import { buildFixtureController, transcriptOf, type TranscriptItem, type WorkerType } from './kernel-helpers.js';

async function call(controller: SwingsetController, method: string, args: unknown[] = []): Promise<unknown> {
  const kpid = controller.queueToVatRoot('bootstrap', method, args, 'ignore') as string;
  await controller.run();
  if (controller.kpStatus(kpid) !== 'fulfilled') throw Error(`${method} ended ${controller.kpStatus(kpid)}`);
  return kunser(controller.kpResolution(kpid));
}

/** vrefs appearing in GC deliveries of the given type. */
const gcDeliveries = (items: TranscriptItem[], type: string): string[] =>
  items.filter(item => item.d[0] === type).flatMap(item => item.d[1] as string[]);

/** The vref alice exported in the last `send` syscall she made. */
function lastSentVref(items: TranscriptItem[]): string {
  const sends = items.flatMap(item => item.sc).filter(call => call.s[0] === 'send');
  const last = sends[sends.length - 1];
  const slots = (last?.s[2] as { methargs: { slots: string[] } }).methargs.slots;
  const vref = slots.find(slot => slot.startsWith('o+'));
  if (vref === undefined) throw Error('alice sent no export');
  return vref;
}

for (const managerType of ['xsnap', 'local'] as WorkerType[]) {
  test.serial(`drop, retire and re-import (${managerType})`, async t => {
    const controller = await buildFixtureController('gc', managerType);
    t.teardown(() => controller.shutdown());
    await controller.run();

    // 1. A thing only bob holds: dropped, then retired, in alice.
    t.is(await call(controller, 'give', ['t1', false]), 'bob holds t1');
    const t1 = lastSentVref(transcriptOf(controller, 'alice'));
    t.deepEqual(gcDeliveries(transcriptOf(controller, 'alice'), 'dropExports'), []);
    t.is(await call(controller, 'drop'), 'bob dropped');
    let alice = transcriptOf(controller, 'alice');
    t.deepEqual(gcDeliveries(alice, 'dropExports'), [t1]);
    t.deepEqual(gcDeliveries(alice, 'retireExports'), [t1]);
    const dropAt = alice.findIndex(item => item.d[0] === 'dropExports');
    const retireAt = alice.findIndex(item => item.d[0] === 'retireExports');
    t.true(dropAt < retireAt, 'dropExports comes before retireExports');
    // bob told the kernel with dropImports and retireImports.
    const bobSyscalls = transcriptOf(controller, 'bob').flatMap(item => item.sc.map(sc => sc.s[0]));
    t.true(bobSyscalls.includes('dropImports'));
    t.true(bobSyscalls.includes('retireImports'));

    // 2. A thing bob still recognizes (WeakSet): dropped but not retired.
    t.is(await call(controller, 'give', ['t2', true]), 'bob holds t2');
    const t2 = lastSentVref(transcriptOf(controller, 'alice'));
    t.not(t2, t1);
    t.is(await call(controller, 'drop'), 'bob dropped');
    alice = transcriptOf(controller, 'alice');
    t.deepEqual(gcDeliveries(alice, 'dropExports'), [t1, t2]);
    t.deepEqual(gcDeliveries(alice, 'retireExports'), [t1]);

    // 3. Re-import before retirement: alice sends t2 again; bob sees the
    // same object (his WeakSet still has it), and nothing is retired.
    t.is(await call(controller, 'giveAgain', ['t2']), true);
    t.is(lastSentVref(transcriptOf(controller, 'alice')), t2);
    t.deepEqual(gcDeliveries(transcriptOf(controller, 'alice'), 'retireExports'), [t1]);

    // The kernel object for t1 is gone; the one for t2 lives on.
    const dump = controller.dump();
    const aliceID = controller.vatNameToID('alice');
    const owned = dump.kernelTable.filter(([, vatID, vref]) => vatID === aliceID && vref.startsWith('o+')).map(row => row[2]);
    t.false(owned.includes(t1));
    t.true(owned.includes(t2));
    t.deepEqual(dump.gcActions, []);
  });
}
