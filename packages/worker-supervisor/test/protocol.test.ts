import test from 'ava';
import { renderConsoleArg } from '../src/consoleFormat.js';
import { makeDeliveryPipeline } from '../src/deliveryPipeline.js';
import {
  checkVatSyscallObject,
  checkVatSyscallResult,
  describeDelivery,
  isResultlessSyscall,
  parseCommandReply,
  parseWorkerQuery,
  RESULTLESS_SYSCALLS,
  VALUE_SYSCALLS,
  type QueuedItem,
} from '../src/protocol.js';
import { makeSyscallQueue, MAX_QUEUED_BYTES } from '../src/syscallQueue.js';
import type { VatSyscallObject, VatSyscallResult } from '../src/types.js';

const cd = (value: unknown) => ({ body: `#${JSON.stringify(value)}`, slots: [] as string[] });

test('syscall classes: result-less ones batch, value ones flush', t => {
  for (const type of RESULTLESS_SYSCALLS) t.true(isResultlessSyscall(type), type);
  for (const type of VALUE_SYSCALLS) t.false(isResultlessSyscall(type), type);
  t.is(RESULTLESS_SYSCALLS.length + VALUE_SYSCALLS.length, 13, 'every vat syscall is classified');
});

test('checkVatSyscallObject accepts good tuples and names bad ones', t => {
  const good: VatSyscallObject[] = [
    ['send', 'o-50', { methargs: cd(['m', []]), result: 'p+5' }],
    ['send', 'o-50', { methargs: cd(['m', []]) }],
    ['callNow', 'd-70', 'go', cd([])],
    ['subscribe', 'p-60'],
    ['resolve', [['p-60', false, cd(1)]]],
    ['exit', true, cd('bye')],
    ['vatstoreGet', 'k'],
    ['vatstoreGetNextKey', 'k'],
    ['vatstoreSet', 'k', 'v'],
    ['vatstoreDelete', 'k'],
    ['dropImports', ['o-50']],
    ['retireImports', ['o-50']],
    ['retireExports', ['o+1']],
    ['abandonExports', ['o+1']],
  ];
  for (const vso of good) t.is(checkVatSyscallObject(vso), undefined, vso[0]);
  t.is(checkVatSyscallObject(['vatstoreSet', 'k', 3]), 'malformed syscall "vatstoreSet"');
  t.is(checkVatSyscallObject(['teleport', 'x']), 'malformed syscall "teleport"');
  t.is(checkVatSyscallObject({}), 'syscall must be a tagged array');
  t.is(checkVatSyscallObject(['resolve', [['p-1', 'no', cd(1)]]]), 'malformed syscall "resolve"');
});

test('parseWorkerQuery and parseCommandReply check what crosses the boundary', t => {
  const items: QueuedItem[] = [
    ['syscall', ['vatstoreGet', 'k']],
    ['console', 'vat', 'log', ['hi']],
  ];
  t.deepEqual(parseWorkerQuery(JSON.stringify(['flush', items])), { ok: true, value: ['flush', items] });
  t.like(parseWorkerQuery('not json'), { ok: false });
  t.like(parseWorkerQuery('["flush",[["syscall",["nope"]]]]'), { ok: false, problem: 'malformed syscall "nope"' });
  t.like(parseCommandReply('["delivered",[],["ok"]]'), { ok: true });
  t.like(parseCommandReply('["delivered",[],["error","boom"]]'), { ok: true });
  t.like(parseCommandReply('["delivered",[],["maybe"]]'), { ok: false });
  t.like(parseCommandReply('["ready",[]]'), { ok: true });
  t.like(parseCommandReply('["failed",[],"why"]'), { ok: true });
  t.like(parseCommandReply('["ready","x"]'), { ok: false, problem: 'items must be an array' });
});

test('checkVatSyscallResult', t => {
  t.true(checkVatSyscallResult(['ok', null]));
  t.true(checkVatSyscallResult(['ok', 'v']));
  t.true(checkVatSyscallResult(['ok', ['a']]));
  t.true(checkVatSyscallResult(['ok', cd(1)]));
  t.true(checkVatSyscallResult(['error', 'why']));
  t.false(checkVatSyscallResult(['ok']));
  t.false(checkVatSyscallResult(['error', 3]));
  t.false(checkVatSyscallResult(['fine', null]));
});

test('describeDelivery names the delivery for error messages', t => {
  t.is(describeDelivery(['message', 'o+0', { methargs: cd(['spin', []]), result: 'p-1' }]), 'message to o+0.spin');
  t.is(describeDelivery(['notify', [['p-1', false, cd(1)]]]), 'notify p-1');
  t.is(describeDelivery(['dropExports', ['o+1', 'o+2']]), 'dropExports o+1,o+2');
  t.is(describeDelivery(['bringOutYourDead']), 'bringOutYourDead');
});

/** A fake kernel end for the queue: records each query's items. */
function makeQueryRecorder(answer: (items: QueuedItem[]) => VatSyscallResult = () => ['ok', 'value']) {
  const queries: QueuedItem[][] = [];
  const send = (queryJSON: string): string => {
    const parsed = parseWorkerQuery(queryJSON);
    if (!parsed.ok) throw Error(parsed.problem);
    queries.push(parsed.value[1]);
    return JSON.stringify(answer(parsed.value[1]));
  };
  return { queries, send };
}

test('the queue holds result-less syscalls until a value syscall, in order', t => {
  const { queries, send } = makeQueryRecorder();
  const queue = makeSyscallQueue(send);
  t.deepEqual(queue.syscall(['vatstoreSet', 'a', '1']), ['ok', null]);
  queue.console('vat', 'log', ['between']);
  t.deepEqual(queue.syscall(['send', 'o-50', { methargs: cd(['m', []]) }]), ['ok', null]);
  t.is(queries.length, 0, 'nothing sent yet');
  t.deepEqual(queue.syscall(['vatstoreGet', 'a']), ['ok', 'value']);
  t.deepEqual(queries, [
    [
      ['syscall', ['vatstoreSet', 'a', '1']],
      ['console', 'vat', 'log', ['between']],
      ['syscall', ['send', 'o-50', { methargs: cd(['m', []]) }]],
      ['syscall', ['vatstoreGet', 'a']],
    ],
  ]);
  queue.syscall(['subscribe', 'p-1']);
  t.is(queue.takeQueuedJSON(), '[["syscall",["subscribe","p-1"]]]');
  t.is(queue.takeQueuedJSON(), '[]');
  t.is(queue.queryCount(), 1);
});

test('with batching off every syscall and console line is its own query', t => {
  const { queries, send } = makeQueryRecorder(() => ['error', 'rejected']);
  const queue = makeSyscallQueue(send);
  queue.setBatching(false);
  t.deepEqual(queue.syscall(['vatstoreSet', 'a', '1']), ['error', 'rejected'], 'the real answer comes back');
  queue.console('ls', 'warn', ['x']);
  t.is(queries.length, 2);
  t.is(queue.takeQueuedJSON(), '[]');
});

test('a large queue is flushed early', t => {
  const { queries, send } = makeQueryRecorder();
  const queue = makeSyscallQueue(send);
  const big = 'x'.repeat(MAX_QUEUED_BYTES / 4);
  for (let i = 0; i < 4; i += 1) queue.syscall(['vatstoreSet', `k${i}`, big]);
  t.is(queries.length, 1);
  t.is(queries[0]?.length, 4);
});

test('the delivery pipeline feeds items in order and remembers a rejected result-less syscall', t => {
  const seen: VatSyscallObject[] = [];
  const lines: string[][] = [];
  const pipeline = makeDeliveryPipeline(
    vso => {
      seen.push(vso);
      return vso[0] === 'send' ? ['error', 'bad target'] : ['ok', null];
    },
    (_source, _level, args) => lines.push(args),
  );
  const result = pipeline.processItems([
    ['syscall', ['vatstoreSet', 'a', '1']],
    ['syscall', ['send', 'o-99', { methargs: cd(['m', []]) }]],
    ['syscall', ['vatstoreSet', 'b', '2']],
    ['console', 'vat', 'log', ['still forwarded']],
    ['syscall', ['vatstoreGet', 'a']],
  ]);
  t.deepEqual(
    seen.map(s => s[0]),
    ['vatstoreSet', 'send'],
    'nothing after the rejected syscall reaches the kernel',
  );
  t.deepEqual(lines, [['still forwarded']]);
  t.deepEqual(result, ['error', 'delivery already failed: syscall.send failed: bad target']);
  t.deepEqual(pipeline.failure()?.message, 'bad target');
  t.is(pipeline.syscallCount(), 2);
});

test('value syscalls may fail without dooming the delivery (callNow errors are not fatal)', t => {
  const pipeline = makeDeliveryPipeline(
    vso => (vso[0] === 'callNow' ? ['error', 'device said no'] : ['ok', null]),
    () => {},
  );
  t.deepEqual(pipeline.processItems([['syscall', ['callNow', 'd-70', 'x', cd([])]]]), ['error', 'device said no']);
  t.is(pipeline.failure(), undefined);
  t.deepEqual(pipeline.processItems([['syscall', ['vatstoreSet', 'a', '1']]]), ['ok', null]);
});

test('a throwing or confused kernel handler is reported, not hidden', t => {
  const throwing = makeDeliveryPipeline(() => {
    throw Error('kernel bug');
  }, () => {});
  t.like(throwing.processItems([['syscall', ['vatstoreGet', 'a']]]), ['error']);
  t.is(throwing.handlerError()?.code, 'SYSCALL_HANDLER');
  t.regex(throwing.handlerError()?.message ?? '', /kernel bug/);
  const confused = makeDeliveryPipeline(() => ['maybe', 1] as unknown as VatSyscallResult, () => {});
  confused.processItems([['syscall', ['vatstoreGet', 'a']]]);
  t.regex(confused.handlerError()?.message ?? '', /malformed result/);
  const undefinedOk = makeDeliveryPipeline(() => ['ok', undefined] as unknown as VatSyscallResult, () => {});
  t.deepEqual(undefinedOk.processItems([['syscall', ['vatstoreGet', 'a']]]), ['ok', null]);
});

test('renderConsoleArg turns anything into text', t => {
  t.is(renderConsoleArg('plain'), 'plain');
  t.is(renderConsoleArg(3), '3');
  t.is(renderConsoleArg(10n), '10n');
  t.is(renderConsoleArg({ a: [1, 'b'] }), '{"a":[1,"b"]}');
  t.is(renderConsoleArg(undefined), 'undefined');
  t.is(renderConsoleArg(TypeError('bad')), 'TypeError: bad');
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  t.is(renderConsoleArg(cyclic), '[object Object]');
  t.true(renderConsoleArg('x'.repeat(20_000)).endsWith('...[10000 more]'));
});
