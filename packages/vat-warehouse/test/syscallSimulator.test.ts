import test from 'ava';
import { ReplayDivergenceError } from '../src/errors.js';
import { compareSyscall, makeSyscallSimulator } from '../src/syscallSimulator.js';
import type { RecordedSyscall } from '../src/transcriptEntry.js';

const recorded: RecordedSyscall[] = [
  { s: ['vatstoreGet', 'count'], r: ['ok', '3'] },
  { s: ['send', 'o-50', { methargs: { body: '#["hi",[]]', slots: [] }, result: 'p+5' }], r: ['ok', null] },
];

test('matching syscalls get the recorded results, key order ignored', t => {
  const sim = makeSyscallSimulator('v3', 12, recorded);
  t.deepEqual(sim.syscallHandler(['vatstoreGet', 'count']), ['ok', '3']);
  // Same message, properties created in another order.
  t.deepEqual(sim.syscallHandler(['send', 'o-50', { result: 'p+5', methargs: { slots: [], body: '#["hi",[]]' } }]), [
    'ok',
    null,
  ]);
  t.is(sim.finish(), undefined);
});

test('wrong: content differs', t => {
  const sim = makeSyscallSimulator('v3', 12, recorded);
  sim.syscallHandler(['vatstoreGet', 'count']);
  const actual = ['send', 'o-51', { methargs: { body: '#["hi",[]]', slots: [] }, result: 'p+5' }] as const;
  const err = t.throws(() => sim.syscallHandler([...actual] as never), { instanceOf: ReplayDivergenceError });
  t.is(err?.code, 'REPLAY_DIVERGENCE');
  t.deepEqual(err?.details, {
    kind: 'wrong',
    vatID: 'v3',
    deliveryNum: 12,
    syscallIndex: 1,
    expected: recorded[1]?.s,
    actual: [...actual],
  });
  t.regex(err?.message ?? '', /^anachrophobia in v3 delivery d12: wrong syscall at index sc1\n/);
  t.regex(err?.message ?? '', /expected: \["send","o-50"/);
  t.regex(err?.message ?? '', /actual: {3}\["send","o-51"/);
  // Sticky: later calls and finish() report the first failure.
  t.is(t.throws(() => sim.syscallHandler(['vatstoreGet', 'x'])), err);
  t.is(sim.finish(), err);
});

test('extra: more syscalls than recorded', t => {
  const sim = makeSyscallSimulator('v1', 4, recorded.slice(0, 1));
  sim.syscallHandler(['vatstoreGet', 'count']);
  const err = t.throws(() => sim.syscallHandler(['vatstoreSet', 'count', '4']), { instanceOf: ReplayDivergenceError });
  t.like(err?.details, { kind: 'extra', syscallIndex: 1, expected: undefined, actual: ['vatstoreSet', 'count', '4'] });
  t.regex(err?.message ?? '', /^anachrophobia in v1 delivery d4: extra syscall at index sc1/);
  t.regex(err?.message ?? '', /expected: \(none\)/);
});

test('missing: fewer syscalls, noticed at finish', t => {
  const sim = makeSyscallSimulator('v2', 9, recorded);
  sim.syscallHandler(['vatstoreGet', 'count']);
  const err = sim.finish();
  t.true(err instanceof ReplayDivergenceError);
  t.like(err?.details, { kind: 'missing', vatID: 'v2', deliveryNum: 9, syscallIndex: 1, actual: undefined });
  t.deepEqual(err?.details.expected, recorded[1]?.s);
  t.regex(err?.message ?? '', /^anachrophobia in v2 delivery d9: missing syscall at index sc1/);
  t.regex(err?.message ?? '', /actual: {3}\(none\)/);
});

test('compareSyscall is pure', t => {
  t.is(compareSyscall(undefined, ['vatstoreGet', 'a']), 'extra');
  t.is(compareSyscall({ s: ['vatstoreGet', 'a'], r: ['ok', null] }, ['vatstoreGet', 'a']), undefined);
  t.is(compareSyscall({ s: ['vatstoreGet', 'a'], r: ['ok', null] }, ['vatstoreGet', 'b']), 'wrong');
});
