import '@endo/init/debug.js';
import test from 'ava';
import { WorkerError } from '../src/errors.js';
import { startLocalVatWorker } from '../src/localWorker.js';
import { getScenarioVatBundle, makeFakeKernel, message, startVat } from './harness.js';
import { defineCommonScenarios } from './scenarios.js';

defineCommonScenarios(test, 'local', async options =>
  startLocalVatWorker({
    vatID: options.vatID,
    vatName: options.vatName,
    onConsole: options.onConsole,
    vatBundle: await getScenarioVatBundle(),
  }),
);

test('local: no snapshots and no metering', async t => {
  const kernel = makeFakeKernel();
  const worker = await startLocalVatWorker({ vatID: 'v9', vatBundle: await getScenarioVatBundle(), onConsole: () => {} });
  t.is(worker.kind, 'local');
  t.is(worker.makeSnapshot, undefined);
  const result = await worker.deliver(startVat(), kernel.handler);
  t.deepEqual(result, { status: 'ok' });
  await worker.shutdown();
  const err = await t.throwsAsync(worker.deliver(message('o+0', 'ping', ['x'], 'p-60'), kernel.handler), {
    instanceOf: WorkerError,
  });
  t.is(err?.code, 'WORKER_DEAD');
});
