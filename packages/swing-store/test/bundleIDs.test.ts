import test from 'ava';
import { b0IDOf, bundleIDFromName, bundleName, parseBundleID, serializeNestedEvaluate } from '../src/bundleIDs.js';

test('parseBundleID accepts exactly b0-<64 hex> and b1-<128 hex>', (t) => {
  t.deepEqual(parseBundleID(`b0-${'a'.repeat(64)}`), { version: 0, hash: 'a'.repeat(64) });
  t.deepEqual(parseBundleID(`b1-${'0'.repeat(128)}`), { version: 1, hash: '0'.repeat(128) });
  for (const bad of [`b0-${'a'.repeat(128)}`, `b1-${'a'.repeat(64)}`, `b2-${'a'.repeat(64)}`, 'b0-', 42, undefined]) {
    t.throws(() => parseBundleID(bad), { message: /unsupported bundleID/ });
  }
});

test('bundle names and the b0 hash', (t) => {
  const id = `b0-${'c'.repeat(64)}`;
  t.is(bundleName(id), `bundle.${id}`);
  t.is(bundleIDFromName(`bundle.${id}`), id);
  t.throws(() => bundleIDFromName(`bundle.${id}.x`), { message: /bundle\.<bundleID>/ });
  t.throws(() => bundleIDFromName(`snapshot.${id}`), { message: /bundle\.<bundleID>/ });
  // sha256("") is the well-known e3b0c442...b855
  t.is(b0IDOf(''), 'b0-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(
    serializeNestedEvaluate({ sourceMap: undefined, source: 's', moduleFormat: 'nestedEvaluate' }),
    '{"moduleFormat":"nestedEvaluate","source":"s"}',
  );
});
