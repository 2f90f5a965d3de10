import v8 from 'node:v8';
import vm from 'node:vm';
import test from 'ava';
import { makeDeterministicGcTools, type DeterministicGcTools } from '../src/deterministicGc.js';

v8.setFlagsFromString('--expose_gc');
const engineGC = vm.runInNewContext('gc') as () => void;
const settle = async (): Promise<void> => {
  await new Promise(resolve => setImmediate(resolve));
  await new Promise(resolve => setImmediate(resolve));
};
const makeTools = (): DeterministicGcTools => makeDeterministicGcTools({ engineGC, settle });

// Organic collections between BOYDs: many engine GCs with turns between them.
const churn = async (): Promise<void> => {
  for (let i = 0; i < 3; i += 1) {
    engineGC();
    await settle();
  }
};

test('a WeakRef holds its target until gcAndFinalize, then lets it go', async t => {
  const tools = makeTools();
  let target: object | undefined = { name: 'dropped' };
  const ref = new tools.WeakRef(target);
  target = undefined;
  await churn();
  t.deepEqual(ref.deref(), { name: 'dropped' }, 'organic GC does not empty it');
  await tools.gcAndFinalize();
  t.is(ref.deref(), undefined, 'BOYD does');
});

test('a target still reachable survives gcAndFinalize and stays held', async t => {
  const tools = makeTools();
  const target = { name: 'kept' };
  const ref = new tools.WeakRef(target);
  await tools.gcAndFinalize();
  t.is(ref.deref(), target);
  await churn();
  t.is(ref.deref(), target);
});

test('finalizers run only in gcAndFinalize, in registration order, and not once unregistered', async t => {
  const tools = makeTools();
  const seen: string[] = [];
  const registry = new tools.FinalizationRegistry(held => seen.push(String(held)));
  let a: object | undefined = {};
  let b: object | undefined = {};
  let c: object | undefined = {};
  const token = {};
  // b is registered first, though dropped last
  registry.register(b, 'b');
  registry.register(a, 'a', token);
  registry.register(c, 'c');
  const keep = new tools.WeakRef(c);
  a = undefined;
  b = undefined;
  c = undefined;
  await churn();
  t.deepEqual(seen, [], 'no finalizer between BOYDs');
  t.true(registry.unregister(token));
  t.false(registry.unregister(token), 'nothing left for that token');
  await tools.gcAndFinalize();
  t.deepEqual(seen, ['b', 'c'], 'registration order; a was unregistered');
  t.is(keep.deref(), undefined);
  await tools.gcAndFinalize();
  t.deepEqual(seen, ['b', 'c'], 'each finalizer runs once');
});

test('one vat\'s BOYD does not weaken another vat\'s WeakRefs', async t => {
  const mine = makeTools();
  const theirs = makeTools();
  let target: object | undefined = { name: 'theirs' };
  const ref = new theirs.WeakRef(target);
  target = undefined;
  await mine.gcAndFinalize();
  t.deepEqual(ref.deref(), { name: 'theirs' });
  await theirs.gcAndFinalize();
  t.is(ref.deref(), undefined);
});

test('WeakRef and FinalizationRegistry refuse what the engine refuses', t => {
  const tools = makeTools();
  t.throws(() => new tools.WeakRef(1 as unknown as object), { instanceOf: TypeError });
  const registry = new tools.FinalizationRegistry(() => {});
  const target = {};
  t.throws(() => registry.register(target, target), { instanceOf: TypeError });
  t.is(Object.prototype.toString.call(new tools.WeakRef(target)), '[object WeakRef]');
});
