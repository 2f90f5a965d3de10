// The `upgrade` kernel hook over real kernel state: what it queues, which
// krefs it holds, which upgrade IDs it hands out, and what it refuses.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSwingStore } from '@crankshaft/swing-store';
import { kser, kslot, kunser } from '../src/shared/kmarshal.js';
import { makeKernelKeeper, type KernelKeeper } from '../src/state/kernelKeeper.js';
import { makeUpgradeDisconnection, makeUpgradeHook } from '../src/vat-admin/upgrade.js';

function makeKeeper(t: { teardown(fn: () => unknown): void }): KernelKeeper {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-upgrade-hook-'));
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  t.teardown(async () => {
    await hostStorage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const keeper = makeKernelKeeper(kernelStorage, { expect: 'uninitialized' });
  keeper.createStartingKernelState({ defaultManagerType: 'local' });
  return keeper;
}

const bundleID = `b1-${'a'.repeat(128)}`;

test('the upgrade hook queues upgrade-vat, holds the parameter krefs and returns up<N>', t => {
  const keeper = makeKeeper(t);
  const ko = keeper.objects.addKernelObject('v1');
  const hook = makeUpgradeHook(keeper);

  const first = hook(kser(['v1', bundleID, { friend: kslot(ko) }, 'to v2']));
  const second = hook(kser(['v1', bundleID, undefined, 'again']));
  t.is(kunser(first), 'up1');
  t.is(kunser(second), 'up2');

  t.deepEqual(keeper.queues.dequeue('acceptanceQueue'), {
    type: 'upgrade-vat',
    vatID: 'v1',
    upgradeID: 'up1',
    bundleID,
    vatParameters: kser({ friend: kslot(ko) }),
    upgradeMessage: 'to v2',
  });
  t.like(keeper.queues.dequeue('acceptanceQueue'), { upgradeID: 'up2', vatParameters: kser(undefined) });
  t.is(keeper.queues.dequeue('acceptanceQueue'), undefined);
  // The event holds the object until the upgrade crank translates it.
  t.deepEqual(keeper.refcounts.getObjectRefCount(ko), { reachable: 1, recognizable: 1 });
});

test('the upgrade hook refuses malformed arguments', t => {
  const keeper = makeKeeper(t);
  const hook = makeUpgradeHook(keeper);
  t.throws(() => hook(kser(['v1', bundleID, {}])), { message: /takes \[vatID, bundleID, vatParameters, upgradeMessage\]/ });
  t.throws(() => hook(kser(['vat1', bundleID, {}, 'm'])), { message: /vat1/ });
  t.throws(() => hook(kser(['v1', 42, {}, 'm'])), { message: /upgrade of v1: bundleID must be a string/ });
  t.throws(() => hook(kser(['v1', bundleID, {}, 7])), { message: /upgrade of v1: upgradeMessage must be a string/ });
  t.is(keeper.queues.dequeue('acceptanceQueue'), undefined, 'nothing was queued');
});

test('the disconnection object has SwingSet shape and marshalling', t => {
  const disconnection = makeUpgradeDisconnection('bye', 3);
  t.true(Object.isFrozen(disconnection));
  t.deepEqual(kser(disconnection), {
    body: '#{"incarnationNumber":3,"name":"vatUpgraded","upgradeMessage":"bye"}',
    slots: [],
  });
});
