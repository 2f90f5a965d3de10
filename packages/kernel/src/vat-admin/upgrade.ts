// Vat upgrade: the kernel hook that queues an `upgrade-vat` event, and the
// crank that processes it. The crank is one savepoint: a final BOYD to the
// old incarnation, rejection of the promises it decides, abandonment of
// its non-durable exports, a new worker incarnation with the new source,
// then startVat. If BOYD or startVat fails, the crank rolls back to its
// 'deliver' savepoint, which restores the old incarnation's transcript,
// snapshot and kv exactly, and the old code keeps running.
import type { WorkerOptions } from '@crankshaft/worker-supervisor';
import { insistCapData } from '../shared/capdata.js';
import type { KernelContext } from '../crank/context.js';
import type { CrankResults, DeliveryProcessors } from '../crank/deliveries.js';
import { NO_DELIVERY } from '../crank/deliveries.js';
import { KernelError } from '../shared/errors.js';
import { kser, kunser } from '../shared/kmarshal.js';
import { insistVatID } from '../shared/refs.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import type { CapData, KernelDeliveryObject, UpgradeVatEvent } from '../shared/types.js';

/** What promises a vat decided are rejected with when it is upgraded (SwingSet's shape). */
export interface UpgradeDisconnection {
  name: 'vatUpgraded';
  upgradeMessage: string;
  incarnationNumber: number;
}

export function makeUpgradeDisconnection(upgradeMessage: string, incarnationNumber: number): UpgradeDisconnection {
  return harden({ name: 'vatUpgraded', upgradeMessage, incarnationNumber });
}

export interface UpgradeRequest {
  vatID: string;
  bundleID: string;
  /** Passable vat parameters (kslot stand-ins for krefs). */
  vatParameters: unknown;
  upgradeMessage: string;
}

/**
 * Queues an `upgrade-vat` event on the acceptance queue and returns its
 * upgradeID. The vatParameters' krefs are held (`upgrade-vat-event`) until
 * the upgrade crank translates them for the vat.
 */
export function queueUpgradeVat(keeper: KernelKeeper, request: UpgradeRequest): string {
  const { vatID, bundleID, upgradeMessage } = request;
  insistVatID(vatID);
  if (typeof bundleID !== 'string') throw new KernelError('BAD_ARGUMENT', `upgrade of ${vatID}: bundleID must be a string`);
  if (typeof upgradeMessage !== 'string') {
    throw new KernelError('BAD_ARGUMENT', `upgrade of ${vatID}: upgradeMessage must be a string`);
  }
  const vatParameters = kser(request.vatParameters);
  for (const kref of vatParameters.slots) keeper.refcounts.incrementRefCount(kref, 'upgrade-vat-event');
  const upgradeID = keeper.vats.allocateUpgradeID();
  const event: UpgradeVatEvent = { type: 'upgrade-vat', vatID, upgradeID, bundleID, vatParameters, upgradeMessage };
  keeper.queues.enqueue('acceptanceQueue', event);
  return upgradeID;
}

/** The vat-admin device hook `upgrade`: capdata [vatID, bundleID, vatParameters, upgradeMessage] -> upgradeID. */
export function makeUpgradeHook(keeper: KernelKeeper): (args: CapData) => CapData {
  return args => {
    const decoded = kunser(args);
    if (!Array.isArray(decoded) || decoded.length !== 4) {
      throw new KernelError('BAD_ARGUMENT', 'upgrade hook takes [vatID, bundleID, vatParameters, upgradeMessage]');
    }
    const [vatID, bundleID, vatParameters, upgradeMessage] = decoded as [string, string, unknown, string];
    return kser(queueUpgradeVat(keeper, { vatID, bundleID, vatParameters, upgradeMessage }));
  };
}

type DeliveryTools = Pick<DeliveryProcessors, 'deliverAndLogToVat' | 'deliveryCrankResults' | 'translate'>;

export interface UpgradeTools {
  /** The worker options the new incarnation records (current lockdown/supervisor bundles). */
  refreshWorkerOptions(old: WorkerOptions): Promise<WorkerOptions>;
}

const addComputrons = (a: bigint | undefined, b: bigint | undefined): bigint | undefined =>
  a === undefined && b === undefined ? undefined : (a ?? 0n) + (b ?? 0n);

/** The human-readable reason inside termination info capdata. */
function reasonOf(info: CapData): string {
  try {
    const value = kunser(info);
    if (value instanceof Error) return value.message;
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return info.body;
  }
}

export function makeUpgradeProcessor(ctx: KernelContext, deliveries: DeliveryTools, tools: UpgradeTools) {
  const { keeper, warehouse } = ctx;

  const incarnationOf = (vatID: string): number => {
    try {
      return keeper.storage.transcriptStore.getCurrentSpanBounds(vatID).incarnation;
    } catch {
      return 0; // never delivered to: no transcript yet
    }
  };

  /** The callback that tells vat-admin the upgrade failed, and why. */
  const failureCallback = (upgradeID: string, vatID: string, why: string): NonNullable<CrankResults['vatAdminMethargs']> => [
    'vatUpgradeCallback',
    [upgradeID, false, Error(`vat-upgrade failure: ${vatID}: ${why}`)],
  ];

  async function processUpgradeVat(message: UpgradeVatEvent): Promise<CrankResults> {
    const { vatID, upgradeID, bundleID, vatParameters, upgradeMessage } = message;
    insistVatID(vatID);
    insistCapData(vatParameters, 'upgrade vatParameters');
    const releaseParameters = (): void => {
      for (const kref of vatParameters.slots) keeper.refcounts.decrementRefCount(kref, 'upgrade-vat-event');
    };
    const vatInfo = ctx.lookupVat(vatID);
    if (!vatInfo) {
      // Terminated while the event was queued. (SwingSet keeps holding the krefs here.)
      releaseParameters();
      return NO_DELIVERY;
    }
    const vatKeeper = keeper.provideVatKeeper(vatID);
    if (!keeper.hasBundle(bundleID)) {
      // Nothing has happened yet: refuse without touching the vat.
      releaseParameters();
      return { vatAdminMethargs: failureCallback(upgradeID, vatID, `bundle ${bundleID} is not installed`) };
    }
    const { meterID } = vatInfo;
    const oldIncarnation = incarnationOf(vatID);
    const disconnection = kser(makeUpgradeDisconnection(upgradeMessage, oldIncarnation));
    ctx.console.log(`attempting to upgrade vat ${vatID} from incarnation ${oldIncarnation} to source ${bundleID}`);
    let computrons: bigint | undefined;

    /** Unwind everything (the crank loop rolls back to 'deliver'); the vat keeps its old code. */
    const abortUpgrade = async (failed: CrankResults, reason: string): Promise<CrankResults> => {
      ctx.console.log(`WARNING: vat ${vatID} failed to upgrade from incarnation ${oldIncarnation}: ${reason}`);
      await warehouse.stopWorker(vatID);
      // The RAM caches saw the new source; after the rollback they must not.
      ctx.forgetVat(vatID);
      const { terminate: _dropped, measureDirt: _ignored, ...kept } = failed;
      const results: CrankResults = {
        ...kept,
        abort: true,
        consumeMessage: true,
        vatAdminMethargs: failureCallback(upgradeID, vatID, reason),
      };
      if (computrons !== undefined) results.computrons = computrons;
      return results;
    };

    // 1. A last BOYD, so the old incarnation can drop what it no longer needs.
    const boydKD: KernelDeliveryObject = ['bringOutYourDead'];
    const boydStatus = await deliveries.deliverAndLogToVat(vatID, boydKD, deliveries.translate(vatID, boydKD));
    const boydResults = deliveries.deliveryCrankResults(vatID, boydStatus, false);
    computrons = addComputrons(computrons, boydResults.computrons); // reported, never charged
    if (boydResults.terminate) return abortUpgrade(boydResults, `bringOutYourDead failed: ${reasonOf(boydResults.terminate.info)}`);

    // 2. Every promise the old incarnation decides is disconnected.
    const decided = [...keeper.enumeratePromisesByDecider(vatID)];
    for (const [kpid, p] of decided) {
      const selfSubscribed = p.state === 'unresolved' && p.subscribers.includes(vatID);
      ctx.queue.resolveToError(kpid, disconnection, vatID);
      // A self-subscribed vat gets a notify, whose delivery retires the entry.
      if (!selfSubscribed) vatKeeper.deleteCListEntriesForKernelSlots([kpid]);
    }

    // 3. Abandon the exports the new code cannot have: all but the root and durables.
    for (const { kref } of [...keeper.enumerateNonDurableObjectExports(vatID)]) {
      ctx.gc.orphanKernelObject(kref, vatID);
    }

    // 4. A new incarnation: shutdown-worker, no snapshot, transcript rollover.
    const newIncarnation = await warehouse.beginNewWorkerIncarnation(vatID);
    const oldOptions = vatKeeper.getOptions();
    const workerOptions = await tools.refreshWorkerOptions(oldOptions.workerOptions);
    vatKeeper.setSourceAndOptions({ bundleID }, { ...oldOptions, workerOptions });
    vatKeeper.setVatParameters(vatParameters);
    ctx.forgetVat(vatID); // the warehouse must start the new bundle

    // 5. startVat: the new span opens with initialize-worker naming the new bundle.
    const startKD: KernelDeliveryObject = ['startVat', vatParameters];
    const startVD = deliveries.translate(vatID, startKD);
    releaseParameters(); // translation holds them now
    try {
      await warehouse.ensureVatOnline(vatID);
    } catch (err) {
      // A worker that cannot even start (its worker bundles are missing) is
      // a failed upgrade; errors during the delivery itself stay kernel errors.
      return abortUpgrade({}, `the new worker did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    const startStatus = await deliveries.deliverAndLogToVat(vatID, startKD, startVD);
    const startResults = deliveries.deliveryCrankResults(vatID, startStatus, true, meterID);
    computrons = addComputrons(computrons, startResults.computrons);
    if (startResults.terminate) {
      return abortUpgrade(startResults, `startVat failed: ${reasonOf(startResults.terminate.info)}`);
    }
    ctx.console.log(`vat ${vatID} upgraded from incarnation ${oldIncarnation} to ${newIncarnation} with source ${bundleID}`);
    // As SwingSet: no didDelivery (no snapshot check this crank) and no dirt.
    const results: CrankResults = {
      vatAdminMethargs: ['vatUpgradeCallback', [upgradeID, true, undefined, newIncarnation]],
    };
    if (computrons !== undefined) results.computrons = computrons;
    if (meterID !== undefined) results.meterID = meterID;
    return results;
  }

  return { processUpgradeVat };
}

export type UpgradeProcessor = ReturnType<typeof makeUpgradeProcessor>;
