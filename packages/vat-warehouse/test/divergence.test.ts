import '@endo/init/debug.js';
// Divergence: tamper with recorded syscalls in the DB, reopen, and replay
// must stop with an error naming the vat, the delivery, the syscall index,
// and expected versus actual, for each of wrong, extra and missing.
import test from 'ava';
import type { VatSyscallObject } from '@crankshaft/worker-supervisor';
import { ReplayDivergenceError, VatWarehouseError } from '../src/errors.js';
import { installBundles, makeHarness, makeTempDir, message, readItems, rewriteItem, startVat } from './helpers.js';

type StoredEntry = { d: unknown[]; sc: { s: VatSyscallObject; r: unknown }[]; r: unknown };

const vats = ['v1', 'v2', 'v3', 'v4'];
const tampered = 3; // position of the second ping (0 init, 1 startVat, 2 ping, 3 ping)

test('tampered transcripts are reported as wrong, extra or missing syscalls', async t => {
  const dir = makeTempDir('warehouse-divergence');
  // No snapshots: replay runs from initialize-worker over the whole span.
  const policy = { snapshotInitial: 100, snapshotInterval: 100 };
  const first = makeHarness({ dir, policy });
  const { workerOptions, bundleIDs } = await installBundles(first.store, ['vat-counter']);
  for (const vatID of vats) {
    first.configs.set(vatID, { source: { bundleID: bundleIDs['vat-counter'] as string }, workerOptions });
    await first.crank(vatID, startVat({ label: 'same' }));
    for (let i = 1; i <= 3; i += 1) await first.crank(vatID, message('ping', [i], `p-${60 + i}`));
  }
  const original = readItems(first.store, 'v1')[tampered];
  const recorded = (JSON.parse(original?.item ?? 'null') as StoredEntry).sc;
  const setIndex = recorded.findIndex(call => call.s[0] === 'vatstoreSet');
  t.true(setIndex >= 0, 'a ping writes the vatstore');
  const realSet = recorded[setIndex]?.s as VatSyscallObject;
  const lastIndex = recorded.length - 1;
  const lastCall = recorded[lastIndex]?.s as VatSyscallObject;
  await first.close();

  const forged: VatSyscallObject = ['vatstoreSet', realSet[1] as string, 'forged'];
  const phantom: VatSyscallObject = ['vatstoreGet', 'phantom'];
  rewriteItem(dir, 'v1', tampered, (entry: StoredEntry) => {
    (entry.sc[setIndex] as { s: VatSyscallObject }).s = forged;
  });
  rewriteItem(dir, 'v2', tampered, (entry: StoredEntry) => {
    entry.sc.pop();
  });
  rewriteItem(dir, 'v3', tampered, (entry: StoredEntry) => {
    entry.sc.push({ s: phantom, r: ['ok', null] });
  });
  // v4 is left alone.

  const second = makeHarness({ dir, reopen: true, policy, configs: first.configs });
  t.teardown(() => second.close());
  const expectDivergence = async (vatID: string, details: object, pattern: RegExp) => {
    const err = await t.throwsAsync(second.deliver(vatID, message('ping', [9], 'p-90')), {
      instanceOf: ReplayDivergenceError,
    });
    t.is(err?.code, 'REPLAY_DIVERGENCE');
    t.deepEqual(err?.details, { vatID, deliveryNum: tampered, ...details } as never);
    t.regex(err?.message ?? '', pattern);
    return err;
  };

  const wrong = await expectDivergence(
    'v1',
    { kind: 'wrong', syscallIndex: setIndex, expected: forged, actual: realSet },
    new RegExp(`^anachrophobia in v1 delivery d3: wrong syscall at index sc${setIndex}\\n`),
  );
  t.true(wrong?.message.includes(`expected: ${JSON.stringify(forged)}`));
  t.true(wrong?.message.includes('actual:   ["vatstoreSet"'));

  await expectDivergence(
    'v2',
    { kind: 'extra', syscallIndex: lastIndex, expected: undefined, actual: lastCall },
    new RegExp(`^anachrophobia in v2 delivery d3: extra syscall at index sc${lastIndex}\\n  expected: \\(none\\)`),
  );
  await expectDivergence(
    'v3',
    { kind: 'missing', syscallIndex: lastIndex + 1, expected: phantom, actual: undefined },
    new RegExp(`^anachrophobia in v3 delivery d3: missing syscall at index sc${lastIndex + 1}\\n`),
  );

  // A diverged vat takes no more work; the kernel would have stopped anyway.
  const refused = await t.throwsAsync(second.deliver('v1', message('ping', [10], 'p-91')), {
    instanceOf: VatWarehouseError,
  });
  t.is(refused?.code, 'VAT_DISABLED');
  t.regex(refused?.message ?? '', /vat v1 takes no more work after: anachrophobia in v1 delivery d3/);
  await t.throwsAsync(second.warehouse.maybeSaveSnapshot('v2'), { message: /vat v2 takes no more work/ });
  t.false(second.warehouse.isOnline('v1'));
  // The divergence left the DB alone: nothing was appended to v1.
  t.is(second.warehouse.nextDeliveryNum('v1'), 5);

  // The untouched vat replays cleanly and answers.
  const ok = await second.deliver('v4', message('ping', [4], 'p-64'));
  t.is(ok.status, 'ok');
  t.is(second.warehouse.getStats().replayedDeliveries >= 4, true);
});
