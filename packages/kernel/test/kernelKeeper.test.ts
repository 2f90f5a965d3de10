// Kernel state over a real swing-store (SQLite in a temp dir): allocation
// rules, c-lists and refcounts, promise resolution, refcount processing.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSwingStore } from '@crankshaft/swing-store';
import { makeKernelGC } from '../src/gc/kernelGC.js';
import { makeKernelKeeper, type KernelKeeper } from '../src/state/kernelKeeper.js';
import type { RecordedVatOptions } from '../src/shared/types.js';

const vatOptions = (name: string): RecordedVatOptions => ({
  workerOptions: { type: 'local' },
  name,
  enableSetup: false,
  enablePipelining: false,
  enableDisavow: false,
  useTranscript: true,
  reapDirtThreshold: {},
  critical: false,
});

function makeKernel(t: { teardown(fn: () => unknown): void }): KernelKeeper {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-keeper-'));
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  t.teardown(() => hostStorage.close());
  const keeper = makeKernelKeeper(kernelStorage, { expect: 'uninitialized' });
  keeper.createStartingKernelState({ defaultManagerType: 'local' });
  for (const name of ['alice', 'bob']) {
    const vatID = keeper.vats.allocateVatIDForNameIfNeeded(name);
    keeper.createVatState(vatID, { bundleID: `b1-${'0'.repeat(128)}` }, vatOptions(name));
  }
  return keeper;
}

test('IDs start where SwingSet starts them', t => {
  const keeper = makeKernel(t);
  t.deepEqual(keeper.vats.getStaticVats(), [
    ['alice', 'v1'],
    ['bob', 'v2'],
  ]);
  t.is(keeper.vats.allocateDeviceIDForNameIfNeeded('vatAdmin'), 'd7');
  const alice = keeper.provideVatKeeper('v1');
  const bob = keeper.provideVatKeeper('v2');
  t.is(alice.mapVatSlotToKernelSlot('o+0'), 'ko20');
  t.is(alice.mapVatSlotToKernelSlot('p+5'), 'kp40');
  t.is(bob.mapKernelSlotToVatSlot('ko20'), 'o-50');
  t.is(bob.mapKernelSlotToVatSlot('kp40'), 'p-60');
  const kd = keeper.provideDeviceKeeper('d7').mapDeviceSlotToKernelSlot('d+0');
  t.is(kd, 'kd30');
  t.is(bob.mapKernelSlotToVatSlot(kd), 'd-70');
  t.is(bob.mapKernelSlotToVatSlot('ko20'), 'o-50', 'mapping is stable');
});

test('c-list rows, reachability flags and object refcounts', t => {
  const keeper = makeKernel(t);
  const alice = keeper.provideVatKeeper('v1');
  const bob = keeper.provideVatKeeper('v2');
  const ko = alice.mapVatSlotToKernelSlot('o+3');
  t.is(keeper.kv.get(`v1.c.${ko}`), 'R o+3');
  t.is(keeper.kv.get('v1.c.o+3'), ko);
  // An export does not count; an import counts as reachable + recognizable.
  t.deepEqual(keeper.refcounts.getObjectRefCount(ko), { reachable: 0, recognizable: 0 });
  bob.mapKernelSlotToVatSlot(ko);
  t.deepEqual(keeper.refcounts.getObjectRefCount(ko), { reachable: 1, recognizable: 1 });
  t.is(keeper.kv.get(`v2.c.${ko}`), 'R o-50');
  bob.clearReachableFlag(ko);
  t.is(keeper.kv.get(`v2.c.${ko}`), '_ o-50');
  t.deepEqual(keeper.refcounts.getObjectRefCount(ko), { reachable: 0, recognizable: 1 });
  // Using an import the kernel thinks unreachable is the vat's error.
  t.throws(() => bob.mapVatSlotToKernelSlot('o-50'), { message: /unreachable import/ });
  // Imports the kernel never gave are refused; devices cannot be exported.
  t.throws(() => bob.mapVatSlotToKernelSlot('o-77'), { message: /unknown vatSlot/ });
  t.throws(() => bob.mapVatSlotToKernelSlot('d+1'), { message: /device nodes/ });
  bob.deleteCListEntry(ko, 'o-50');
  t.false(keeper.kv.has('v2.c.o-50'));
  t.deepEqual(keeper.refcounts.getObjectRefCount(ko), { reachable: 0, recognizable: 0 });
});

test('processRefcounts turns an unreferenced export into dropExport + retireExport', t => {
  const keeper = makeKernel(t);
  const gc = makeKernelGC(keeper);
  const alice = keeper.provideVatKeeper('v1');
  const bob = keeper.provideVatKeeper('v2');
  const ko = alice.mapVatSlotToKernelSlot('o+3');
  bob.mapKernelSlotToVatSlot(ko);
  bob.clearReachableFlag(ko); // bob dropImports
  gc.processRefcounts();
  t.deepEqual([...keeper.gcActions.get()], [`v1 dropExport ${ko}`]);
  bob.deleteCListEntry(ko, 'o-50'); // bob retireImports
  gc.processRefcounts();
  t.deepEqual([...keeper.gcActions.get()].sort(), [`v1 dropExport ${ko}`, `v1 retireExport ${ko}`]);
});

test('an orphaned object still recognized by importers is retired to them', t => {
  const keeper = makeKernel(t);
  const gc = makeKernelGC(keeper);
  const alice = keeper.provideVatKeeper('v1');
  const bob = keeper.provideVatKeeper('v2');
  const ko = alice.mapVatSlotToKernelSlot('o+3');
  bob.mapKernelSlotToVatSlot(ko);
  gc.orphanKernelObject(ko, 'v1'); // alice abandons it
  t.is(keeper.objects.ownerOfKernelObject(ko), undefined);
  bob.clearReachableFlag(ko);
  gc.processRefcounts();
  t.deepEqual([...keeper.gcActions.get()], [`v2 retireImport ${ko}`]);
  t.false(keeper.objects.kernelObjectExists(ko));
});

test('resolving a promise notifies subscribers and requeues its messages', t => {
  const keeper = makeKernel(t);
  const { promises, queues } = keeper;
  const kpid = promises.addKernelPromiseForVat('v1');
  promises.addSubscriberToPromise(kpid, 'v2');
  promises.addSubscriberToPromise(kpid, 'v1');
  t.like(promises.getKernelPromise(kpid), { state: 'unresolved', decider: 'v1', subscribers: ['v1', 'v2'] });
  const msg = { methargs: { body: '#["hi",[]]', slots: [] }, result: null };
  promises.addMessageToPromiseQueue(kpid, msg);
  t.throws(() => promises.getResolveablePromise(kpid, 'v2'), { message: /decided by v1, not v2/ });
  promises.resolveKernelPromise(kpid, false, { body: '#"done"', slots: [] });
  t.deepEqual(promises.getKernelPromise(kpid), {
    state: 'fulfilled',
    refCount: 0,
    data: { body: '#"done"', slots: [] },
  });
  t.deepEqual(queues.dump('acceptanceQueue'), [{ type: 'send', target: kpid, msg }]);
  t.false(keeper.kv.has(`${kpid}.queue.0`));
  t.false(keeper.kv.has(`${kpid}.decider`));
});

test('a crank rollback also discards cached reads', t => {
  const keeper = makeKernel(t);
  keeper.startCrank();
  keeper.establishCrankSavepoint('start');
  keeper.kv.set('v1.vs.key', 'before');
  keeper.establishCrankSavepoint('deliver');
  keeper.kv.set('v1.vs.key', 'after');
  t.is(keeper.kv.get('v1.vs.key'), 'after');
  keeper.rollbackCrank('deliver');
  t.is(keeper.kv.get('v1.vs.key'), 'before');
  keeper.rollbackCrank('start');
  t.is(keeper.kv.get('v1.vs.key'), undefined);
  keeper.endCrank();
});
