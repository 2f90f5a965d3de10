// The local worker: liveslots in the kernel's own process (which must run
// under SES lockdown). Same VatWorker contract as xsnap, for fast tests; no
// metering and no heap snapshots. GC is deterministic as on xsnap: a vat
// learns of dropped objects only at bringOutYourDead (deterministicGc.ts).
import v8 from 'node:v8';
import vm from 'node:vm';
import { makeForwardingConsole, renderTestLogArg } from './consoleFormat.js';
import { makeDeterministicGcTools } from './deterministicGc.js';
import { makeDeliveryPipeline, describeSyscallFailure, type DeliveryPipeline } from './deliveryPipeline.js';
import { WorkerError } from './errors.js';
import { makeLiveslotsSyscall } from './liveslotsSyscall.js';
import { makeMeterControl } from './meterControl.js';
import { makeRecordedAnswers, type RecordedAnswers } from './replayAnswers.js';
import { describeDelivery, isResultlessSyscall } from './protocol.js';
import type {
  DeliveryResult,
  LiveSlotsOptions,
  ReplayedDelivery,
  ReplayRequest,
  VatBundle,
  VatConsoleSink,
  VatDeliveryObject,
  VatSyscallHandler,
  VatWorker,
} from './types.js';
import { makeVatRuntime } from './vatRuntime.js';

export interface LocalWorkerOptions {
  vatID: string;
  vatName?: string;
  vatBundle: VatBundle;
  liveSlotsOptions?: LiveSlotsOptions;
  onConsole?: VatConsoleSink;
  /** SwingSet's enableSetup: run the bundle's setup() instead of liveslots. */
  enableSetup?: boolean;
}

export interface LocalVatWorker extends VatWorker {
  readonly kind: 'local';
  replay(requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]>;
}

const nextImmediate = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

let engineGC: (() => void) | undefined;
/**
 * A full collection whose result depends only on what is reachable. Two
 * things make a bare gc() keep dropped objects alive, depending on timing:
 * - an optimizing compile running on a background thread holds strong
 *   handles to objects it compiles against (receivers, closures) until it
 *   finishes; V8's %FinalizeOptimization waits for those compiles first;
 * - a gc() that lands in an incremental marking the engine began on its
 *   own only completes that cycle; a second gc() starts from nothing.
 */
function getEngineGC(): () => void {
  if (engineGC === undefined) {
    const ambient = (globalThis as { gc?: unknown }).gc;
    let gc: () => void;
    if (typeof ambient === 'function') {
      gc = ambient as () => void;
    } else {
      v8.setFlagsFromString('--expose_gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    // Compiled and run while the natives syntax is on, every time: a
    // function kept for later would be parsed again, with the syntax off,
    // once the engine flushes its bytecode.
    let canFinishCompiles = true;
    const finishCompiles = (): void => {
      if (!canFinishCompiles) return;
      v8.setFlagsFromString('--allow-natives-syntax');
      try {
        vm.runInThisContext('%FinalizeOptimization();');
      } catch {
        // An engine without it: collections may then keep a little more.
        canFinishCompiles = false;
      } finally {
        v8.setFlagsFromString('--no-allow-natives-syntax');
      }
    };
    engineGC = () => {
      finishCompiles();
      gc();
      gc();
    };
  }
  return engineGC;
}

// Two turns: the job that deref'd a WeakRef must end before the engine
// lets its target go.
const settle = async (): Promise<void> => {
  await nextImmediate();
  await nextImmediate();
};

export async function startLocalVatWorker(options: LocalWorkerOptions): Promise<LocalVatWorker> {
  const { vatID, vatName = vatID, vatBundle, liveSlotsOptions = {} } = options;
  const onConsole: VatConsoleSink =
    options.onConsole ?? (entry => console.log(`${entry.vatName}:`, ...entry.args));
  const label = vatName === vatID ? vatID : `${vatID} (${vatName})`;
  if (typeof (globalThis as { lockdown?: unknown }).lockdown !== 'function') {
    throw new WorkerError('WORKER_START', `vat ${label}: the local worker needs SES (import '@endo/init' first)`);
  }
  const forwardConsole = (source: string, level: string, args: string[]): void =>
    onConsole({ vatID, vatName, source, level, args });

  // WeakRefs and finalizers that change only at bringOutYourDead.
  const gcTools = makeDeterministicGcTools({ engineGC: getEngineGC(), settle });
  let pipeline: DeliveryPipeline | undefined;
  // Set while a replayed delivery runs: its syscalls are answered from the record.
  let recorded: RecordedAnswers | undefined;
  let dead: string | undefined;
  let busy: string | undefined;

  const runtime = makeVatRuntime({
    vatID,
    vatBundle,
    liveSlotsOptions,
    enableSetup: options.enableSetup === true,
    syscall: makeLiveslotsSyscall(vso => {
      if (recorded !== undefined) return recorded.syscall(vso);
      if (pipeline === undefined) {
        return ['error', 'syscalls are only allowed during a delivery'];
      }
      const result = pipeline.processItems([['syscall', vso]]);
      // Like a batched xsnap worker: a rejected result-less syscall dooms
      // the delivery (the pipeline remembers it) but is not thrown into the
      // vat, which would surface as unhandled rejections in this process.
      return result[0] === 'error' && isResultlessSyscall(vso[0]) ? ['ok', null] : result;
    }),
    gcTools: {
      WeakRef: gcTools.WeakRef,
      FinalizationRegistry: gcTools.FinalizationRegistry,
      waitUntilQuiescent: nextImmediate,
      gcAndFinalize: gcTools.gcAndFinalize,
      meterControl: makeMeterControl(),
    },
    makeConsole: source => makeForwardingConsole((level, args) => forwardConsole(source, level, args)),
    endowments: {
      assert: (globalThis as Record<string, unknown>)['assert'],
      HandledPromise: (globalThis as Record<string, unknown>)['HandledPromise'],
      TextEncoder,
      TextDecoder,
      // SwingSet's local vats see URL as undefined (its kernel runs in a
      // compartment without one); import-bundle would otherwise endow Node's.
      URL: undefined,
    },
    vatPowers: {
      // Rendered as in the kernel's own realm (undefined becomes '').
      testLog: (...args: unknown[]) => {
        const rendered = args.map(arg => renderTestLogArg(arg, ''));
        forwardConsole('testLog', 'log', rendered);
      },
    },
  });

  const insistIdle = (what: string): void => {
    if (dead !== undefined) {
      throw new WorkerError('WORKER_DEAD', `vat ${label}: cannot deliver ${what}: ${dead}`);
    }
    if (busy !== undefined) {
      throw new WorkerError('WORKER_BUSY', `vat ${label}: cannot deliver ${what} while ${busy} is running`);
    }
  };

  const deliver = async (delivery: VatDeliveryObject, syscallHandler: VatSyscallHandler): Promise<DeliveryResult> => {
    const what = describeDelivery(delivery);
    insistIdle(what);
    busy = what;
    const thisPipeline = makeDeliveryPipeline(syscallHandler, forwardConsole);
    pipeline = thisPipeline;
    try {
      // Round-trip through JSON, as a worker process would see it.
      const outcome = await runtime.dispatch(JSON.parse(JSON.stringify(delivery)) as VatDeliveryObject);
      const handlerError = thisPipeline.handlerError();
      if (handlerError !== undefined) throw handlerError;
      const failure = thisPipeline.failure();
      if (failure !== undefined) return { status: 'error', error: describeSyscallFailure(failure) };
      return outcome[0] === 'ok' ? { status: 'ok' } : { status: 'error', error: outcome[1] };
    } finally {
      pipeline = undefined;
      busy = undefined;
    }
  };

  // Replay mode: the same answers an xsnap worker gives (replayAnswers.ts),
  // with the batched semantics this worker always has.
  const replay = async (requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]> => {
    const reports: ReplayedDelivery[] = [];
    for (const { delivery, results } of requests) {
      const what = `replayed ${describeDelivery(delivery)}`;
      insistIdle(what);
      busy = what;
      const answers = makeRecordedAnswers(results, true);
      recorded = answers;
      try {
        const outcome = await runtime.dispatch(JSON.parse(JSON.stringify(delivery)) as VatDeliveryObject);
        const { failure } = answers;
        const result: DeliveryResult =
          failure !== undefined
            ? { status: 'error', error: failure }
            : outcome[0] === 'ok'
              ? { status: 'ok' }
              : { status: 'error', error: outcome[1] };
        reports.push({ syscalls: answers.made, result });
      } finally {
        recorded = undefined;
        busy = undefined;
      }
    }
    return reports;
  };

  const shutdown = async (): Promise<void> => {
    dead ??= 'worker was shut down';
  };

  return { vatID, kind: 'local', deliver, replay, shutdown };
}
