import test from 'ava';
import { KernelError } from '../src/shared/errors.js';
import { isDeviceID, isVatID, makeKref, makeVref, parseKref, parseVref } from '../src/shared/refs.js';

test('parseKref accepts ko/kp/kd and nothing else', t => {
  t.deepEqual(parseKref('ko20'), { type: 'object', id: 20 });
  t.deepEqual(parseKref('kp40'), { type: 'promise', id: 40 });
  t.deepEqual(parseKref('kd30'), { type: 'device', id: 30 });
  for (const bad of ['k20', 'ko', 'ko-1', 'ko01', 'o+1', 'kx3', 'ko1.5', '']) {
    t.throws(() => parseKref(bad), { instanceOf: KernelError, message: /invalid kref/ }, bad);
  }
  t.throws(() => parseKref(7), { message: /must be a string/ });
  t.is(makeKref('promise', 41), 'kp41');
});

test('parseVref reads type, allocator, virtual/durable, subid and facet', t => {
  t.like(parseVref('o+0'), { type: 'object', allocatedByVat: true, id: 0, virtual: false, durable: false });
  t.like(parseVref('o-50'), { type: 'object', allocatedByVat: false, id: 50 });
  t.like(parseVref('p-60'), { type: 'promise', allocatedByVat: false, id: 60 });
  t.like(parseVref('d-70'), { type: 'device', allocatedByVat: false, id: 70 });
  t.like(parseVref('o+v12/3'), { virtual: true, id: 12, subid: 3, baseRef: 'o+v12/3' });
  t.like(parseVref('o+d7/2:1'), { durable: true, id: 7, subid: 2, facet: 1, baseRef: 'o+d7/2' });
  // A subid only exists on virtual/durable object exports.
  for (const bad of ['o-v1/2', 'p+v1/2', 'o+1/2', 'x+1', 'o*1', 'o+', 'o+1:2:3', 'o+abc']) {
    t.throws(() => parseVref(bad), { message: /invalid vref/ }, bad);
  }
  t.is(makeVref('object', false, 50), 'o-50');
  t.is(makeVref('device', true, 0), 'd+0');
});

test('vat and device IDs', t => {
  t.true(isVatID('v1'));
  t.true(isVatID('v12'));
  t.false(isVatID('v0'));
  t.false(isVatID('d7'));
  t.true(isDeviceID('d7'));
  t.false(isDeviceID('v7'));
});
