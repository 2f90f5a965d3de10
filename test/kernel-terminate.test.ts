// An illegal syscall terminates only the vat that made it: the vat gets
// SwingSet's error reply, its crank is rolled back, the promises it
// decided are rejected with "vat terminated", messages to its objects are
// rejected the same way, and the other vats and the kernel carry on.
// mallory's worker is scripted (liveslots never makes illegal syscalls).
import '@endo/init/debug.js';
import test from 'ava';
import { kunser, type SlogRecord } from '@crankshaft/kernel';
import type { VatWorker, VatSyscallResult } from '@crankshaft/worker-supervisor';
import { buildFixtureController, type WorkerType } from './kernel-helpers.js';

/** A worker that answers startVat and BOYD, and makes an illegal syscall on any message. */
function makeMalloryWorker(vatID: string, replies: VatSyscallResult[]): VatWorker {
  return {
    vatID,
    kind: 'local',
    async deliver(delivery, syscallHandler) {
      if (delivery[0] === 'message') {
        // o-99 was never imported: the kernel must refuse to translate it.
        replies.push(syscallHandler(['send', 'o-99', { methargs: { body: '#["boom",[]]', slots: [] }, result: null }]));
      }
      return { status: 'ok' };
    },
    async shutdown() {},
  };
}

for (const managerType of ['xsnap', 'local'] as WorkerType[]) {
  test.serial(`an illegal syscall terminates only that vat (${managerType})`, async t => {
    const replies: VatSyscallResult[] = [];
    const slog: SlogRecord[] = [];
    const controller = await buildFixtureController('terminate', managerType, {
      slogSender: record => {
        if (record.type === 'terminate') slog.push(record);
      },
      wrapWorkerStarter: starter => async request =>
        request.config.name === 'mallory' ? makeMalloryWorker(request.vatID, replies) : starter(request),
    });
    t.teardown(() => controller.shutdown());
    const malloryID = controller.vatNameToID('mallory');
    // Keep alice's root alive past bootstrap, so the host can call it later.
    controller.pinVatRoot('alice');
    await controller.run();

    t.deepEqual(replies, [['error', 'syscall translation error: prepare to die']]);
    const results = kunser(controller.kpResolution(controller.bootstrapResult as string));
    t.deepEqual(results, {
      fromMallory: { err: 'Error: vat terminated' },
      afterDeath: { err: 'Error: vat terminated' },
      fromAlice: { ok: 'hello bootstrap' },
    });

    // mallory is gone (no name, no state); the termination is slogged with
    // the reason, and alice and the kernel are fine.
    t.throws(() => controller.vatNameToID('mallory'), { message: /must exist/ });
    t.is(slog.length, 1);
    t.like(slog[0], { vatID: malloryID, shouldReject: true });
    t.regex(JSON.stringify(slog[0]?.['info']), /syscall translation error: prepare to die/);
    const dump = controller.dump();
    t.false(dump.vatTables.some(table => table.vatID === malloryID), 'slow cleanup deleted the vat state');
    t.false(dump.kernelTable.some(([, vatID]) => vatID === malloryID));
    t.true(controller.getStatus().activeVats.some(vat => vat.id === controller.vatNameToID('alice')));
    const kpid = controller.queueToVatRoot('alice', 'hello', ['host'], 'ignore') as string;
    await controller.run();
    t.deepEqual(kunser(controller.kpResolution(kpid)), 'hello host');
  });
}
