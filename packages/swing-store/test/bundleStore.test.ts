// bundle-source needs the SES globals (not lockdown) before it loads.
import 'ses';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import bundleSource from '@endo/bundle-source';
import { ZipWriter } from '@endo/zip';
import { makeBundleStore } from '../src/bundleStore.js';
import { SwingStoreError } from '../src/errors.js';
import type { Bundle, BundleStoreInternal } from '../src/types.js';
import { chunksOf, makeTestDB, readAll } from './helpers/db.js';
import type { TestDB } from './helpers/db.js';

const fixture = fileURLToPath(new URL('../../test/fixtures/tiny-module.js', import.meta.url));
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const sha512 = (data: string | Uint8Array): string => createHash('sha512').update(data).digest('hex');

interface NestedEvaluateBundle {
  moduleFormat: 'nestedEvaluate';
  source: string;
  sourceMap?: string;
}
interface ZipBundle {
  moduleFormat: 'endoZipBase64';
  endoZipBase64: string;
  endoZipBase64Sha512: string;
}

let b0Bundle: NestedEvaluateBundle;
let b0ID: string;
let b1Bundle: ZipBundle;
let b1ID: string;

test.before(async () => {
  b0Bundle = (await bundleSource(fixture, { format: 'nestedEvaluate' })) as unknown as NestedEvaluateBundle;
  b0ID = `b0-${sha256(JSON.stringify(b0Bundle))}`;
  b1Bundle = (await bundleSource(fixture, { format: 'endoZipBase64' })) as unknown as ZipBundle;
  b1ID = `b1-${b1Bundle.endoZipBase64Sha512}`;
});

function setup(t: ExecutionContext): { tdb: TestDB; bundleStore: BundleStoreInternal } {
  const tdb = makeTestDB('bundlestore');
  t.teardown(() => tdb.cleanup());
  return { tdb, bundleStore: makeBundleStore(tdb.ctx) };
}

async function expectCode(t: ExecutionContext, run: () => unknown, code: string, ...mentions: string[]): Promise<void> {
  const error = await t.throwsAsync(async () => {
    await run();
  });
  t.true(error instanceof SwingStoreError, `expected SwingStoreError, got ${String(error)}`);
  t.is((error as SwingStoreError).code, code as SwingStoreError['code'], error?.message);
  for (const text of mentions) t.true(error?.message.includes(text), `${JSON.stringify(text)} not in: ${error?.message}`);
}

const storedBlob = (tdb: TestDB, bundleID: string): unknown =>
  tdb.db.prepare<[string], { bundle: unknown }>('SELECT bundle FROM bundles WHERE bundleID = ?').get(bundleID)?.bundle;

/** Builds a zip archive from text files (the caller supplies any compartment map and hashes). */
async function makeZip(files: Record<string, string>): Promise<Buffer> {
  const writer = new ZipWriter();
  for (const [name, content] of Object.entries(files)) writer.write(name, new TextEncoder().encode(content));
  return Buffer.from(writer.snapshot());
}

test('b0: nestedEvaluate bundle is stored as its JSON text under b0-<sha256>', async (t) => {
  const { tdb, bundleStore } = setup(t);
  t.false(bundleStore.hasBundle(b0ID));
  bundleStore.addBundle(b0ID, b0Bundle as Bundle);
  t.true(bundleStore.hasBundle(b0ID));
  t.deepEqual(bundleStore.getBundle(b0ID), b0Bundle);
  t.is(storedBlob(tdb, b0ID), JSON.stringify(b0Bundle));
  t.deepEqual(tdb.takeExports(), [[`bundle.${b0ID}`, b0ID]]);
  t.deepEqual([...bundleStore.getExportRecords()], [[`bundle.${b0ID}`, b0ID]]);
  t.deepEqual([...bundleStore.getArtifactNames()], [`bundle.${b0ID}`]);
  t.is((await readAll(bundleStore.exportBundle(`bundle.${b0ID}`))).toString(), JSON.stringify(b0Bundle));
});

test('b1: endoZipBase64 bundle is stored as raw zip bytes under b1-<compartment-map sha512>', async (t) => {
  const { tdb, bundleStore } = setup(t);
  const zip = Buffer.from(b1Bundle.endoZipBase64, 'base64');
  // The b1 suffix commits to the archive's compartment map, not the zip file.
  t.not(sha512(zip), b1Bundle.endoZipBase64Sha512);
  bundleStore.addBundle(b1ID, b1Bundle as Bundle);
  const blob = storedBlob(tdb, b1ID);
  t.true(Buffer.isBuffer(blob) && blob.equals(zip));
  t.deepEqual({ ...bundleStore.getBundle(b1ID) }, { ...b1Bundle });
  t.true((await readAll(bundleStore.exportBundle(`bundle.${b1ID}`))).equals(zip));
  t.deepEqual(tdb.takeExports(), [[`bundle.${b1ID}`, b1ID]]);
});

test('unknown ID prefixes are rejected with BAD_BUNDLE_ID', async (t) => {
  const { bundleStore } = setup(t);
  for (const id of [`b2-${'0'.repeat(64)}`, 'foo', `b0-${'0'.repeat(63)}`, `b1-${'A'.repeat(128)}`, '']) {
    await expectCode(t, () => bundleStore.addBundle(id, b0Bundle as Bundle), 'BAD_BUNDLE_ID', JSON.stringify(id));
  }
  await expectCode(t, () => bundleStore.getBundle('b9-x'), 'BAD_BUNDLE_ID');
});

test('a bundle that does not match its ID is rejected with BUNDLE_MISMATCH', async (t) => {
  const { tdb, bundleStore } = setup(t);
  const wrongB0 = `b0-${'1'.repeat(64)}`;
  await expectCode(t, () => bundleStore.addBundle(wrongB0, b0Bundle as Bundle), 'BUNDLE_MISMATCH', wrongB0, b0ID);
  const altered = { ...b0Bundle, source: `${b0Bundle.source}\n` };
  await expectCode(t, () => bundleStore.addBundle(b0ID, altered as Bundle), 'BUNDLE_MISMATCH', b0ID, sha256(JSON.stringify(altered)));
  await expectCode(t, () => bundleStore.addBundle(b0ID, b1Bundle as Bundle), 'BUNDLE_MISMATCH', 'nestedEvaluate');
  await expectCode(t, () => bundleStore.addBundle(b1ID, b0Bundle as Bundle), 'BUNDLE_MISMATCH', 'endoZipBase64');

  // b1: the claimed hash must match the ID ...
  const otherB1 = `b1-${'2'.repeat(128)}`;
  await expectCode(t, () => bundleStore.addBundle(otherB1, b1Bundle as Bundle), 'BUNDLE_MISMATCH', otherB1);
  // ... and, unlike the reference, so must the bytes actually stored.
  const zip = Buffer.from(b1Bundle.endoZipBase64, 'base64');
  const foreignZip = await makeZip({ 'compartment-map.json': '{"compartments":{}}' });
  const lying = { ...b1Bundle, endoZipBase64: foreignZip.toString('base64') };
  await expectCode(t, () => bundleStore.addBundle(b1ID, lying as Bundle), 'BUNDLE_MISMATCH', b1ID, sha512('{"compartments":{}}'));
  const corrupted = Buffer.from(zip);
  const at = corrupted.indexOf('hello, ');
  t.true(at > 0);
  corrupted[at] = 'H'.charCodeAt(0);
  const tampered = { ...b1Bundle, endoZipBase64: corrupted.toString('base64') };
  await expectCode(t, () => bundleStore.addBundle(b1ID, tampered as Bundle), 'BUNDLE_MISMATCH', b1ID);

  t.deepEqual(tdb.takeExports(), [], 'nothing was noted');
  t.false(bundleStore.hasBundle(b0ID) || bundleStore.hasBundle(b1ID));
});

test('duplicates, deletion and lookups of absent bundles', async (t) => {
  const { tdb, bundleStore } = setup(t);
  bundleStore.addBundle(b0ID, b0Bundle as Bundle);
  await expectCode(t, () => bundleStore.addBundle(b0ID, b0Bundle as Bundle), 'DUPLICATE_RECORD', b0ID);
  tdb.takeExports();
  bundleStore.deleteBundle(b0ID);
  t.false(bundleStore.hasBundle(b0ID));
  t.deepEqual(tdb.takeExports(), [[`bundle.${b0ID}`, null]]);
  bundleStore.deleteBundle(b0ID);
  t.deepEqual(tdb.takeExports(), [], 'deleting an absent bundle is a no-op');
  await expectCode(t, () => bundleStore.getBundle(b0ID), 'NO_BUNDLE', b0ID, 'not found');
  await expectCode(t, () => bundleStore.exportBundle(`bundle.${b0ID}`), 'MISSING_ARTIFACT', b0ID);
  await expectCode(t, () => bundleStore.exportBundle(`bundle.${b0ID}.extra`), 'BAD_ARTIFACT_NAME');
});

test('export -> import round-trip for b0 and b1, with completeness check', async (t) => {
  const source = setup(t);
  source.bundleStore.addBundle(b0ID, b0Bundle as Bundle);
  source.bundleStore.addBundle(b1ID, b1Bundle as Bundle);

  const { bundleStore } = setup(t);
  for (const [key, value] of source.bundleStore.getExportRecords()) bundleStore.importBundleRecord(key, value);
  t.false(bundleStore.hasBundle(b0ID), 'a bare record is not a usable bundle');
  await expectCode(t, () => bundleStore.getBundle(b0ID), 'NO_BUNDLE', 'not populated');
  await expectCode(t, () => bundleStore.assertComplete(), 'INCOMPLETE', `missing bundles for: ${[b0ID, b1ID].sort().join(',')}`);
  for (const name of source.bundleStore.getArtifactNames()) {
    await bundleStore.importBundle(name, source.bundleStore.exportBundle(name));
  }
  t.notThrows(() => bundleStore.assertComplete());
  t.deepEqual(bundleStore.getBundle(b0ID), b0Bundle);
  t.deepEqual({ ...bundleStore.getBundle(b1ID) }, { ...b1Bundle });
  t.deepEqual([...bundleStore.getBundleIDs()], [b0ID, b1ID].sort());
  t.deepEqual(bundleStore.dumpBundles(), source.bundleStore.dumpBundles());

  // repair accepts known records and refuses new ones
  t.notThrows(() => bundleStore.repairBundleRecord(`bundle.${b0ID}`, b0ID));
  const unknown = `b0-${'3'.repeat(64)}`;
  await expectCode(t, () => bundleStore.repairBundleRecord(`bundle.${unknown}`, unknown), 'BAD_EXPORT_DATA', unknown);
});

test('import rebuilds b0 from known fields and rejects tampered artifacts', async (t) => {
  const { tdb, bundleStore } = setup(t);
  for (const id of [b0ID, b1ID]) bundleStore.importBundleRecord(`bundle.${id}`, id);
  await expectCode(t, () => bundleStore.importBundleRecord(`bundle.${b0ID}`, b0ID), 'DUPLICATE_RECORD');
  await expectCode(t, () => bundleStore.importBundleRecord(`bundle.${b0ID}`, b1ID), 'BAD_EXPORT_DATA', b0ID);
  await expectCode(t, () => bundleStore.importBundleRecord('bundle.foo', 'foo'), 'BAD_BUNDLE_ID');

  const text = (value: unknown): AsyncGenerator<Uint8Array> => chunksOf(Buffer.from(JSON.stringify(value)), 500);
  await expectCode(t, () => bundleStore.importBundle(`bundle.${b0ID}`, text({ ...b0Bundle, source: 'evil()' })), 'BUNDLE_MISMATCH', b0ID);
  await expectCode(t, () => bundleStore.importBundle(`bundle.${b0ID}`, chunksOf(Buffer.from('{nope'))), 'BUNDLE_MISMATCH', 'JSON');
  // Unknown fields are dropped before hashing, so a padded artifact still matches.
  await bundleStore.importBundle(`bundle.${b0ID}`, text({ ...b0Bundle, smuggled: 'payload' }));
  t.is(storedBlob(tdb, b0ID), JSON.stringify(b0Bundle));

  const zip = Buffer.from(b1Bundle.endoZipBase64, 'base64');
  const corrupted = Buffer.from(zip);
  corrupted[corrupted.indexOf('hello, ')] = 'J'.charCodeAt(0);
  await expectCode(t, () => bundleStore.importBundle(`bundle.${b1ID}`, chunksOf(corrupted)), 'BUNDLE_MISMATCH', b1ID);
  t.false(bundleStore.hasBundle(b1ID));
  await bundleStore.importBundle(`bundle.${b1ID}`, chunksOf(zip, 300));
  t.true(bundleStore.hasBundle(b1ID));

  const stray = `b0-${'4'.repeat(64)}`;
  await expectCode(t, () => bundleStore.importBundle(`bundle.${stray}`, text(b0Bundle)), 'BAD_ARTIFACT_NAME', stray);
});

test('b1 import runs @endo/check-bundle: an archive with consistent hashes but an unknown parser fails', async (t) => {
  const { bundleStore } = setup(t);
  const moduleText = 'export const x = 1;';
  const map = JSON.stringify({
    tags: [],
    entry: { compartment: 'app-v1.0.0', module: './main.js' },
    compartments: {
      'app-v1.0.0': {
        name: 'app',
        label: 'app',
        location: 'app-v1.0.0',
        modules: { './main.js': { location: 'main.js', parser: 'no-such-parser', sha512: sha512(moduleText) } },
      },
    },
  });
  const zip = await makeZip({ 'compartment-map.json': map, 'app-v1.0.0/main.js': moduleText });
  const id = `b1-${sha512(map)}`;
  // The synchronous hash chain is intact, so addBundle accepts it ...
  const other = setup(t).bundleStore;
  other.addBundle(id, { moduleFormat: 'endoZipBase64', endoZipBase64Sha512: sha512(map), endoZipBase64: zip.toString('base64') });
  t.true(other.hasBundle(id));
  // ... but an imported artifact must pass the full archive check.
  bundleStore.importBundleRecord(`bundle.${id}`, id);
  await expectCode(t, () => bundleStore.importBundle(`bundle.${id}`, chunksOf(zip)), 'BUNDLE_MISMATCH', id, 'check-bundle');

  // A file outside the compartment map is caught by the synchronous check.
  const padded = await makeZip({ 'compartment-map.json': map, 'app-v1.0.0/main.js': moduleText, 'extra.txt': 'x' });
  const fresh = setup(t).bundleStore;
  await expectCode(
    t,
    () => fresh.addBundle(id, { moduleFormat: 'endoZipBase64', endoZipBase64Sha512: id.slice(3), endoZipBase64: padded.toString('base64') }),
    'BUNDLE_MISMATCH',
    'extra.txt',
  );
});
