// The crank loop. Each crank is a swing-store savepoint: pick the next
// event (acceptance queue, terminated-vat cleanup, GC actions, reap queue,
// run queue, in that priority), process it, apply the outcome (rollback on
// abort, meter, dirt, termination, vat-admin notice), process refcounts,
// bump the crank number and emit the crank and activity hashes.
import type { KernelContext } from './context.js';
import type { CrankResults, DeliveryProcessors } from './deliveries.js';
import { NO_DELIVERY } from './deliveries.js';
import { KernelError, messageOf } from '../shared/errors.js';
import type { SendRouter } from './routing.js';
import {
  cleanupBudgetOf,
  consultPolicy,
  foreverPolicy,
  type PolicyInput,
  type RunPolicy,
} from './runPolicies.js';
import { crankFinishProps, crankStartProps, terminateEvent } from '../slog/slog.js';
import { processGCActionSet, type GCActionFacts } from '../state/gcActions.js';
import type {
  CapData,
  CleanupBudget,
  CreateVatEvent,
  RunQueueEvent,
  SendEvent,
  UpgradeVatEvent,
} from '../shared/types.js';

type Processor = (message: RunQueueEvent) => Promise<PolicyInput>;

export interface CrankLoop {
  run(policy?: RunPolicy): Promise<number>;
  step(): Promise<number>;
  /** The sticky panic, if the kernel panicked. */
  panicked(): Error | undefined;
  flushStats(): void;
}

/**
 * The vat-lifecycle cranks the loop dispatches. vat-admin/ implements them and
 * kernel.ts passes them in, so the loop does not import the rooms above it.
 */
export interface LifecycleProcessors {
  processUpgradeVat(message: UpgradeVatEvent): Promise<CrankResults>;
  processCreateVat(message: CreateVatEvent): Promise<CrankResults>;
}

/** Termination as the loop uses it (implemented by vat-admin/termination.ts). */
export interface TerminationProcessor {
  terminateVat(vatID: string, shouldReject: boolean, info: CapData): Promise<void>;
  processCleanupTerminatedVat(vatID: string, budget: CleanupBudget): CrankResults;
}

const gcMessageTypes: ReadonlySet<string> = new Set(['dropExports', 'retireExports', 'retireImports']);

export function makeCrankLoop(
  ctx: KernelContext,
  deliveries: DeliveryProcessors & LifecycleProcessors,
  termination: TerminationProcessor,
  routeSendEvent: SendRouter,
  getPanic: () => Error | undefined,
): CrankLoop {
  const { keeper, slog, warehouse } = ctx;
  const { refcounts, promises, queues } = keeper;

  const gcFacts: GCActionFacts = {
    hasCListEntry: (vatID, kref) => keeper.provideVatKeeper(vatID).hasCListEntry(kref),
    isReachableInCList: (vatID, kref) => keeper.provideVatKeeper(vatID).getReachableFlag(kref),
    objectExists: kref => keeper.objects.kernelObjectExists(kref),
    objectRefCount: kref => refcounts.getObjectRefCount(kref),
  };

  function decrementSendEventRefCount(message: SendEvent): void {
    refcounts.decrementRefCount(message.target, 'deq|msg|t');
    if (message.msg.result) refcounts.decrementRefCount(message.msg.result, 'deq|msg|r');
    message.msg.methargs.slots.forEach((slot, idx) => refcounts.decrementRefCount(slot, `deq|msg|s${idx}`));
  }

  async function deliverRunQueueEvent(message: RunQueueEvent): Promise<CrankResults> {
    switch (message.type) {
      case 'send': {
        const route = routeSendEvent(message);
        if (!route) {
          decrementSendEventRefCount(message);
          return NO_DELIVERY;
        }
        if (route.vatID) {
          decrementSendEventRefCount(message);
          return deliveries.processSend(route.vatID, route.target, message.msg);
        }
        promises.addMessageToPromiseQueue(route.target, message.msg);
        return NO_DELIVERY;
      }
      case 'notify':
        refcounts.decrementRefCount(message.kpid, 'deq|notify');
        return deliveries.processNotify(message);
      case 'startVat':
        return deliveries.processStartVat(message.vatID, message.vatParameters);
      case 'changeVatOptions':
        return deliveries.processChangeVatOptions(message.vatID, message.options);
      case 'upgrade-vat':
        return deliveries.processUpgradeVat(message);
      case 'create-vat':
        return deliveries.processCreateVat(message);
      case 'bringOutYourDead':
        return deliveries.processBringOutYourDead(message.vatID);
      case 'negated-gc-action':
        return NO_DELIVERY;
      case 'cleanup-terminated-vat':
        return termination.processCleanupTerminatedVat(message.vatID, message.budget);
      case 'dropExports':
      case 'retireExports':
      case 'retireImports':
        return deliveries.processGCMessage(message);
      default:
        throw new KernelError('BAD_DATA', `unable to process message.type ${(message as { type: string }).type}`);
    }
  }

  const noFinish = (): void => {};
  /** crank-start now, crank-finish later; nothing at all when no one listens. */
  const startCrankSlog = (crankType: 'routing' | 'delivery', crankNum: number, message: RunQueueEvent) =>
    slog.enabled ? slog.startDuration(['crank-start', 'crank-finish'], crankStartProps(crankType, crankNum, message)) : noFinish;

  function finishCrank(
    finish: (props?: Record<string, unknown>) => void,
    crankNum: number,
  ): void {
    keeper.incrementCrankNumber();
    const { crankhash, activityhash } = keeper.emitCrankHashes();
    if (finish !== noFinish) finish({ ...crankFinishProps(crankhash, activityhash), crankNum });
  }

  async function processDeliveryMessage(message: RunQueueEvent): Promise<PolicyInput> {
    const crankNum = keeper.getCrankNumber();
    const finish = startCrankSlog('delivery', crankNum, message);
    let policyInput: PolicyInput = ['none', {}];
    keeper.establishCrankSavepoint('deliver');
    const results = await deliverRunQueueEvent(message);

    if (message.type === 'cleanup-terminated-vat') {
      if (!results.cleanups) throw new KernelError('BAD_STATE', 'cleanup crank reported no cleanups');
      policyInput = ['cleanup', { cleanups: results.cleanups }];
    } else if (results.didDelivery) {
      policyInput = [message.type === 'create-vat' ? 'create-vat' : 'crank', {}];
    }

    if (results.abort) {
      keeper.rollbackCrank(results.consumeMessage ? 'deliver' : 'start');
    } else if (results.didDelivery && ctx.lookupVat(results.didDelivery)) {
      await warehouse.maybeSaveSnapshot(results.didDelivery, keeper.getSnapshotInterval());
    }
    const { computrons, meterID } = results;
    if (computrons) {
      if (policyInput[0] === 'crank' || policyInput[0] === 'create-vat') policyInput[1].computrons = computrons;
      if (meterID && keeper.deductMeter(meterID, computrons) && ctx.vatAdminRootKref) {
        const { remaining } = keeper.getMeter(meterID);
        ctx.queue.queueToKref(ctx.vatAdminRootKref, 'meterCrossedThreshold', [meterID, remaining], 'logFailure');
      }
    }
    if (results.measureDirt) {
      const { vatID, dirt } = results.measureDirt;
      keeper.provideVatKeeper(vatID).addDirt(dirt);
    }
    if (results.terminate) {
      const { vatID, reject, info } = results.terminate;
      slog.write(terminateEvent(vatID, reject, info));
      await termination.terminateVat(vatID, reject, info);
    }
    if (results.vatAdminMethargs && ctx.vatAdminRootKref) {
      const [method, args] = results.vatAdminMethargs;
      ctx.queue.queueToKref(ctx.vatAdminRootKref, method, args, 'logFailure');
    }
    const { lostObjects } = ctx.gc.processRefcounts();
    const isGC = message.type === 'bringOutYourDead' || gcMessageTypes.has(message.type);
    if (lostObjects.length && !isGC) {
      ctx.console.log(`Ignoring lost krefs from crankNum ${crankNum}: ${lostObjects.join(' ')}`);
    }
    finishCrank(finish, crankNum);
    return policyInput;
  }

  async function processAcceptanceMessage(message: RunQueueEvent): Promise<PolicyInput> {
    const crankNum = keeper.getCrankNumber();
    const finish = startCrankSlog('routing', crankNum, message);
    if (message.type === 'send') {
      const route = routeSendEvent(message);
      if (!route) {
        decrementSendEventRefCount(message);
      } else {
        const { vatID, target } = route;
        if (target !== message.target) {
          // Re-aimed at the object a promise was fulfilled to: move the target's count.
          refcounts.decrementRefCount(message.target, 'deq|msg|t');
          refcounts.incrementRefCount(target, 'enq|msg|t');
        }
        if (vatID) {
          queues.enqueue('runQueue', { ...message, target });
        } else {
          promises.addMessageToPromiseQueue(target, message.msg);
        }
      }
    } else {
      queues.enqueue('runQueue', message);
    }
    ctx.gc.processRefcounts();
    finishCrank(finish, crankNum);
    return ['none', {}];
  }

  function getNextMessageAndProcessor(policy: RunPolicy | undefined): { message?: RunQueueEvent; processor: Processor } {
    const accepted = queues.dequeue('acceptanceQueue');
    if (accepted) return { message: accepted, processor: processAcceptanceMessage };
    const budget = cleanupBudgetOf(policy);
    const terminatedVatID = budget === false ? undefined : keeper.vats.getFirstTerminatedVat();
    const message: RunQueueEvent | undefined =
      (terminatedVatID !== undefined && budget !== false
        ? { type: 'cleanup-terminated-vat', vatID: terminatedVatID, budget }
        : undefined) ??
      processGCActionSet(keeper.gcActions, gcFacts) ??
      queues.nextReapAction() ??
      queues.dequeue('runQueue');
    return message ? { message, processor: processDeliveryMessage } : { processor: processDeliveryMessage };
  }

  let running: string | undefined;
  const isWorkerDeath = (err: unknown): boolean => (err as { code?: unknown } | undefined)?.code === 'WORKER_DIED';

  /** Processes one item; any failure panics the kernel, except a first worker death, which is rethrown. */
  async function tryProcessMessage(processor: Processor, message: RunQueueEvent, mayRetry: boolean): Promise<PolicyInput> {
    if (running) throw new KernelError('LIFECYCLE', `Kernel reentrancy is forbidden (already running ${running})`);
    running = message.type;
    try {
      return await processor(message);
    } catch (err) {
      if (mayRetry && isWorkerDeath(err)) throw err;
      const again = isWorkerDeath(err) ? ' (the worker died again on the retry)' : '';
      ctx.panic(`error during tryProcessMessage${again}: ${messageOf(err)}`, err instanceof Error ? err : undefined);
      return ['crank-failed', {}];
    } finally {
      running = undefined;
    }
  }

  /**
   * Takes the next item and processes it. A worker that dies during it is a
   * fault of this machine, not of the vat: the crank is discarded (the item
   * goes back where it was) and tried once more on a worker brought back
   * from the vat's snapshot and transcript; a second death panics the
   * kernel, leaving the store at its last commit.
   */
  async function processNext(policy: RunPolicy | undefined): Promise<PolicyInput | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const { message, processor } = getNextMessageAndProcessor(policy);
      if (!message) return undefined;
      try {
        return await tryProcessMessage(processor, message, attempt === 1);
      } catch (err) {
        if (!isWorkerDeath(err)) throw err;
        ctx.console.log(`${messageOf(err)}; crank discarded, retrying on a new worker`);
      }
      // Not a rolled-back crank (whose writes stay in the crank hash, as for
      // a vat failure) but one that never happened: a fresh crank, hash
      // included, starting from what this one started from.
      keeper.rollbackCrank('start');
      keeper.endCrank();
      keeper.startCrank();
      keeper.establishCrankSavepoint('start');
      keeper.refcounts.loadMaybeFree();
    }
  }

  function insistRunnable(): void {
    const panic = getPanic();
    if (panic) throw panic;
  }

  return {
    async step() {
      insistRunnable();
      keeper.startCrank();
      try {
        keeper.establishCrankSavepoint('start');
        const done = await processNext(undefined);
        if (done === undefined) return 0;
        insistRunnable();
        return 1;
      } finally {
        keeper.endCrank();
      }
    },
    async run(policy = foreverPolicy()) {
      insistRunnable();
      let count = 0;
      for (;;) {
        keeper.startCrank();
        try {
          keeper.establishCrankSavepoint('start');
          const policyInput = await processNext(policy);
          if (policyInput === undefined) break;
          count += 1;
          insistRunnable();
          if (!consultPolicy(policy, policyInput)) return count;
        } finally {
          keeper.endCrank();
        }
      }
      return count;
    },
    flushStats: () => keeper.flushStats(),
    panicked: getPanic,
  };
}
