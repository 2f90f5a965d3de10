import test from 'ava';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  computeBundleInputHash,
  listBundledModules,
  readCachedBundles,
  BUNDLE_RECIPE_VERSION,
} from '../src/bundleBuilder.js';
import { computeB0BundleID, insistNestedEvaluateBundle, isB0BundleID, makeXsnapWorkerOptions } from '../src/bundleIDs.js';
import { makeMeterControl, type NativeMeter } from '../src/meterControl.js';
import { teeAsyncIterable } from '../src/teeStream.js';
import type { NestedEvaluateBundle } from '../src/types.js';
import { makeTempDir } from './harness.js';

const packageDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

test('b0 IDs are sha256 of the JSON text', t => {
  const bundle: NestedEvaluateBundle = { moduleFormat: 'nestedEvaluate', source: '() => 1', sourceMap: '' };
  const id = computeB0BundleID(bundle);
  const text = '{"moduleFormat":"nestedEvaluate","source":"() => 1","sourceMap":""}';
  t.is(id, `b0-${createHash('sha256').update(text).digest('hex')}`);
  t.true(isB0BundleID(id));
  t.is(id, computeB0BundleID(JSON.parse(JSON.stringify(bundle)) as NestedEvaluateBundle));
  t.not(id, computeB0BundleID({ ...bundle, source: '() => 2' }));
  t.is(insistNestedEvaluateBundle(id, bundle), bundle);
  t.throws(() => insistNestedEvaluateBundle(id, { ...bundle, source: 'tampered' }), { message: /hashes to b0-/ });
  t.throws(() => insistNestedEvaluateBundle(id, { moduleFormat: 'endoZipBase64' }), {
    message: `bundle ${id} is not a nestedEvaluate bundle`,
  });
});

test('worker options carry lockdown then supervisor b0 IDs', t => {
  const a = `b0-${'a'.repeat(64)}`;
  const b = `b0-${'b'.repeat(64)}`;
  t.deepEqual(makeXsnapWorkerOptions(a, b), { type: 'xsnap', bundleIDs: [a, b] });
  t.throws(() => makeXsnapWorkerOptions('b1-abc', b), { message: /"b1-abc" is not a b0- ID/ });
});

test('the bundle input hash covers exactly the modules the bundles include', t => {
  const modules = listBundledModules(packageDir).map(f => path.relative(packageDir, f));
  t.true(modules.includes(path.join('dist', 'src', 'supervisor', 'supervisor.js')));
  t.true(modules.includes(path.join('dist', 'src', 'syscallQueue.js')));
  t.false(modules.includes(path.join('dist', 'src', 'xsnapWorker.js')), 'kernel-side code is not an input');
  const hash = computeBundleInputHash(packageDir);
  t.regex(hash, /^[0-9a-f]{64}$/);
  t.is(computeBundleInputHash(packageDir), hash, 'stable');
});

test('the bundle cache is used only when its manifest matches the inputs', t => {
  const dir = makeTempDir('ws-cache');
  const bundlesDir = path.join(dir, 'bundles');
  fs.mkdirSync(bundlesDir);
  const lockdown: NestedEvaluateBundle = { moduleFormat: 'nestedEvaluate', source: '() => "L"', sourceMap: '' };
  const supervisor: NestedEvaluateBundle = { moduleFormat: 'nestedEvaluate', source: '() => "S"', sourceMap: '' };
  fs.writeFileSync(path.join(bundlesDir, 'lockdown.bundle.json'), JSON.stringify(lockdown));
  fs.writeFileSync(path.join(bundlesDir, 'supervisor.bundle.json'), JSON.stringify(supervisor));
  const manifest = {
    recipe: BUNDLE_RECIPE_VERSION,
    inputHash: 'h1',
    lockdownID: computeB0BundleID(lockdown),
    supervisorID: computeB0BundleID(supervisor),
  };
  fs.writeFileSync(path.join(bundlesDir, 'manifest.json'), JSON.stringify(manifest));
  t.like(readCachedBundles(dir, 'h1'), { lockdownID: manifest.lockdownID, lockdown });
  t.is(readCachedBundles(dir, 'h2'), undefined, 'inputs changed');
  fs.writeFileSync(path.join(bundlesDir, 'supervisor.bundle.json'), JSON.stringify({ ...supervisor, source: 'x' }));
  t.is(readCachedBundles(dir, 'h1'), undefined, 'a bundle file that does not match its ID');
  t.is(readCachedBundles(makeTempDir('ws-empty'), 'h1'), undefined, 'no cache at all');
});

test('meterControl pauses and restores the native meter', t => {
  let limit = 500;
  let count = 40;
  const native: NativeMeter = {
    currentMeterLimit: () => limit,
    resetMeter: (newLimit, newCount) => {
      const before = count;
      limit = newLimit;
      count = newCount;
      return before;
    },
  };
  const control = makeMeterControl(native);
  t.false(control.isMeteringDisabled());
  control.assertIsMetered();
  const seen = control.runWithoutMetering(() => {
    count += 1000; // work done while paused
    t.true(control.isMeteringDisabled());
    control.assertNotMetered();
    t.throws(() => control.assertIsMetered('nope'), { message: 'nope' });
    return limit;
  });
  t.is(seen, 0, 'no limit while paused');
  t.is(limit, 500);
  t.is(count, 40, 'paused work is not counted');
  t.false(control.isMeteringDisabled());
  t.throws(() => control.assertNotMetered());
  const wrapped = control.unmetered((x: number) => {
    count += 7;
    return x * 2;
  });
  t.is(wrapped(21), 42);
  t.is(count, 40);
});

test('meterControl without a native meter only tracks state', async t => {
  const control = makeMeterControl();
  const result = await control.runWithoutMeteringAsync(async () => {
    t.true(control.isMeteringDisabled());
    return 'done';
  });
  t.is(result, 'done');
  t.false(control.isMeteringDisabled());
});

test('teeAsyncIterable gives both readers every chunk, whatever their pace', async t => {
  async function* source() {
    for (let i = 0; i < 5; i += 1) yield i;
  }
  const [a, b] = teeAsyncIterable(source());
  const read = async (it: AsyncIterable<number>) => {
    const out: number[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const fast = await read(a);
  const slow = await read(b);
  t.deepEqual(fast, [0, 1, 2, 3, 4]);
  t.deepEqual(slow, [0, 1, 2, 3, 4]);
  const [c, d] = teeAsyncIterable(source());
  t.deepEqual(await Promise.all([read(c), read(d)]), [
    [0, 1, 2, 3, 4],
    [0, 1, 2, 3, 4],
  ]);
});

test('teeAsyncIterable passes a source failure to both readers', async t => {
  async function* failing() {
    yield 1;
    throw Error('source broke');
  }
  const [a, b] = teeAsyncIterable(failing());
  const drain = async (it: AsyncIterable<number>) => {
    for await (const _ of it) {
      // keep reading
    }
  };
  await t.throwsAsync(drain(a), { message: 'source broke' });
  await t.throwsAsync(drain(b), { message: 'source broke' });
});
