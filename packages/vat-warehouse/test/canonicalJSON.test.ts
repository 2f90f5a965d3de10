import test from 'ava';
import { canonicalJSON } from '../src/canonicalJSON.js';

test('object keys are sorted at every depth', t => {
  const a = { b: 1, a: { y: [1, { d: 2, c: 3 }], x: null } };
  const b = { a: { x: null, y: [1, { c: 3, d: 2 }] }, b: 1 };
  t.is(canonicalJSON(a), '{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}');
  t.is(canonicalJSON(a), canonicalJSON(b));
});

test('follows JSON.stringify for scalars, undefined and arrays', t => {
  t.is(canonicalJSON('p-1\n"'), JSON.stringify('p-1\n"'));
  t.is(canonicalJSON([1, undefined, true]), '[1,null,true]');
  t.is(canonicalJSON({ keep: 0, drop: undefined }), '{"keep":0}');
  t.is(canonicalJSON(NaN), 'null');
  t.is(canonicalJSON([]), '[]');
  t.is(canonicalJSON({}), '{}');
});

test('different values give different text', t => {
  t.not(canonicalJSON(['send', 'o-1']), canonicalJSON(['send', 'o-2']));
  t.not(canonicalJSON({ a: '1' }), canonicalJSON({ a: 1 }));
});

test('refuses what JSON cannot carry', t => {
  t.throws(() => canonicalJSON(1n), { message: /bigint/ });
  t.throws(() => canonicalJSON(undefined), { message: /cannot encode undefined/ });
});
