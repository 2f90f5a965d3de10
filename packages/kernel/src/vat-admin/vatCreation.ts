// The create-vat crank: record the new dynamic vat (ID list, options,
// source), bring its worker online, deliver startVat, and tell vat-admin
// the root object. Any failure rolls the crank back to after the dequeue,
// so the vat leaves no state behind, and terminates it: vat-admin then
// hears `vatTerminated` instead of `newVatCallback` and rejects the
// creation.
import { loadWorkerBundles, type WorkerBundles } from '@crankshaft/worker-supervisor';
import { insistCapData } from '../shared/capdata.js';
import type { KernelContext } from '../crank/context.js';
import type { CrankResults, DeliveryProcessors } from '../crank/deliveries.js';
import { KernelError, messageOf } from '../shared/errors.js';
import { exportRootObject } from './rootObject.js';
import { kslot, makeError } from '../shared/kmarshal.js';
import { insistVatID } from '../shared/refs.js';
import type { CreateVatEvent } from '../shared/types.js';
import { recordVatOptions } from './vatOptions.js';

export interface VatCreator {
  processCreateVat(message: CreateVatEvent): Promise<CrankResults>;
}

export function makeVatCreator(
  ctx: KernelContext,
  deliveries: Pick<DeliveryProcessors, 'processStartVat'>,
  provideWorkerBundles: () => Promise<WorkerBundles> = loadWorkerBundles,
): VatCreator {
  const { keeper, warehouse } = ctx;

  async function processCreateVat(message: CreateVatEvent): Promise<CrankResults> {
    const { vatID, source, vatParameters, dynamicOptions } = message;
    insistVatID(vatID);
    insistCapData(vatParameters, `create-vat ${vatID} vatParameters`);
    if (!ctx.vatAdminRootKref) throw new KernelError('BAD_STATE', 'create-vat without a vatAdmin vat to report to');
    try {
      // The current worker bundles, sampled now, as for a static vat (a
      // local vat needs none, so none are loaded for it).
      const managerType = dynamicOptions.managerType ?? keeper.getDefaultManagerType();
      const workerBundles = managerType === 'local' ? undefined : await provideWorkerBundles();
      const bundlesForOptions = (): WorkerBundles => {
        if (!workerBundles) throw new KernelError('BAD_STATE', `vat ${vatID}: no worker bundles for managerType ${managerType}`);
        return workerBundles;
      };
      keeper.vats.addDynamicVatID(vatID);
      // Dynamic vats never get disavow (SwingSet forces it off too).
      recordVatOptions(keeper, bundlesForOptions, vatID, source, { ...dynamicOptions, enableDisavow: false });
      await warehouse.ensureVatOnline(vatID);
    } catch (err) {
      ctx.console.log(`error during create-vat ${vatID}: ${messageOf(err)}`);
      return {
        didDelivery: vatID, // it failed, but the time was spent
        abort: true, // erase the partial vat state
        consumeMessage: true, // and do not try again
        terminate: { vatID, reject: true, info: makeError(messageOf(err)) },
      };
    }
    const started = await deliveries.processStartVat(vatID, vatParameters);
    if (started.terminate) return { ...started, consumeMessage: true };
    // Exported only now: a failed startVat must leave no root behind.
    const rootObject = kslot(exportRootObject(keeper, vatID));
    return { ...started, vatAdminMethargs: ['newVatCallback', [vatID, { rootObject }]] };
  }

  return { processCreateVat };
}
