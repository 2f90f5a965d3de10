import test from 'ava';
import { makeRecordedAnswers } from '../src/replayAnswers.js';
import type { VatSyscallObject, VatSyscallResult } from '../src/types.js';

const send: VatSyscallObject = ['send', 'o-1', { methargs: { body: '#["hi",[]]', slots: [] }, result: 'p+5' }];
const get: VatSyscallObject = ['vatstoreGet', 'k'];
const set: VatSyscallObject = ['vatstoreSet', 'k', 'v'];

test('value syscalls get their recorded results by position; result-less ones ok when batched', t => {
  const results: VatSyscallResult[] = [['ok', null], ['ok', 'stored'], ['ok', null]];
  const answers = makeRecordedAnswers(results, true);
  t.deepEqual(answers.syscall(send), ['ok', null]);
  t.deepEqual(answers.syscall(get), ['ok', 'stored']);
  t.deepEqual(answers.syscall(set), ['ok', null]);
  t.deepEqual(answers.made, [send, get, set]);
  t.is(answers.failure, undefined);
});

test('unbatched, a result-less syscall sees its recorded result', t => {
  const answers = makeRecordedAnswers([['error', 'no such target']], false);
  t.deepEqual(answers.syscall(send), ['error', 'no such target']);
  t.is(answers.failure, 'syscall.send failed: no such target');
});

test('a recorded rejection of a result-less syscall dooms the rest of the delivery', t => {
  const results: VatSyscallResult[] = [['error', 'bad target']];
  const batched = makeRecordedAnswers(results, true);
  t.deepEqual(batched.syscall(send), ['ok', null], 'queued: the vat saw ok');
  t.deepEqual(batched.syscall(set), ['ok', null]);
  t.deepEqual(batched.syscall(get), ['error', 'delivery already failed: syscall.send failed: bad target']);
  // only the failed syscall reached the kernel, as in the live delivery
  t.deepEqual(batched.made, [send]);
  t.is(batched.failure, 'syscall.send failed: bad target');

  const unbatched = makeRecordedAnswers(results, false);
  unbatched.syscall(send);
  t.deepEqual(unbatched.syscall(set), ['error', 'delivery already failed: syscall.send failed: bad target']);
  t.deepEqual(unbatched.made, [send]);
});

test('a failed value syscall is an answer, not a doom', t => {
  const answers = makeRecordedAnswers([['error', 'no device'], ['ok', null]], true);
  t.deepEqual(answers.syscall(['callNow', 'd-1', 'm', { body: '#[]', slots: [] }]), ['error', 'no device']);
  t.deepEqual(answers.syscall(set), ['ok', null]);
  t.is(answers.failure, undefined);
  t.is(answers.made.length, 2);
});

test('past the record, value syscalls get an error and are still reported', t => {
  const answers = makeRecordedAnswers([['ok', null]], true);
  answers.syscall(set);
  t.deepEqual(answers.syscall(get), ['error', 'replay has no recorded syscall at sc1']);
  t.deepEqual(answers.syscall(set), ['ok', null]);
  t.deepEqual(answers.made, [set, get, set], 'the kernel side reports the extra syscall');
});
