// The run-until-done helpers hosts' tests import from
// @agoric/swingset-vat/tools/run-utils.js, under the same names:
// makeRunUtils(controller, harness?) → { queueAndRun, EV }. Each call queues
// one message, runs the kernel (under the harness's policy, if any) and
// returns the settled result; calls are serialized so they never overlap.
import { kunser } from '../shared/kmarshal.js';
import { KernelError } from '../shared/errors.js';
import type { RunPolicy } from '../crank/runPolicies.js';
import type { SwingsetController } from './controller.js';

export interface RunHarness {
  provideRunPolicy(): RunPolicy | undefined;
}

type Invoke = (...args: unknown[]) => Promise<unknown>;
type MethodsProxy = Record<string, Invoke>;

export interface EVProxy {
  (presence: unknown): MethodsProxy;
  /** Methods of a static vat's root: `EV.vat('foo').m(0)`. */
  vat(vatName: string): MethodsProxy;
  /** Methods whose results are ignored (result policy 'none'). */
  sendOnly(presence: unknown): MethodsProxy;
  /** Properties fetched through the bootstrap vat's `awaitVatObject(presence, [key])`. */
  get(presence: unknown): Record<string, Promise<unknown>>;
}

export interface RunUtils {
  queueAndRun(deliver: () => string | undefined | void | Promise<string | undefined | void>, voidResult?: boolean): Promise<unknown>;
  EV: EVProxy;
}

export function makeRunUtils(controller: SwingsetController, harness?: RunHarness): RunUtils {
  // A promise chain as the mutex: each call waits for the previous run.
  let previous: Promise<unknown> = Promise.resolve();

  const queueAndRun: RunUtils['queueAndRun'] = async (deliver, voidResult = false) => {
    const mine = previous.then(async () => {
      const kpid = await deliver();
      await controller.run(harness?.provideRunPolicy());
      if (voidResult) return undefined;
      if (typeof kpid !== 'string') throw new KernelError('BAD_ARGUMENT', 'queueAndRun: the delivery returned no result kpid');
      const status = controller.kpStatus(kpid);
      switch (status) {
        case 'fulfilled':
          return kunser(controller.kpResolution(kpid));
        case 'rejected':
          throw kunser(controller.kpResolution(kpid));
        case 'unresolved':
          throw new KernelError('BAD_STATE', `unsettled value for ${JSON.stringify(kpid)}`);
        default:
          throw new KernelError('BAD_STATE', `unknown promise status ${JSON.stringify(kpid)} ${JSON.stringify(status)}`);
      }
    });
    previous = mine.catch(reason => console.log('controller.run() failure', reason));
    return mine;
  };

  const methodsProxy = (
    queue: (method: string, args: unknown[], policy: 'none' | undefined) => string | undefined,
    voidResult = false,
  ): MethodsProxy =>
    new Proxy(harden({}) as MethodsProxy, {
      get: (_target, method) => {
        if (typeof method !== 'string') return undefined;
        return harden((...args: unknown[]) =>
          queueAndRun(() => queue(method, args, voidResult ? 'none' : undefined), voidResult),
        );
      },
    });

  const EV = Object.assign(
    (presence: unknown) => methodsProxy((m, a, p) => controller.queueToVatObject(presence, m, a, p)),
    {
      vat: (vatName: string) => methodsProxy((m, a, p) => controller.queueToVatRoot(vatName, m, a, p)),
      sendOnly: (presence: unknown) => methodsProxy((m, a, p) => controller.queueToVatObject(presence, m, a, p), true),
      get: (presence: unknown) =>
        new Proxy(harden({}) as Record<string, Promise<unknown>>, {
          get: (_target, key) => {
            if (typeof key !== 'string') return undefined;
            return EV.vat('bootstrap')['awaitVatObject']?.(presence, [key]);
          },
        }),
    },
  ) as EVProxy;

  return harden({ queueAndRun, EV });
}
