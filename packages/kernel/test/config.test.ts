import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  loadBasedir,
  loadSwingsetConfigFile,
  normalizeConfig,
  validateSwingsetConfig,
} from '../src/controller/config.js';
import { matchExports, splitSpecifier } from '../src/controller/resolveSpecifier.js';

// dist/test -> test/fixtures (fixtures are not compiled)
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/config');

const configError = (code: string, message: RegExp) => ({ instanceOf: ConfigError, code, message }) as never;

test('loadSwingsetConfigFile resolves specs against the file, as package specifiers too', async t => {
  const config = await loadSwingsetConfigFile(path.join(fixtures, 'good.json'));
  if (config === null) throw Error('config file missing');
  t.is(config.bootstrap, 'boot');
  t.is(config.vats.boot?.sourceSpec, path.join(fixtures, 'vats/bootstrap.js'));
  t.is(config.vats.left?.sourceSpec, path.join(fixtures, 'vats/vat-left.js'), 'bare relative path');
  t.regex(config.vats.fromPackage?.sourceSpec ?? '', /node_modules\/@endo\/far\/.+\.js$/);
  t.true(fs.existsSync(config.vats.fromPackage?.sourceSpec ?? ''));
  t.is(config.bundles?.named?.sourceSpec, path.join(fixtures, 'vats/vat-right.js'));
  t.deepEqual(config.vats.left?.parameters, {}, 'parameters default to {}');
  t.deepEqual(config.vats.boot?.parameters, { x: [1, 'two'] });
  t.is(config.defaultManagerType, 'xsnap', 'xs-worker is an alias');
  t.is(config.defaultReapInterval, 'never');
  t.deepEqual(config.hostSpecificKey, { kept: true }, 'host keys survive');
});

test('loadSwingsetConfigFile: absent file is null; other problems are coded errors naming the file', async t => {
  t.is(await loadSwingsetConfigFile(path.join(fixtures, 'nope.json')), null);
  await t.throwsAsync(loadSwingsetConfigFile(path.join(fixtures, 'not-json.json')), configError('CONFIG_PARSE', /not-json\.json is not valid JSON/));
  await t.throwsAsync(
    loadSwingsetConfigFile(path.join(fixtures, 'missing-source.json')),
    configError('CONFIG_SOURCE_MISSING', /vats\.boot\.sourceSpec "\.\/vats\/no-such-file\.js" resolves to .*no-such-file\.js, which does not exist/),
  );
  await t.throwsAsync(loadSwingsetConfigFile(path.join(fixtures, 'no-bootstrap.json')), configError('CONFIG_BOOTSTRAP', /no designated bootstrap vat/));
  await t.throwsAsync(loadSwingsetConfigFile(path.join(fixtures, 'bad-bootstrap.json')), configError('CONFIG_BOOTSTRAP', /bootstrap vat "nobody" not found/));
});

test('validation names the vat and key and says why', t => {
  const check = (config: unknown, message: RegExp): void => {
    t.throws(() => validateSwingsetConfig(config, 'x.json'), configError('CONFIG_INVALID', message));
  };
  check([], /config x\.json: config: must be an object/);
  check({ vats: { a: { sourceSpec: 'a.js', bundleSpec: 'b.json' } } }, /vats\.a: need =1 of bundle\/bundleSpec\/sourceSpec\/bundleName, got bundleSpec, sourceSpec/);
  check({ vats: { a: {} } }, /vats\.a: needs one of bundle\/bundleSpec\/sourceSpec\/bundleName/);
  check({ vats: { a: { sourceSpec: 'a.js', creationOptions: { colour: 'red' } } } }, /vats\.a\.creationOptions\.colour: unknown creation option/);
  check({ vats: { a: { sourceSpec: 'a.js', creationOptions: { managerType: 'node-js' } } } }, /managerType must be .*got "node-js"/);
  check({ vats: { a: { sourceSpec: 'a.js', creationOptions: { nodeOptions: [] } } } }, /nodeOptions: nodeOptions requires managerType 'node-subprocess'/);
  check(
    { vats: { a: { sourceSpec: 'a.js', creationOptions: { managerType: 'node-subprocess', nodeOptions: [1] } } } },
    /nodeOptions: must be an array of strings/,
  );
  // node-subprocess runs on the local worker; its nodeOptions have nowhere to go and are dropped.
  t.deepEqual(
    validateSwingsetConfig({ vats: { a: { sourceSpec: 'a.js', creationOptions: { managerType: 'node-subprocess', nodeOptions: ['--x'] } } } })
      .vats['a']?.creationOptions,
    { managerType: 'local' },
  );
  check({ vats: { a: { sourceSpec: 'a.js', creationOptions: { reapInterval: 0 } } } }, /reapInterval: must be a positive integer or "never", got number 0/);
  check({ vats: { a: { sourceSpec: 'a.js', creationOptions: { critical: 'yes' } } } }, /critical: must be true or false/);
  check({ vats: { a: { sourceSpec: 'a.js', parameters: 'p' } } }, /vats\.a\.parameters: must be an object/);
  check({ vats: { a: { sourceSpec: 'a.js', parameters: { f: () => 1 } } } }, /vats\.a\.parameters\.f: must be JSON data/);
  check({ vats: { a: { bundleName: 'zz' } } }, /vats\.a\.bundleName: names bundle "zz", which is not in config\.bundles/);
  check({ vats: {}, bundles: { b: { bundleName: 'c' } } }, /bundles\.b: bundleName is not allowed here/);
  check({ vats: {}, defaultManagerType: 'node' }, /defaultManagerType: managerType must be/);
  check({ vats: {}, snapshotInterval: 0 }, /snapshotInterval: must be a positive integer/);
  check({ vats: {}, bundleFormat: 'nestedEvaluate' }, /bundleFormat: vat bundles must be "endoZipBase64"/);
  check({ vats: { a: { bundle: { moduleFormat: 'getExport' } } } }, /vats\.a\.bundle: must be an endoZipBase64 bundle object/);
  check({ vats: [], bootstrap: 'a' }, /vats: must be an object mapping names/);
  check({ vats: {}, devices: { d: { sourceSpec: 'd.js', creationOptions: { endowed: true } } } }, /devices\.d\.creationOptions\.endowed: unknown device option/);
});

test('normalizeConfig without a file resolves against the current directory', t => {
  const cwd = process.cwd();
  process.chdir(fixtures);
  try {
    const config = normalizeConfig({ bootstrap: 'b', vats: { b: { sourceSpec: './vats/bootstrap.js' } } });
    t.is(config.vats.b?.sourceSpec, path.join(fs.realpathSync(fixtures), 'vats/bootstrap.js'));
  } finally {
    process.chdir(cwd);
  }
});

test('loadBasedir: vat-NAME.js files, sorted, and bootstrap.js as the bootstrap vat', t => {
  const config = loadBasedir(path.join(fixtures, 'vats'), { includeDevDependencies: true });
  t.deepEqual(Object.keys(config.vats), ['left', 'right', 'bootstrap']);
  t.is(config.bootstrap, 'bootstrap');
  t.deepEqual(config.vats.left, { sourceSpec: path.join(fixtures, 'vats/vat-left.js'), parameters: {} });
  t.true(config.includeDevDependencies);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basedir-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'vat-only.js'), '');
  const noBoot = loadBasedir(dir);
  t.deepEqual(Object.keys(noBoot.vats), ['only']);
  t.is(noBoot.bootstrap, undefined);
  t.throws(() => loadBasedir(path.join(dir, 'absent')), configError('CONFIG_SOURCE_MISSING', /basedir .*absent cannot be read/));
});

test('package specifiers: name split and exports maps', t => {
  t.deepEqual(splitSpecifier('@endo/far'), { name: '@endo/far', subpath: '.' });
  t.deepEqual(splitSpecifier('pkg/a/b.js'), { name: 'pkg', subpath: './a/b.js' });
  t.is(splitSpecifier('@scope'), undefined);
  const exportsMap = {
    '.': { types: './x.d.ts', import: './esm/index.js', require: './cjs/index.cjs' },
    './tools/*': './src/tools/*.js',
    './tools/special': null,
    './package.json': './package.json',
  };
  t.is(matchExports(exportsMap, '.'), './esm/index.js');
  t.is(matchExports(exportsMap, './tools/thing'), './src/tools/thing.js');
  t.is(matchExports(exportsMap, './tools/special'), undefined);
  t.is(matchExports(exportsMap, './other'), undefined);
  t.is(matchExports('./main.js', '.'), './main.js');
  t.is(matchExports([{ node: './n.js' }, './fallback.js'], '.'), './n.js');
});
