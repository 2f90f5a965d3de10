import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSourceBundler } from '../src/bundles/bundleCache.js';
import { bundleIDOfEndoZip, checkAllegedBundleID, insistEndoZipBase64Bundle } from '../src/bundles/bundles.js';
import { ConfigError } from '../src/shared/configErrors.js';
import { buildSwingsetKernelConfig } from '../src/controller/kernelConfig.js';

/** A temp dir holding small vat sources (no imports: quick to bundle) and a cache dir. */
function makeWorkspace(t: { teardown(fn: () => void): void }): { dir: string; cacheDir: string; vat(name: string, body?: string): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kernel-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // bundle-source needs an enclosing package
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'config-test-vats', type: 'module' }));
  const vat = (name: string, body = `'${name}'`): string => {
    const file = path.join(dir, `${name}.js`);
    fs.writeFileSync(file, `export const buildRootObject = () => harden({ who: () => ${body} });\n`);
    return file;
  };
  return { dir, cacheDir: path.join(dir, 'cache'), vat };
}

test('vat order, defaults, argv, bundle IDs and named bundles', async t => {
  const ws = makeWorkspace(t);
  const sourceBundler = makeSourceBundler({ cacheDir: ws.cacheDir });
  const config = {
    bootstrap: 'zboot',
    bundles: { shared: { sourceSpec: ws.vat('shared') } },
    vats: {
      zboot: { sourceSpec: ws.vat('zboot'), parameters: { p: 1 } },
      beta: { sourceSpec: ws.vat('beta'), creationOptions: { managerType: 'local', enableSetup: true } },
      alpha: { bundleName: 'shared' },
      timer: { sourceSpec: ws.vat('timerlike') },
    },
  };
  const frozen = JSON.stringify(config);
  const kconfig = await buildSwingsetKernelConfig(config, ['a1'], { sourceBundler, env: {} });
  t.is(JSON.stringify(config), frozen, 'the host config is not modified');
  t.deepEqual(Object.keys(kconfig.vats), ['zboot', 'timer', 'alpha', 'beta'], 'bootstrap, built-in names, then sorted');
  t.deepEqual(kconfig.vats.zboot?.parameters, { p: 1, argv: ['a1'] });
  t.is(kconfig.vats.zboot?.creationOptions.managerType, 'xsnap', 'our default manager type');
  t.deepEqual(kconfig.vats.beta?.creationOptions, { managerType: 'local', enableSetup: true });
  t.is(kconfig.vats.alpha?.bundleID, kconfig.namedBundleIDs.shared);
  t.deepEqual(Object.keys(kconfig.idToBundle), Object.keys(kconfig.idToBundle).slice().sort());
  t.is(Object.keys(kconfig.idToBundle).length, 4);
  for (const [id, bundle] of Object.entries(kconfig.idToBundle)) {
    t.is(bundleIDOfEndoZip(bundle), id);
    t.regex(id, /^b1-[0-9a-f]{128}$/);
  }
  t.like(kconfig, {
    bootstrap: 'zboot',
    defaultManagerType: 'xsnap',
    defaultReapInterval: 1,
    defaultReapGCKrefs: 20,
    snapshotInitial: 3,
    snapshotInterval: 200,
    relaxDurabilityRules: false,
    pinBootstrapRoot: false,
  });
  t.is(sourceBundler.builds(), 4);
});

test('manager type precedence: vat option, config, SWINGSET_WORKER_TYPE, then xsnap', async t => {
  const ws = makeWorkspace(t);
  const sourceBundler = makeSourceBundler({ cacheDir: ws.cacheDir });
  const vats = { a: { sourceSpec: ws.vat('a') }, b: { sourceSpec: ws.vat('b'), creationOptions: { managerType: 'xs-worker' } } };
  const fromEnv = await buildSwingsetKernelConfig({ vats }, undefined, { sourceBundler, env: { SWINGSET_WORKER_TYPE: 'local' } });
  t.is(fromEnv.defaultManagerType, 'local');
  t.is(fromEnv.vats.a?.creationOptions.managerType, 'local');
  t.is(fromEnv.vats.b?.creationOptions.managerType, 'xsnap');
  const fromConfig = await buildSwingsetKernelConfig({ vats, defaultManagerType: 'local' }, undefined, {
    sourceBundler,
    env: { SWINGSET_WORKER_TYPE: 'xsnap' },
  });
  t.is(fromConfig.vats.a?.creationOptions.managerType, 'local');
  t.is(sourceBundler.builds(), 2, 'the same sources are bundled once');
});

test('option combinations xsnap cannot run are refused, naming the vat', async t => {
  const ws = makeWorkspace(t);
  const sourceBundler = makeSourceBundler({ cacheDir: ws.cacheDir });
  // enableSetup under xsnap is accepted, as in SwingSet (the vat runs in the kernel's realm).
  const setupConfig = await buildSwingsetKernelConfig(
    { vats: { s: { sourceSpec: ws.vat('s'), creationOptions: { enableSetup: true } } } },
    undefined,
    { sourceBundler, env: {} },
  );
  t.like(setupConfig.vats['s']?.creationOptions, { enableSetup: true });
  await t.throwsAsync(
    buildSwingsetKernelConfig({ vats: { s: { sourceSpec: ws.vat('s'), creationOptions: { useTranscript: false } } } }, undefined, { sourceBundler, env: {} }),
    { instanceOf: ConfigError, message: /useTranscript: xsnap workers need a transcript/ },
  );
  await t.throwsAsync(buildSwingsetKernelConfig({ bootstrap: 'x', vats: {} }, [], { sourceBundler }), {
    instanceOf: ConfigError,
    message: /bootstrap vat "x" not found/,
  });
  fs.writeFileSync(path.join(ws.dir, 'syntax.js'), 'export const = ;\n');
  await t.throwsAsync(buildSwingsetKernelConfig({ vats: { e: { sourceSpec: path.join(ws.dir, 'syntax.js') } } }, [], { sourceBundler }), {
    instanceOf: ConfigError,
    message: /bundling .*syntax\.js failed/,
  });
  await t.throwsAsync(buildSwingsetKernelConfig({ vats: {}, n: 1n }, [], { sourceBundler }), {
    instanceOf: ConfigError,
    message: /config must be JSON data/,
  });
});

test('bundle and bundleSpec sources are checked and used as given', async t => {
  const ws = makeWorkspace(t);
  const sourceBundler = makeSourceBundler({ cacheDir: ws.cacheDir });
  const bundle = await sourceBundler.bundle(ws.vat('given'));
  const specFile = path.join(ws.dir, 'given.bundle.json');
  fs.writeFileSync(specFile, JSON.stringify(bundle));
  const kconfig = await buildSwingsetKernelConfig({ vats: { a: { bundle }, b: { bundleSpec: specFile } } }, undefined, { sourceBundler });
  t.is(kconfig.vats.a?.bundleID, bundleIDOfEndoZip(bundle));
  t.is(kconfig.vats.b?.bundleID, bundleIDOfEndoZip(bundle));
  t.is(Object.keys(kconfig.idToBundle).length, 1);
  fs.writeFileSync(specFile, '{"moduleFormat":"endoZipBase64"}');
  await t.throwsAsync(buildSwingsetKernelConfig({ vats: { b: { bundleSpec: specFile } } }, undefined, { sourceBundler }), {
    instanceOf: ConfigError,
    message: /config\.vats\.b .*given\.bundle\.json\): endoZipBase64 must be a non-empty string/,
  });
});

test('the source cache: a second bundler reuses bundles until a source changes', async t => {
  const ws = makeWorkspace(t);
  const file = ws.vat('cached');
  const first = makeSourceBundler({ cacheDir: ws.cacheDir });
  const original = await first.bundle(file);
  t.is(first.builds(), 1);

  const second = makeSourceBundler({ cacheDir: ws.cacheDir });
  t.deepEqual(await second.bundle(file), original);
  t.is(second.builds(), 0, 'warm start: no bundling');

  ws.vat('cached', "'edited'");
  const third = makeSourceBundler({ cacheDir: ws.cacheDir });
  const edited = await third.bundle(file);
  t.is(third.builds(), 1, 'an edited source is re-bundled');
  t.not(edited.endoZipBase64Sha512, original.endoZipBase64Sha512);

  // A corrupt cache entry is rebuilt, not trusted.
  for (const name of fs.readdirSync(ws.cacheDir)) {
    if (name.endsWith('.bundle.json')) fs.writeFileSync(path.join(ws.cacheDir, name), 'garbage');
  }
  const fourth = makeSourceBundler({ cacheDir: ws.cacheDir });
  t.deepEqual(await fourth.bundle(file), edited);
  t.is(fourth.builds(), 1);
});

test('bundle shape and alleged IDs', t => {
  const good = { moduleFormat: 'endoZipBase64', endoZipBase64: 'UEs=', endoZipBase64Sha512: 'a'.repeat(128) };
  t.is(checkAllegedBundleID(good), `b1-${'a'.repeat(128)}`);
  t.throws(() => checkAllegedBundleID(good, `b1-${'b'.repeat(128)}`), { message: /does not match actual/ });
  t.throws(() => insistEndoZipBase64Bundle({ ...good, extra: 1 }, 'bundle X'), { message: /bundle X: unexpected bundle fields "extra"/ });
  t.throws(() => insistEndoZipBase64Bundle({ ...good, endoZipBase64Sha512: 'AB' }, 'b'), { message: /128 lowercase hex/ });
  t.throws(() => insistEndoZipBase64Bundle(null, 'b'), { message: /must be an object, got null/ });
});
