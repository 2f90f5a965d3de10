// The pure parts of the vat-admin service: createVat option checking (in
// the vat), the kernel hook's option split, and the meter table over a
// real swing-store.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSwingStore } from '@crankshaft/swing-store';
import { Far } from '@endo/far';
import { kser, kslot } from '../src/shared/kmarshal.js';
import { makeKernelKeeper } from '../src/state/kernelKeeper.js';
import { splitCreateOptions } from '../src/vat-admin/vatAdminHooks.js';
import { convertCreateVatOptions, type ConvertTools } from '../vats/vat-admin/createVatOptions.js';
import { makeUpdateNotifierKit } from '../vats/lib/updateNotifier.js';

const meter = Far('meter', {});
const criticalKey = Far('criticalVatKey', {});
const tools: ConvertTools = {
  meterIDOf: value => (value === meter ? 'm3' : undefined),
  isCriticalVatKey: key => key === criticalKey,
};

test('createVat options: meter and critical key are converted, the rest checked', t => {
  t.deepEqual(convertCreateVatOptions({}, tools), {
    name: undefined,
    meterID: undefined,
    managerType: undefined,
    vatParameters: undefined,
    enableSetup: undefined,
    enablePipelining: undefined,
    useTranscript: undefined,
    reapInterval: undefined,
    critical: false,
  });
  t.like(
    convertCreateVatOptions(
      { name: 'zoe-1.2_x', meter, critical: criticalKey, managerType: 'xs-worker', reapInterval: 5, vatParameters: { a: 1 } },
      tools,
    ),
    { name: 'zoe-1.2_x', meterID: 'm3', critical: true, managerType: 'xs-worker', reapInterval: 5, vatParameters: { a: 1 } },
  );
});

test('createVat options: bad input names the option and the reason', t => {
  const bad = (options: unknown, message: string | RegExp) =>
    t.throws(() => convertCreateVatOptions(options, tools), { message });
  bad({ colour: 'red', size: 1 }, 'CreateVatOptions: unknown options "colour,size"');
  bad({ name: 'has space' }, 'CreateVatOptions: bad vat name "has space"');
  bad({ name: 'x'.repeat(200) }, /oversized vat name/);
  bad({ name: 7 }, 'CreateVatOptions: name must be a string, got number');
  bad({ managerType: 'node-js' }, /bad managerType "node-js"/);
  bad({ nodeOptions: ['--x'] }, /nodeOptions requires managerType='node-subprocess'/);
  t.like(convertCreateVatOptions({ managerType: 'node-subprocess', nodeOptions: ['--x'] }, tools), { managerType: 'node-subprocess' });
  bad({ enablePipelining: 'yes' }, 'CreateVatOptions: enablePipelining must be a boolean, got string');
  bad({ reapInterval: 'never' }, 'CreateVatOptions: reapInterval must be a number, got string');
  bad({ meter: Far('meter', {}) }, 'CreateVatOptions: meter was not made by this vatAdminService');
  bad({ critical: Far('fake key', {}) }, 'CreateVatOptions: invalid criticalVatKey');
  bad('options', 'CreateVatOptions: options must be a record');
});

test('create hook: vatParameters become kref capdata, undefined options are left out', t => {
  const { vatParameters, dynamicOptions } = splitCreateOptions('createByID', {
    vatParameters: { peer: kslot('ko25', 'peer') },
    name: 'v',
    meterID: 'm1',
    critical: false,
    managerType: undefined,
    reapInterval: 'never',
  });
  t.deepEqual(vatParameters.slots, ['ko25']);
  t.deepEqual(dynamicOptions, { name: 'v', meterID: 'm1', critical: false, reapInterval: 'never' });
  t.deepEqual(splitCreateOptions('createByID', {}).vatParameters, kser(undefined));
  t.throws(() => splitCreateOptions('createByID', { nodeOptions: [] }), {
    message: 'vatAdmin hook createByID: unknown option "nodeOptions"',
  });
  t.throws(() => splitCreateOptions('createByID', { meterID: 'meter' }), { message: /bad meterID meter/ });
  t.throws(() => splitCreateOptions('createByID', { critical: 'yes' }), { message: /option critical has a bad value/ });
});

test('meters: allocate, check, deduct with threshold crossing, refill, threshold', t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-meters-'));
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  t.teardown(async () => {
    await hostStorage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const keeper = makeKernelKeeper(kernelStorage, { expect: 'uninitialized' });
  keeper.createStartingKernelState({ defaultManagerType: 'local' });

  const m1 = keeper.allocateMeter(100n, 40n);
  const m2 = keeper.allocateMeter('unlimited', 0n);
  t.deepEqual([m1, m2], ['m1', 'm2']);
  t.is(kernelStorage.kvStore.get('m1.remaining'), '100');
  t.is(kernelStorage.kvStore.get('m2.remaining'), 'unlimited');

  t.true(keeper.checkMeter(m1, 100n));
  t.false(keeper.checkMeter(m1, 101n));
  t.false(keeper.deductMeter(m1, 50n), 'still above the threshold');
  t.true(keeper.deductMeter(m1, 20n), 'crossed the threshold');
  t.false(keeper.deductMeter(m1, 5n), 'already below: no second notice');
  t.false(keeper.deductMeter(m1, 500n));
  t.deepEqual(keeper.getMeter(m1), { remaining: 0n, threshold: 40n });

  keeper.addMeterRemaining(m1, 70n);
  keeper.setMeterThreshold(m1, 10n);
  t.deepEqual(keeper.getMeter(m1), { remaining: 70n, threshold: 10n });
  keeper.addMeterRemaining(m2, 70n);
  t.deepEqual(keeper.getMeter(m2), { remaining: 'unlimited', threshold: 0n });
  t.true(keeper.checkMeter(m2, 10n ** 20n));
  t.throws(() => keeper.addMeterRemaining(m1, -1n), { message: /meter delta must be a non-negative bigint/ });
  t.throws(() => keeper.setMeterThreshold('m9', 1n), { message: /m9\.remaining/ });
  t.throws(() => keeper.getMeter('x1'), { message: /not a meterID/ });
});

test('update notifier: getUpdateSince waits for a newer state', async t => {
  const { notifier, updater } = makeUpdateNotifierKit<bigint>();
  const first = notifier.getUpdateSince();
  updater.updateState(5n);
  t.deepEqual(await first, { value: 5n, updateCount: 1n });
  t.deepEqual(await notifier.getUpdateSince(), { value: 5n, updateCount: 1n });
  const next = notifier.getUpdateSince(1n);
  updater.updateState(3n);
  t.deepEqual(await next, { value: 3n, updateCount: 2n });
});
