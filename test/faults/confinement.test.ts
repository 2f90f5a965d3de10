// Confinement: a vat on xsnap or on a local worker reaches nothing of the
// host (process, require, import(), Node globals, the clock, randomness), and
// the two workers give it the same environment. A vat that allocates or
// recurses without bound is stopped by xsnap's memory and stack limits, and a
// metered vat that loops by its per-crank compute limit: it alone is
// terminated, the kernel and the other vats carry on. Static vats are never
// metered (as in SwingSet), so an endless loop in one is not stopped.
import '@endo/init/debug.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildVatController, kunser, loadSwingsetConfigFile, type SwingsetController } from '@crankshaft/kernel';
import { quietOptions } from '../kernel-helpers.js';

const configFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/faults/confinement/config.json');

async function boot(managerType: 'xsnap' | 'local'): Promise<SwingsetController & { bootstrapResult: string | undefined }> {
  const config = await loadSwingsetConfigFile(configFile);
  if (!config) throw Error(`no config at ${configFile}`);
  const controller = await buildVatController({ ...config, defaultManagerType: managerType }, [], quietOptions);
  // the bootstrap vat drops the roots it is given; keep them for the host's own sends
  for (const name of ['bootstrap', 'allocator', 'recurser', 'other']) controller.pinVatRoot(name);
  await controller.run();
  return controller;
}

const reports = new Map<string, unknown>();

for (const managerType of ['xsnap', 'local'] as const) {
  test.serial(`${managerType}: a vat reaches no host power, clock or randomness`, async t => {
    const controller = await boot(managerType);
    t.teardown(() => controller.shutdown());
    t.is(controller.kpStatus(controller.bootstrapResult as string), 'fulfilled');
    const report = kunser(controller.kpResolution(controller.bootstrapResult as string)) as Record<string, unknown>;
    reports.set(managerType, report);
    for (const name of ['process', 'require', 'Buffer', 'fetch', 'setTimeout', 'WebAssembly']) {
      t.is(report[name], 'undefined', `${name} is not in a vat's globals`);
    }
    t.deepEqual(report['globalNames'], [], 'no Node or web host globals at all');
    t.like(report['dateNow'], { reached: false, error: 'TypeError' }, 'Date.now is tamed');
    t.like(report['newDate'], { reached: false, error: 'TypeError' }, 'new Date() is tamed');
    t.like(report['mathRandom'], { reached: false, error: 'TypeError' }, 'Math.random is tamed');
    t.like(report['evalProcess'], { value: 'undefined' }, 'eval sees no process');
    t.like(report['functionConstructorProcess'], { value: 'undefined' }, 'the Function constructor sees no process');
    t.regex(report['dynamicImport'] as string, /^refused/, 'import() of a host module is refused');
  });
}

test.serial('xsnap and local workers give a vat the same environment', t => {
  t.true(reports.has('xsnap') && reports.has('local'), 'both workers were probed');
  t.deepEqual(reports.get('local'), reports.get('xsnap'));
});

test.serial('xsnap: unbounded allocation, recursion and (metered) loops terminate only the vat that did it', async t => {
  const controller = await boot('xsnap');
  t.teardown(() => controller.shutdown());
  const hogs = { allocator: 'allocate', recurser: 'recurse' } as const;
  const kpids = Object.entries(hogs).map(([vat, kind]) => [vat, controller.queueToVatRoot(vat, 'hog', [kind], 'ignore')] as const);
  await controller.run();
  for (const [vat, kpid] of kpids) {
    t.is(controller.kpStatus(kpid as string), 'rejected', `${vat}'s hog did not finish`);
    t.deepEqual(kunser(controller.kpResolution(kpid as string)), Error('vat terminated'), `${vat} was terminated`);
    t.throws(() => controller.vatNameToID(vat), { message: new RegExp(`vat name "${vat}" must exist`) });
  }
  const looped = controller.queueToVatRoot('bootstrap', 'loopInMeteredVat', [], 'ignore');
  await controller.run();
  t.is(controller.kpStatus(looped as string), 'fulfilled');
  t.deepEqual(kunser(controller.kpResolution(looped as string)), {
    hog: { err: 'vat terminated' },
    done: { err: 'Compute meter exceeded' },
  }, 'the metered looper is stopped by the per-crank limit');
  const secret = controller.queueToVatRoot('other', 'secret', [], 'ignore');
  await controller.run();
  t.is(controller.kpStatus(secret as string), 'fulfilled', 'another vat still answers');
  t.is(kunser(controller.kpResolution(secret as string)), 'other vat secret');
});
