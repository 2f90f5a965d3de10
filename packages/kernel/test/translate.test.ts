// Syscall translation: what the kernel refuses (the vat is then terminated
// with "syscall translation error: prepare to die") and what it turns
// legal syscalls into.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSwingStore } from '@crankshaft/swing-store';
import type { VatSyscallObject } from '@crankshaft/worker-supervisor';
import { makeKernelKeeper, type KernelKeeper } from '../src/state/kernelKeeper.js';
import { makeVatTranslators } from '../src/syscalls/translate.js';
import type { RecordedVatOptions } from '../src/shared/types.js';

const options = (name: string, enablePipelining = false): RecordedVatOptions => ({
  workerOptions: { type: 'local' },
  name,
  enableSetup: false,
  enablePipelining,
  enableDisavow: false,
  useTranscript: true,
  reapDirtThreshold: {},
  critical: false,
});

function setup(t: { teardown(fn: () => unknown): void }): KernelKeeper {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-translate-'));
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  t.teardown(() => hostStorage.close());
  const keeper = makeKernelKeeper(kernelStorage, { expect: 'uninitialized' });
  keeper.createStartingKernelState({});
  for (const name of ['alice', 'bob']) {
    keeper.createVatState(keeper.vats.allocateVatIDForNameIfNeeded(name), { bundleID: `b1-${'0'.repeat(128)}` }, options(name));
  }
  return keeper;
}

const data = (body: string, slots: string[] = []) => ({ body, slots });

test('illegal syscalls are refused with ILLEGAL_SYSCALL or BAD_* codes', t => {
  const keeper = setup(t);
  const bob = keeper.provideVatKeeper('v2');
  // bob imports a promise that alice decides, and alice's root object
  const kpid = keeper.promises.addKernelPromiseForVat('v1');
  const vpid = bob.mapKernelSlotToVatSlot(kpid);
  const aliceRoot = keeper.provideVatKeeper('v1').mapVatSlotToKernelSlot('o+0');
  const presence = bob.mapKernelSlotToVatSlot(aliceRoot);
  const kd = keeper.provideDeviceKeeper(keeper.vats.allocateDeviceIDForNameIfNeeded('dev')).mapDeviceSlotToKernelSlot('d+0');
  const deviceNode = bob.mapKernelSlotToVatSlot(kd);
  const { vatSyscallToKernelSyscall: translate } = makeVatTranslators('v2', keeper);
  const refused = (vsc: unknown, message: RegExp) =>
    t.throws(() => translate(vsc as VatSyscallObject), { message }, JSON.stringify(vsc));

  refused(['send', 'o-99', { methargs: data('#[]'), result: null }], /unknown vatSlot/);
  refused(['send', presence, { methargs: { body: 3, slots: [] }, result: null }], /non-string .body/);
  refused(['send', deviceNode, { methargs: data('#[]'), result: null }], /device node/);
  refused(['resolve', [[vpid, false, data('#1')]]], /decided by v1, not v2/);
  refused(['resolve', [['p+7', false, data('#"&0"', ['p+8'])]]], /cannot resolve to a promise/);
  refused(['callNow', deviceNode, 'm', data('#[]', ['p+9'])], /cannot include promises/);
  refused(['dropImports', ['o+5']], /an export/);
  refused(['retireImports', [presence]], /still reachable/);
  refused(['bogus'], /unknown vatSyscall type/);
  // a non-pipelining vat must use a fresh vpid for a result
  translate(['send', presence, { methargs: data('#[]'), result: 'p+20' }]);
  refused(['send', presence, { methargs: data('#[]'), result: 'p+20' }], /already allocated/);
});

test('legal syscalls translate through the c-list', t => {
  const keeper = setup(t);
  const aliceRoot = keeper.provideVatKeeper('v1').mapVatSlotToKernelSlot('o+0');
  const bob = keeper.provideVatKeeper('v2');
  const presence = bob.mapKernelSlotToVatSlot(aliceRoot);
  const { vatSyscallToKernelSyscall: translate } = makeVatTranslators('v2', keeper);
  const send = translate(['send', presence, { methargs: data('#["hi",["$0.Alleged: x"]]', ['o+4']), result: 'p+1' }]);
  t.is(send[0], 'send');
  const [, target, msg] = send as ['send', string, { methargs: { slots: string[] }; result: string }];
  t.is(target, aliceRoot);
  t.regex(msg.methargs.slots[0] as string, /^ko\d+$/);
  t.regex(msg.result, /^kp\d+$/);
  // the run-queue now holds the authority to decide the result
  t.like(keeper.promises.getKernelPromise(msg.result), { state: 'unresolved', decider: undefined });
  t.deepEqual(translate(['vatstoreSet', 'k', 'v']), ['vatstoreSet', 'v2', 'k', 'v']);
  const resolve = translate(['resolve', [['p+2', false, data('#"done"')]]]);
  t.is(resolve[0], 'resolve');
  t.false(bob.hasCListEntry('p+2'), 'a resolved vpid is retired from the c-list');
});
