import test from 'ava';
import { getKVStoreKeyType, makeHostKVStore, makeKernelKVStore, makeKVStore } from '../src/kvStore.js';
import type { KVStore } from '../src/types.js';
import { makeTestDB } from './helpers/db.js';

const codeIs = (code: string): object => ({ code });

/** Every key from the start, via getNextKey. */
function allKeys(kv: KVStore): string[] {
  const keys: string[] = [];
  let prev = '';
  if (kv.has(prev)) keys.push(prev);
  for (let next = kv.getNextKey(prev); next !== undefined; next = kv.getNextKey(next)) keys.push(next);
  return keys;
}

test('key classes', t => {
  t.is(getKVStoreKeyType('local.kernelStats'), 'local');
  t.is(getKVStoreKeyType('host.height'), 'host');
  t.is(getKVStoreKeyType('v1.c.o+0'), 'consensus');
  t.is(getKVStoreKeyType('localX'), 'consensus');
  t.is(getKVStoreKeyType('hostess'), 'consensus');
  t.is(getKVStoreKeyType('activityhash'), 'consensus');
  t.throws(() => getKVStoreKeyType(7 as unknown as string), codeIs('BAD_KEY'));
});

test('raw kvStore CRUD, upsert and transactional writes', t => {
  const tdb = makeTestDB('kv-crud');
  t.teardown(tdb.cleanup);
  const kv = makeKVStore(tdb.ctx);
  t.is(kv.get('a'), undefined);
  t.false(kv.has('a'));
  kv.set('a', '1');
  t.true(tdb.db.inTransaction, 'a write opens a transaction');
  kv.set('a', '2');
  t.is(kv.get('a'), '2');
  t.true(kv.has('a'));
  kv.set('empty', '');
  t.is(kv.get('empty'), '');
  t.true(kv.has('empty'));
  kv.delete('a');
  kv.delete('never-there');
  t.is(kv.get('a'), undefined);
  t.throws(() => kv.set('x', 5 as unknown as string), codeIs('BAD_ARGUMENT'));
  t.throws(() => kv.get(undefined as unknown as string), codeIs('BAD_KEY'));
  t.throws(() => kv.delete({} as unknown as string), codeIs('BAD_KEY'));
  // Nothing was written by the failed calls.
  t.deepEqual(allKeys(kv), ['empty']);
});

test('getNextKey walks keys in UTF-8 byte order', t => {
  const tdb = makeTestDB('kv-order');
  t.teardown(tdb.cleanup);
  const kv = makeKVStore(tdb.ctx);
  // U+1F600 sorts before U+FFFF in UTF-16 (JS) but after it in UTF-8 bytes.
  const keys = ['b', 'a', 'a.1', 'a.10', 'a.2', 'é', '€', '\uFFFF', '\u{1F600}', 'B'];
  for (const key of keys) kv.set(key, `value of ${key}`);
  const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  t.deepEqual(allKeys(kv), byBytes);
  t.deepEqual(byBytes.slice(-2), ['\uFFFF', '\u{1F600}']);
  t.is(kv.getNextKey('a.1'), 'a.10');
  t.is(kv.getNextKey('a.'), 'a.1', 'previousKey need not exist');
  t.is(kv.getNextKey('\u{1F600}'), undefined);
});

test('a key of 254 x "€" is writable', t => {
  const tdb = makeTestDB('kv-maxkey');
  t.teardown(tdb.cleanup);
  const kv = makeKVStore(tdb.ctx);
  const key = '€'.repeat(254);
  kv.set(key, 'big');
  tdb.commit();
  t.is(kv.get(key), 'big');
  t.is(kv.getNextKey(''), key);
});

test('trace hook records mutations', t => {
  const tdb = makeTestDB('kv-trace');
  t.teardown(tdb.cleanup);
  const lines: string[] = [];
  const kv = makeKVStore(tdb.ctx, { trace: line => lines.push(line) });
  kv.set('a', 'x y');
  kv.delete('a');
  kv.get('a');
  t.deepEqual(lines, ['set a x y', 'del a']);
});

test('kernel kvStore hashes and exports consensus writes only', t => {
  const tdb = makeTestDB('kv-kernel');
  t.teardown(tdb.cleanup);
  const raw = makeKVStore(tdb.ctx);
  const hashed: string[] = [];
  const kernel = makeKernelKVStore(raw, {
    noteExport: tdb.ctx.noteExport,
    addToCrankhash: bytes => hashed.push(bytes),
  });
  kernel.set('v1.o.nextID', '5');
  kernel.set('local.stats', '{}');
  kernel.delete('v1.o.nextID');
  kernel.delete('local.stats');
  kernel.set('kernel.x', 'y');
  t.deepEqual(hashed, ['add\nv1.o.nextID\n5\n', 'delete\nv1.o.nextID\n', 'add\nkernel.x\ny\n']);
  t.deepEqual(tdb.takeExports(), [
    ['kv.kernel.x', 'y'],
    ['kv.v1.o.nextID', null],
  ]);
  t.throws(() => kernel.set('host.height', '1'), codeIs('BAD_KEY'));
  t.throws(() => kernel.delete('host.height'), codeIs('BAD_KEY'));
  t.is(raw.get('host.height'), undefined);
  // Reads of any class are allowed.
  raw.set('host.height', '9');
  t.is(kernel.get('host.height'), '9');
  t.true(kernel.has('kernel.x'));
  t.is(kernel.getNextKey('host.height'), 'kernel.x');
});

test('host kvStore writes only host keys but reads everything', t => {
  const tdb = makeTestDB('kv-host');
  t.teardown(tdb.cleanup);
  const raw = makeKVStore(tdb.ctx);
  const host = makeHostKVStore(raw);
  host.set('host.height', '10');
  t.is(raw.get('host.height'), '10');
  t.throws(() => host.set('v1.x', '1'), codeIs('BAD_KEY'));
  t.throws(() => host.set('local.x', '1'), codeIs('BAD_KEY'));
  t.throws(() => host.delete('v1.x'), codeIs('BAD_KEY'));
  raw.set('v1.x', 'kernel data');
  t.is(host.get('v1.x'), 'kernel data');
  host.delete('host.height');
  t.false(host.has('host.height'));
  t.is(tdb.exports.size, 0, 'host writes are never exported');
});
