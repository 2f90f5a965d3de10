// The SwingSet config JSON, as SwingSet accepts it, and its validation.
// Validation is a parse boundary: it takes `unknown` and returns a typed
// config, or throws a ConfigError naming the vat/device/bundle and key.
// Keys we do not know at the top level are kept (hosts put their own keys
// in config files); inside `creationOptions` unknown keys are refused, as
// SwingSet refuses them.
import { CREATION_OPTION_KEYS } from '../vat-admin/creationOptionKeys.js';
import { ConfigError } from '../shared/configErrors.js';
import type { EndoZipBase64Bundle } from '../bundles/bundles.js';

export type ManagerType = 'local' | 'xsnap';
/** What a config may say; 'xs-worker' is an alias for 'xsnap'. */
export type ConfigManagerType = ManagerType | 'xs-worker';
export type ReapSetting = number | 'never';

export interface VatCreationOptions {
  enablePipelining?: boolean;
  managerType?: ConfigManagerType;
  enableDisavow?: boolean;
  enableSetup?: boolean;
  useTranscript?: boolean;
  critical?: boolean;
  reapInterval?: ReapSetting;
  reapGCKrefs?: ReapSetting;
  neverReap?: boolean;
}

/** Where an entry's code comes from: exactly one of these. */
export type SourceMode = 'bundle' | 'bundleSpec' | 'sourceSpec' | 'bundleName';
export const SOURCE_MODES: readonly SourceMode[] = ['bundle', 'bundleSpec', 'sourceSpec', 'bundleName'];

export interface SourceDescriptor {
  bundle?: EndoZipBase64Bundle;
  bundleSpec?: string;
  sourceSpec?: string;
  bundleName?: string;
}

export interface VatConfig extends SourceDescriptor {
  parameters?: Record<string, unknown>;
  creationOptions?: VatCreationOptions;
}

export interface DeviceConfig extends SourceDescriptor {
  parameters?: Record<string, unknown>;
  creationOptions?: { unendowed?: boolean };
}

export type BundleConfig = Omit<SourceDescriptor, 'bundleName'>;

export interface SwingSetConfig {
  bootstrap?: string;
  vats: Record<string, VatConfig>;
  bundles?: Record<string, BundleConfig>;
  devices?: Record<string, DeviceConfig>;
  defaultManagerType?: ConfigManagerType;
  defaultReapInterval?: ReapSetting;
  defaultReapGCKrefs?: ReapSetting;
  snapshotInitial?: number;
  snapshotInterval?: number;
  relaxDurabilityRules?: boolean;
  pinBootstrapRoot?: boolean;
  includeDevDependencies?: boolean;
  /** Only 'endoZipBase64' is supported (vat bundles must be). */
  bundleFormat?: 'endoZipBase64';
  /** Directory of the source-bundle cache. */
  bundleCachePath?: string;
  /** Host-specific keys are kept as they are. */
  [hostKey: string]: unknown;
}

// The one list of creation-option keys lives with the option recorder.
export { CREATION_OPTION_KEYS };

const BOOLEAN_CREATION_OPTIONS = [
  'enablePipelining',
  'enableDisavow',
  'enableSetup',
  'useTranscript',
  'critical',
  'neverReap',
] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
};

const invalid = (where: string, reason: string): never => {
  throw new ConfigError('CONFIG_INVALID', `${where}: ${reason}`);
};

/**
 * Normalize a manager type; 'xs-worker' becomes 'xsnap'. 'node-subprocess'
 * becomes 'local': Crankshaft has no Node child-process worker, and the
 * local worker is the same thing in-process (liveslots on Node under SES,
 * no metering, no heap snapshots).
 */
export function checkManagerType(value: unknown, where: string): ManagerType {
  if (value === 'xsnap' || value === 'xs-worker') return 'xsnap';
  if (value === 'local' || value === 'node-subprocess') return 'local';
  return invalid(where, `managerType must be "xsnap", "xs-worker", "local" or "node-subprocess", got ${describe(value)}`);
}

/** A reap threshold: a positive integer or 'never'. */
export function checkReapSetting(value: unknown, where: string): ReapSetting {
  if (value === 'never') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  return invalid(where, `must be a positive integer or "never", got ${describe(value)}`);
}

const checkNat = (value: unknown, where: string, positive: boolean): number => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= (positive ? 1 : 0)) return value;
  return invalid(where, `must be a ${positive ? 'positive' : 'non-negative'} integer, got ${describe(value)}`);
};

const checkBoolean = (value: unknown, where: string): boolean => {
  if (typeof value === 'boolean') return value;
  return invalid(where, `must be true or false, got ${describe(value)}`);
};

const checkString = (value: unknown, where: string): string => {
  if (typeof value === 'string' && value.length > 0) return value;
  return invalid(where, `must be a non-empty string, got ${describe(value)}`);
};

/** Parameters travel through marshal: plain JSON data only. */
const checkJsonData = (value: unknown, where: string): void => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(where, `must be JSON data, got ${String(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJsonData(item, `${where}[${i}]`));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJsonData(item, `${where}.${key}`);
    return;
  }
  invalid(where, `must be JSON data, got ${describe(value)}`);
};

/** The one source mode an entry uses; `allowed` excludes bundleName inside `bundles`. */
export function sourceModeOf(entry: Record<string, unknown>, where: string, allowed: readonly SourceMode[]): SourceMode {
  const modes = SOURCE_MODES.filter(mode => mode in entry && entry[mode] !== undefined);
  if (modes.length !== 1) {
    const wanted = allowed.join('/');
    return invalid(
      where,
      modes.length === 0 ? `needs one of ${wanted}` : `need =1 of ${wanted}, got ${modes.join(', ')}`,
    );
  }
  const mode = modes[0] as SourceMode;
  if (!allowed.includes(mode)) {
    return invalid(where, `${mode} is not allowed here (use ${allowed.join('/')})`);
  }
  if (mode === 'bundle') {
    const bundle = entry.bundle;
    if (!isPlainObject(bundle) || bundle.moduleFormat !== 'endoZipBase64') {
      invalid(`${where}.bundle`, 'must be an endoZipBase64 bundle object');
    }
  } else {
    checkString(entry[mode], `${where}.${mode}`);
  }
  return mode;
}

function checkCreationOptions(raw: unknown, where: string): VatCreationOptions {
  if (!isPlainObject(raw)) return invalid(where, `must be an object, got ${describe(raw)}`);
  const options: VatCreationOptions = {};
  for (const [key, value] of Object.entries(raw)) {
    const at = `${where}.${key}`;
    if (!(CREATION_OPTION_KEYS as readonly string[]).includes(key)) {
      invalid(at, `unknown creation option (allowed: ${CREATION_OPTION_KEYS.join(', ')})`);
    }
    if (value === undefined) continue;
    if (key === 'managerType') {
      options.managerType = checkManagerType(value, at);
    } else if (key === 'reapInterval' || key === 'reapGCKrefs') {
      options[key] = checkReapSetting(value, at);
    } else if (key === 'nodeOptions') {
      // SwingSet's rule; the options themselves have no process to go to.
      if ((raw as Record<string, unknown>)['managerType'] !== 'node-subprocess') {
        invalid(at, `nodeOptions requires managerType 'node-subprocess'`);
      }
      if (!Array.isArray(value) || !value.every(arg => typeof arg === 'string')) {
        invalid(at, `must be an array of strings, got ${describe(value)}`);
      }
    } else {
      options[key as (typeof BOOLEAN_CREATION_OPTIONS)[number]] = checkBoolean(value, at);
    }
  }
  return options;
}

function checkParameters(raw: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(raw)) return invalid(where, `must be an object, got ${describe(raw)}`);
  checkJsonData(raw, where);
  return raw;
}

function checkVat(name: string, raw: unknown): VatConfig {
  const where = `vats.${name}`;
  if (!isPlainObject(raw)) return invalid(where, `must be an object, got ${describe(raw)}`);
  sourceModeOf(raw, where, SOURCE_MODES);
  const vat: VatConfig = { ...raw };
  if (raw.parameters !== undefined) vat.parameters = checkParameters(raw.parameters, `${where}.parameters`);
  if (raw.creationOptions !== undefined) {
    vat.creationOptions = checkCreationOptions(raw.creationOptions, `${where}.creationOptions`);
  }
  return vat;
}

function checkDevice(name: string, raw: unknown): DeviceConfig {
  const where = `devices.${name}`;
  if (!isPlainObject(raw)) return invalid(where, `must be an object, got ${describe(raw)}`);
  sourceModeOf(raw, where, SOURCE_MODES);
  const device: DeviceConfig = { ...raw };
  if (raw.parameters !== undefined) device.parameters = checkParameters(raw.parameters, `${where}.parameters`);
  if (raw.creationOptions !== undefined) {
    const opts = raw.creationOptions;
    if (!isPlainObject(opts)) invalid(`${where}.creationOptions`, `must be an object, got ${describe(opts)}`);
    const record = opts as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key !== 'unendowed') invalid(`${where}.creationOptions.${key}`, 'unknown device option (allowed: unendowed)');
    }
    device.creationOptions =
      record.unendowed === undefined ? {} : { unendowed: checkBoolean(record.unendowed, `${where}.creationOptions.unendowed`) };
  }
  return device;
}

function checkBundleEntry(name: string, raw: unknown): BundleConfig {
  const where = `bundles.${name}`;
  if (!isPlainObject(raw)) return invalid(where, `must be an object, got ${describe(raw)}`);
  sourceModeOf(raw, where, ['bundle', 'bundleSpec', 'sourceSpec']);
  return { ...raw };
}

function checkGroup<T>(raw: unknown, group: string, checkEntry: (name: string, entry: unknown) => T): Record<string, T> {
  if (!isPlainObject(raw)) return invalid(group, `must be an object mapping names to entries, got ${describe(raw)}`);
  const out: Record<string, T> = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (name.length === 0) invalid(group, 'names must be non-empty');
    out[name] = checkEntry(name, entry);
  }
  return out;
}

/**
 * Check a config object (as parsed from JSON or built by a host) and return
 * a typed shallow copy. `source` (a file name) prefixes error messages.
 */
export function validateSwingsetConfig(raw: unknown, source?: string): SwingSetConfig {
  const prefix = source === undefined ? 'config' : `config ${source}`;
  try {
    if (!isPlainObject(raw)) invalid('config', `must be an object, got ${describe(raw)}`);
    const record = raw as Record<string, unknown>;
    const config: SwingSetConfig = { ...record, vats: {} };
    config.vats = record.vats === undefined ? {} : checkGroup(record.vats, 'vats', checkVat);
    if (record.bundles !== undefined) config.bundles = checkGroup(record.bundles, 'bundles', checkBundleEntry);
    if (record.devices !== undefined) config.devices = checkGroup(record.devices, 'devices', checkDevice);
    if (record.bootstrap !== undefined) config.bootstrap = checkString(record.bootstrap, 'bootstrap');
    if (record.defaultManagerType !== undefined) {
      config.defaultManagerType = checkManagerType(record.defaultManagerType, 'defaultManagerType');
    }
    for (const key of ['defaultReapInterval', 'defaultReapGCKrefs'] as const) {
      if (record[key] !== undefined) config[key] = checkReapSetting(record[key], key);
    }
    if (record.snapshotInitial !== undefined) config.snapshotInitial = checkNat(record.snapshotInitial, 'snapshotInitial', false);
    if (record.snapshotInterval !== undefined) {
      config.snapshotInterval = checkNat(record.snapshotInterval, 'snapshotInterval', true);
    }
    for (const key of ['relaxDurabilityRules', 'pinBootstrapRoot', 'includeDevDependencies'] as const) {
      if (record[key] !== undefined) config[key] = checkBoolean(record[key], key);
    }
    if (record.bundleFormat !== undefined && record.bundleFormat !== 'endoZipBase64') {
      invalid('bundleFormat', `vat bundles must be "endoZipBase64", got ${describe(record.bundleFormat)}`);
    }
    if (record.bundleCachePath !== undefined) config.bundleCachePath = checkString(record.bundleCachePath, 'bundleCachePath');
    for (const [name, vat] of Object.entries(config.vats)) {
      const { bundleName } = vat;
      if (bundleName !== undefined && !(config.bundles && bundleName in config.bundles)) {
        invalid(`vats.${name}.bundleName`, `names bundle ${JSON.stringify(bundleName)}, which is not in config.bundles`);
      }
    }
    for (const [name, device] of Object.entries(config.devices ?? {})) {
      const { bundleName } = device;
      if (bundleName !== undefined && !(config.bundles && bundleName in config.bundles)) {
        invalid(`devices.${name}.bundleName`, `names bundle ${JSON.stringify(bundleName)}, which is not in config.bundles`);
      }
    }
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(err.code, `${prefix}: ${err.message}`);
    }
    throw err;
  }
}

/** Require a bootstrap vat that exists (as loadSwingsetConfigFile does). */
export function insistBootstrap(config: SwingSetConfig, source?: string): void {
  const where = source === undefined ? 'config' : `config ${source}`;
  if (config.bootstrap === undefined) {
    throw new ConfigError('CONFIG_BOOTSTRAP', `${where}: no designated bootstrap vat ("bootstrap" is missing)`);
  }
  if (!Object.hasOwn(config.vats, config.bootstrap)) {
    throw new ConfigError('CONFIG_BOOTSTRAP', `${where}: bootstrap vat ${JSON.stringify(config.bootstrap)} not found in vats`);
  }
}
