// Promise behaviour end to end: resolution chains, circular resolution,
// messages forwarded through a fulfilled promise, sends to a rejected
// promise and to data, and pipelining on and off. Run on xsnap (the
// default) and on local workers.
import '@endo/init/debug.js';
import test from 'ava';
import { kunser } from '@crankshaft/kernel';
import { buildFixtureController, transcriptOf, type WorkerType } from './kernel-helpers.js';

for (const managerType of ['xsnap', 'local'] as WorkerType[]) {
  test.serial(`promise routing and pipelining (${managerType})`, async t => {
    const controller = await buildFixtureController('promises', managerType);
    t.teardown(() => controller.shutdown());
    await controller.run();
    const kpid = controller.bootstrapResult as string;
    t.is(controller.kpStatus(kpid), 'fulfilled');
    const results = kunser(controller.kpResolution(kpid)) as Record<string, unknown>;

    t.deepEqual(results['chain'], { ok: 'end of chain 4' });
    t.deepEqual(results['circular'], { ok: true });
    t.deepEqual(results['forwarded'], { ok: 'thing t1' });
    // The message sent to a promise that was then rejected is rejected
    // with the very same error.
    t.deepEqual(results['toRejected'], { err: 'Error: no thing' });
    // Fulfilled to plain data: SwingSet's undeliverable-message error text.
    t.deepEqual(results['toNonObject'], { err: 'Error: data is not callable, has no method describe' });
    t.deepEqual(results['pipe'], { ok: [11, 12] });
    t.deepEqual(results['nopipe'], { ok: [11, 12] });

    // With pipelining on, the second increment reaches the vat aimed at the
    // (still unresolved) result promise of makeCounter; without it, it
    // waits in the kernel and arrives aimed at the counter object.
    const targets = (name: string): string[] =>
      transcriptOf(controller, name)
        .filter(item => item.d[0] === 'message')
        .map(item => item.d[1] as string);
    t.true(targets('pipe').some(vref => vref.startsWith('p-')), `pipe targets: ${targets('pipe').join(' ')}`);
    t.false(targets('nopipe').some(vref => vref.startsWith('p')), `nopipe targets: ${targets('nopipe').join(' ')}`);

    // Nothing is left queued anywhere, and every settled promise with no
    // remaining references was collected.
    const dump = controller.dump();
    t.deepEqual(dump.runQueue, []);
    t.deepEqual(dump.acceptanceQueue, []);
    t.deepEqual(
      dump.promises.filter(p => p.state === 'unresolved'),
      [],
    );
  });
}
