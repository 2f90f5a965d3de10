// Scenarios every VatWorker must pass (xsnap and local alike), registered
// into the calling test file. One worker is shared by the serial chain;
// scenarios that ruin a worker start their own.
import type { TestFn } from 'ava';
import type { VatConsoleSink, VatSyscallObject, VatWorker } from '../src/types.js';
import {
  capdata,
  makeConsoleRecorder,
  makeFakeKernel,
  message,
  presenceRef,
  promiseRef,
  startVat,
  syscallTypes,
  type FakeKernel,
} from './harness.js';

export interface ScenarioWorkerOptions {
  vatID: string;
  vatName: string;
  onConsole: VatConsoleSink;
  batchSyscalls?: boolean;
}
export type StartWorker = (options: ScenarioWorkerOptions) => Promise<VatWorker>;

export interface Shared {
  worker: VatWorker;
  kernel: FakeKernel;
  console: ReturnType<typeof makeConsoleRecorder>;
}

const findSyscall = (syscalls: VatSyscallObject[], type: string): VatSyscallObject | undefined =>
  syscalls.find(s => s[0] === type);

/** Registers the scenarios; returns access to the shared (serial-chain) worker. */
export function defineCommonScenarios(test: TestFn, kind: string, startWorker: StartWorker): () => Shared {
  let shared: Shared | undefined;
  const use = (): Shared => {
    if (shared === undefined) throw Error('shared worker did not start');
    return shared;
  };

  test.before(async () => {
    const recorder = makeConsoleRecorder();
    const worker = await startWorker({ vatID: 'v1', vatName: 'scenarios', onConsole: recorder.sink });
    shared = { worker, kernel: makeFakeKernel(), console: recorder };
  });
  test.after.always(async () => {
    await shared?.worker.shutdown();
  });

  test.serial(`${kind}: startVat builds the root object and baggage`, async t => {
    const { worker, kernel } = use();
    const result = await worker.deliver(startVat(), kernel.handler);
    t.is(result.status, 'ok', result.error);
    const types = syscallTypes(kernel.takeSyscalls());
    t.true(types.includes('vatstoreGet'));
    t.true(types.includes('vatstoreSet'));
    t.true(kernel.vatstore.has('baggageID'), 'baggage was created in the vatstore');
  });

  test.serial(`${kind}: a message result is resolved with syscall.resolve`, async t => {
    const { worker, kernel } = use();
    const result = await worker.deliver(message('o+0', 'ping', ['hi'], 'p-60'), kernel.handler);
    t.is(result.status, 'ok');
    t.deepEqual(kernel.takeSyscalls(), [['resolve', [['p-60', false, capdata('pong hi')]]]]);
  });

  test.serial(`${kind}: the vat runs locked down, with VatData and no timers`, async t => {
    const { worker, kernel } = use();
    await worker.deliver(message('o+0', 'environment', [], 'p-59'), kernel.handler);
    t.deepEqual(kernel.takeSyscalls(), [
      ['resolve', [['p-59', false, capdata({ hardened: true, intrinsicsFrozen: true, timers: false, vatData: true })]]],
    ]);
  });

  test.serial(`${kind}: a send to an import becomes syscall.send (and subscribe)`, async t => {
    const { worker, kernel } = use();
    const delivery = message('o+0', 'sendTo', [presenceRef(0), 'hello'], 'p-61', ['o-50']);
    const result = await worker.deliver(delivery, kernel.handler);
    t.is(result.status, 'ok');
    const syscalls = kernel.takeSyscalls();
    const send = findSyscall(syscalls, 'send');
    if (send?.[0] !== 'send') return t.fail(`no send in ${JSON.stringify(syscalls)}`);
    t.is(send[1], 'o-50');
    t.deepEqual(send[2].methargs, capdata(['hello', ['hello']]));
    const resultVpid = send[2].result;
    t.regex(String(resultVpid), /^p\+\d+$/);
    t.deepEqual(findSyscall(syscalls, 'subscribe'), ['subscribe', String(resultVpid)]);
    return undefined;
  });

  test.serial(`${kind}: notify settles a promise the vat holds`, async t => {
    const { worker, kernel } = use();
    let result = await worker.deliver(message('o+0', 'watch', [promiseRef(0)], null, ['p-62']), kernel.handler);
    t.is(result.status, 'ok');
    t.deepEqual(kernel.takeSyscalls(), [['subscribe', 'p-62']]);
    result = await worker.deliver(['notify', [['p-62', false, capdata('done')]]], kernel.handler);
    t.is(result.status, 'ok');
    result = await worker.deliver(message('o+0', 'getWatched', [], 'p-63'), kernel.handler);
    t.is(result.status, 'ok');
    t.deepEqual(kernel.takeSyscalls(), [['resolve', [['p-63', false, capdata('fulfilled done')]]]]);
  });

  test.serial(`${kind}: bringOutYourDead drops and retires a dropped presence`, async t => {
    const { worker, kernel } = use();
    await worker.deliver(message('o+0', 'hold', [presenceRef(0)], null, ['o-51']), kernel.handler);
    await worker.deliver(['bringOutYourDead'], kernel.handler);
    const whileHeld = kernel.takeSyscalls();
    t.false(JSON.stringify(whileHeld).includes('o-51'), 'a held presence is not dropped');
    await worker.deliver(message('o+0', 'drop', [], null), kernel.handler);
    kernel.takeSyscalls();
    const result = await worker.deliver(['bringOutYourDead'], kernel.handler);
    t.is(result.status, 'ok');
    const syscalls = kernel.takeSyscalls();
    t.deepEqual(findSyscall(syscalls, 'dropImports'), ['dropImports', ['o-51']]);
    t.deepEqual(findSyscall(syscalls, 'retireImports'), ['retireImports', ['o-51']]);
  });

  test.serial(`${kind}: a durable kind keeps its state in the vatstore`, async t => {
    const { worker, kernel } = use();
    await worker.deliver(message('o+0', 'makeCounter', [], 'p-64'), kernel.handler);
    await worker.deliver(message('o+0', 'incrementCounter', [], 'p-65'), kernel.handler);
    const syscalls = kernel.takeSyscalls();
    t.deepEqual(syscalls.filter(s => s[0] === 'resolve'), [
      ['resolve', [['p-64', false, capdata(10)]]],
      ['resolve', [['p-65', false, capdata(11)]]],
    ]);
    const stateKeys = [...kernel.vatstore.keys()].filter(k => /^vom\.o\+d\d+\/1$/.test(k));
    t.is(stateKeys.length, 1, 'one durable instance');
    const state = JSON.parse(kernel.vatstore.get(stateKeys[0] ?? '') ?? '{}') as { count?: unknown };
    t.deepEqual(state.count, capdata(11));
  });

  test.serial(`${kind}: console output is forwarded with the vat name`, async t => {
    const { worker, kernel, console: recorder } = use();
    await worker.deliver(message('o+0', 'log', ['hi there'], 'p-66'), kernel.handler);
    kernel.takeSyscalls();
    const entry = recorder.entries.find(e => e.source === 'vat' && e.args.includes('hi there'));
    t.like(entry, { vatID: 'v1', vatName: 'scenarios', level: 'log', args: ['vat says', 'hi there'] });
  });

  test.serial(`${kind}: a throwing method rejects its result`, async t => {
    const { worker, kernel } = use();
    const result = await worker.deliver(message('o+0', 'fail', ['on purpose'], 'p-67'), kernel.handler);
    t.is(result.status, 'ok', 'a vat-level throw is not a delivery failure');
    const [resolve] = kernel.takeSyscalls().filter(s => s[0] === 'resolve');
    if (resolve?.[0] !== 'resolve') return t.fail('no resolve');
    const [vpid, isReject, data] = resolve[1][0] ?? [];
    t.is(vpid, 'p-67');
    t.true(isReject);
    t.regex(data?.body ?? '', /vat method failed: on purpose/);
    return undefined;
  });

  test(`${kind}: a durable counter survives into a new incarnation`, async t => {
    const recorder = makeConsoleRecorder();
    const first = makeFakeKernel();
    const w1 = await startWorker({ vatID: 'v2', vatName: 'durable', onConsole: recorder.sink });
    await w1.deliver(startVat(), first.handler);
    await w1.deliver(message('o+0', 'makeCounter', [], 'p-60'), first.handler);
    await w1.deliver(message('o+0', 'incrementCounter', [], 'p-61'), first.handler);
    await w1.shutdown();
    // incarnation 2: a fresh heap over the same vatstore
    const second = makeFakeKernel(first.vatstore);
    const w2 = await startWorker({ vatID: 'v2', vatName: 'durable', onConsole: recorder.sink });
    try {
      t.is((await w2.deliver(startVat(), second.handler)).status, 'ok');
      second.takeSyscalls();
      t.is((await w2.deliver(message('o+0', 'incrementCounter', [], 'p-70'), second.handler)).status, 'ok');
      t.deepEqual(second.takeSyscalls().filter(s => s[0] === 'resolve'), [
        ['resolve', [['p-70', false, capdata(12)]]],
      ]);
    } finally {
      await w2.shutdown();
    }
  });

  test(`${kind}: a buildRootObject that throws fails startVat`, async t => {
    const kernel = makeFakeKernel();
    const worker = await startWorker({ vatID: 'v3', vatName: 'explodes', onConsole: () => {} });
    try {
      const result = await worker.deliver(startVat({ explode: 'kaboom' }), kernel.handler);
      t.is(result.status, 'error');
      t.regex(result.error ?? '', /buildRootObject exploded: kaboom/);
    } finally {
      await worker.shutdown();
    }
  });

  for (const batchSyscalls of [true, false]) {
    test(`${kind}: a rejected syscall ends the delivery (batching ${batchSyscalls ? 'on' : 'off'})`, async t => {
      const kernel = makeFakeKernel();
      const worker = await startWorker({ vatID: 'v4', vatName: 'rejected', onConsole: () => {}, batchSyscalls });
      try {
        await worker.deliver(startVat(), kernel.handler);
        kernel.takeSyscalls();
        kernel.failWhen = vso => (vso[0] === 'send' ? 'syscall translation error: prepare to die' : undefined);
        const result = await worker.deliver(
          message('o+0', 'sendMany', [presenceRef(0), 3], 'p-60', ['o-50']),
          kernel.handler,
        );
        t.like(result, { status: 'error', error: 'syscall.send failed: syscall translation error: prepare to die' });
        // the kernel saw the failing send and nothing after it
        t.deepEqual(syscallTypes(kernel.takeSyscalls()), ['send']);
      } finally {
        await worker.shutdown();
      }
    });
  }
  return use;
}
