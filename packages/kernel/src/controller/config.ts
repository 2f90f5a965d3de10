// Loading SwingSet configs: from a JSON file (`loadSwingsetConfigFile`) or
// by scanning a directory (`loadBasedir`), and `normalizeConfig`, which
// resolves every sourceSpec/bundleSpec to an absolute path (as a package
// specifier first, then as a path relative to the config file), checks the
// files exist, fills in `parameters: {}`, and requires a bootstrap vat.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../shared/configErrors.js';
import {
  insistBootstrap,
  validateSwingsetConfig,
  type SwingSetConfig,
  type VatConfig,
} from './configValidate.js';
import { resolvePackageSpecifier } from './resolveSpecifier.js';

export * from './configValidate.js';
export { ConfigError, type ConfigErrorCode } from '../shared/configErrors.js';

const isPathLike = (spec: string): boolean =>
  spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/') || spec === '.' || spec === '..';

/**
 * Absolute path for a spec found in a config whose directory is `baseDir`:
 * relative and absolute paths resolve against `baseDir`; anything else is
 * tried as a package specifier (exports-aware) and, failing that, as a
 * plain relative path.
 */
export function resolveSpecFromConfig(baseDir: string, spec: string): string {
  if (isPathLike(spec)) return path.resolve(baseDir, spec);
  const fromPackage = resolvePackageSpecifier(spec, baseDir);
  if (fromPackage !== undefined) return fromPackage;
  try {
    // CommonJS resolution covers packages without an exports map.
    return createRequire(path.join(baseDir, 'noop.js')).resolve(spec);
  } catch {
    return path.resolve(baseDir, spec);
  }
}

type Group = 'vats' | 'bundles' | 'devices';

function normalizeGroup(config: SwingSetConfig, group: Group, baseDir: string, source: string): void {
  const entries = config[group] as Record<string, Record<string, unknown>> | undefined;
  if (entries === undefined) return;
  for (const [name, entry] of Object.entries(entries)) {
    if (group === 'vats') (entry as VatConfig).parameters ??= {};
    for (const specKey of ['sourceSpec', 'bundleSpec'] as const) {
      const spec = entry[specKey];
      if (typeof spec !== 'string') continue;
      const resolved = resolveSpecFromConfig(baseDir, spec);
      if (!fs.existsSync(resolved)) {
        throw new ConfigError(
          'CONFIG_SOURCE_MISSING',
          `${source}: ${group}.${name}.${specKey} ${JSON.stringify(spec)} resolves to ${resolved}, which does not exist`,
        );
      }
      entry[specKey] = resolved;
    }
  }
}

/**
 * Validate `config` and resolve its specs in place (it is also returned).
 * `configPath` is the file it came from; without one, specs resolve against
 * the current directory. A bootstrap vat is required.
 */
export function normalizeConfig(config: unknown, configPath?: string): SwingSetConfig {
  const source = configPath ?? 'config';
  const checked = validateSwingsetConfig(config, configPath);
  const baseDir = configPath === undefined ? process.cwd() : path.dirname(path.resolve(configPath));
  normalizeGroup(checked, 'vats', baseDir, source);
  normalizeGroup(checked, 'bundles', baseDir, source);
  normalizeGroup(checked, 'devices', baseDir, source);
  insistBootstrap(checked, configPath);
  return checked;
}

/**
 * Read, validate and normalize a config file. Resolves to null when the
 * file does not exist (as SwingSet's does); any other problem throws a
 * ConfigError naming the file.
 */
export async function loadSwingsetConfigFile(configPath: string): Promise<SwingSetConfig | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError('CONFIG_PARSE', `cannot read config ${configPath}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_PARSE', `config ${configPath} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return normalizeConfig(parsed, configPath);
}

export interface LoadBasedirOptions {
  includeDevDependencies?: boolean;
  bundleFormat?: 'endoZipBase64';
}

/**
 * A config from a directory: each `vat-NAME.js` file is vat NAME (sorted by
 * name) and a `bootstrap.js` file is the vat `bootstrap`, which is then the
 * bootstrap vat. No devices.
 */
export function loadBasedir(basedir: string, options: LoadBasedirOptions = {}): SwingSetConfig {
  const { includeDevDependencies = false, bundleFormat } = options;
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(basedir, { withFileTypes: true });
  } catch (err) {
    throw new ConfigError('CONFIG_SOURCE_MISSING', `basedir ${basedir} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const vatFile = /^vat-(.*)\.js$/s;
  const found = dirents.flatMap(dirent => {
    const match = vatFile.exec(dirent.name);
    return match && dirent.isFile() ? [{ file: dirent.name, name: match[1] as string }] : [];
  });
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const vats: Record<string, VatConfig> = {};
  for (const { file, name } of found) {
    vats[name] = { sourceSpec: path.resolve(basedir, file), parameters: {} };
  }
  const config: SwingSetConfig = { vats, includeDevDependencies };
  if (bundleFormat !== undefined) config.bundleFormat = bundleFormat;
  const bootstrapPath = path.resolve(basedir, 'bootstrap.js');
  if (fs.existsSync(bootstrapPath)) {
    vats.bootstrap = { sourceSpec: bootstrapPath, parameters: {} };
    config.bootstrap = 'bootstrap';
  }
  return config;
}
