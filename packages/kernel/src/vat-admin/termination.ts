// Vat termination: immediate bookkeeping (the vat leaves the name lists,
// joins `vats.terminated`, its transcript and snapshot stop being current,
// the promises it decides are rejected with "vat terminated", vat-admin
// hears about it), then budgeted slow deletion in later cranks.
import type { KernelContext } from '../crank/context.js';
import { insistCapData } from '../shared/capdata.js';
import type { CrankResults } from '../crank/deliveries.js';
import { kunser, makeError } from '../shared/kmarshal.js';
import type { CleanupBudget } from '../crank/runPolicies.js';
import { vatCleanupCompleteEvent, vatCleanupEvent } from '../slog/slog.js';
import { cleanupAfterTerminatedVat } from './cleanup.js';
import type { CapData } from '../shared/types.js';

export function makeTermination(ctx: KernelContext) {
  const { keeper, queue, warehouse } = ctx;

  /**
   * Everything that decides the outcome happens synchronously, before the
   * first await: a vat-admin hook terminates a vat in the middle of another
   * vat's delivery, and that crank must see the bookkeeping, the rejected
   * promises and the vat-admin notice at once. Only archiving the last
   * transcript span and stopping the worker are left to the promise.
   */
  function terminateVat(vatID: string, shouldReject: boolean, info: CapData): Promise<void> {
    ctx.console.log(`kernel terminating vat ${vatID} (failure=${shouldReject})`);
    insistCapData(info, 'termination info');
    let critical = false;
    const deferred: Promise<void>[] = [];
    if (keeper.vats.vatIsAlive(vatID)) {
      critical = keeper.provideVatKeeper(vatID).getOptions().critical;
      keeper.vats.deleteVatID(vatID);
      keeper.vats.markVatAsTerminated(vatID);
      keeper.storage.snapStore.stopUsingLastSnapshot(vatID);
      // Its DB work is done before it returns; the promise is the archive.
      deferred.push(keeper.storage.transcriptStore.stopUsingTranscript(vatID));
      const errorData = makeError('vat terminated');
      // Collected first: c-list key order, as SwingSet rejects them.
      const decided = [...keeper.enumeratePromisesByDecider(vatID)].map(([kpid]) => kpid);
      for (const kpid of decided) queue.resolveToError(kpid, errorData, vatID);
    }
    ctx.forgetVat(vatID);
    if (critical) {
      ctx.panic(`critical vat ${vatID} failed`, Error(info.body));
    } else if (ctx.vatAdminRootKref) {
      queue.queueToKref(ctx.vatAdminRootKref, 'vatTerminated', [vatID, shouldReject, kunser(info)], 'logFailure');
    } else {
      ctx.console.log(`warning: vat ${vatID} terminated without a vatAdmin to report to`);
    }
    deferred.push(
      warehouse.stopWorker(vatID).catch(err => {
        ctx.console.log(`vat ${vatID} worker stop failed after termination (ignored): ${String(err)}`);
      }),
    );
    return Promise.all(deferred).then(() => undefined);
  }

  function processCleanupTerminatedVat(vatID: string, budget: CleanupBudget): CrankResults {
    const started = performance.now();
    const { done, work } = cleanupAfterTerminatedVat(keeper, ctx.gc, vatID, budget);
    ctx.slog.write(vatCleanupEvent(vatID, work, (performance.now() - started) / 1000));
    const total = work.exports + work.imports + work.promises + work.kv + work.snapshots + work.transcripts;
    if (done) {
      keeper.vats.forgetTerminatedVat(vatID);
      ctx.slog.write(vatCleanupCompleteEvent(vatID));
    }
    return { computrons: 0n, cleanups: { total, ...work } };
  }

  return { terminateVat, processCleanupTerminatedVat };
}

export type Termination = ReturnType<typeof makeTermination>;
