// From a host config to what the kernel initializes from: defaults filled
// in, built-in vats added, vats in ID-allocation order, and every source
// turned into a bundle ID with the bundles collected by ID. Mirrors
// SwingSet's `buildSwingsetKernelConfig`; sources are bundled through the
// content-keyed cache in bundleCache.ts.
import fs from 'node:fs';
import path from 'node:path';
import { bundleIDOfEndoZip, insistEndoZipBase64Bundle, type EndoZipBase64Bundle } from '../bundles/bundles.js';
import { makeSourceBundler, type SourceBundler } from '../bundles/bundleCache.js';
import { ConfigError } from '../shared/configErrors.js';
import {
  checkManagerType,
  sourceModeOf,
  SOURCE_MODES,
  validateSwingsetConfig,
  type DeviceConfig,
  type ManagerType,
  type ReapSetting,
  type SourceDescriptor,
  type SourceMode,
  type SwingSetConfig,
  type VatConfig,
  type VatCreationOptions,
} from './configValidate.js';

/** SwingSet's defaults, except the manager type: ours is xsnap. */
export const CONFIG_DEFAULTS = {
  defaultManagerType: 'xsnap' as ManagerType,
  defaultReapInterval: 1 as ReapSetting,
  defaultReapGCKrefs: 20 as ReapSetting,
  snapshotInitial: 3,
  snapshotInterval: 200,
} as const;

/** Vats that take IDs right after the bootstrap vat, in this order. */
export const PRIORITY_VAT_NAMES: readonly string[] = ['vatAdmin', 'comms', 'vattp', 'timer'];

export interface KernelVatConfig {
  bundleID: string;
  parameters: Record<string, unknown>;
  /** With `managerType` always present and normalized. */
  creationOptions: VatCreationOptions & { managerType: ManagerType };
}

export interface KernelDeviceConfig {
  bundleID: string;
  parameters: Record<string, unknown>;
  creationOptions: { unendowed?: boolean };
}

export interface SwingSetKernelConfig {
  bootstrap?: string;
  /** Insertion order is vat-ID order: bootstrap, vatAdmin, comms, vattp, timer, then sorted. */
  vats: Record<string, KernelVatConfig>;
  /** Sorted by name (device IDs are allocated in this order). */
  devices: Record<string, KernelDeviceConfig>;
  namedBundleIDs: Record<string, string>;
  /** Every bundle any vat, device or named bundle uses, sorted by ID. */
  idToBundle: Record<string, EndoZipBase64Bundle>;
  defaultManagerType: ManagerType;
  defaultReapInterval: ReapSetting;
  defaultReapGCKrefs: ReapSetting;
  snapshotInitial: number;
  snapshotInterval: number;
  relaxDurabilityRules: boolean;
  pinBootstrapRoot: boolean;
}

export interface BuildKernelConfigOptions {
  /** Consulted for SWINGSET_WORKER_TYPE when the config names no default manager. */
  env?: Record<string, string | undefined>;
  /** Source-bundle cache directory; config.bundleCachePath wins if set. */
  bundleCacheDir?: string;
  /** Use this bundler instead of making one (tests share one to count builds). */
  sourceBundler?: SourceBundler;
  /** Built-in vats the kernel adds (chosen by initializationOptions). */
  builtinVats?: Record<string, VatConfig>;
  builtinDevices?: Record<string, DeviceConfig>;
  log?: (message: string) => void;
}

/** Object with `firsts` first (if present), then the remaining keys sorted. */
export function sortObjectProperties<T>(record: Record<string, T>, firsts: readonly (string | undefined)[] = []): Record<string, T> {
  const result: Record<string, T> = {};
  for (const key of [...firsts, ...Object.keys(record).sort()]) {
    if (key !== undefined && !Object.hasOwn(result, key) && Object.hasOwn(record, key)) {
      result[key] = record[key] as T;
    }
  }
  return result;
}

const deepCopyJson = (value: unknown): unknown => {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `config must be JSON data: ${(err as Error).message}`, { cause: err });
  }
};

function readBundleFile(file: string, where: string): EndoZipBase64Bundle {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('BUNDLE_FAILED', `${where}: cannot read bundle file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return insistEndoZipBase64Bundle(parsed, `${where} (${file})`);
}

async function bundleOf(
  desc: SourceDescriptor,
  mode: SourceMode,
  where: string,
  bundler: SourceBundler,
  nameToBundle: Record<string, EndoZipBase64Bundle> | undefined,
): Promise<EndoZipBase64Bundle> {
  switch (mode) {
    case 'bundle':
      return insistEndoZipBase64Bundle(desc.bundle, `${where}.bundle`);
    case 'bundleSpec':
      return readBundleFile(path.resolve(desc.bundleSpec as string), where);
    case 'sourceSpec':
      return bundler.bundle(path.resolve(desc.sourceSpec as string));
    case 'bundleName': {
      if (nameToBundle === undefined) {
        throw new ConfigError('CONFIG_INVALID', `${where}: cannot use bundleName in config.bundles`);
      }
      const bundle = nameToBundle[desc.bundleName as string];
      if (bundle === undefined) {
        throw new ConfigError('CONFIG_INVALID', `${where}: unknown bundleName ${JSON.stringify(desc.bundleName)}`);
      }
      return bundle;
    }
    default: {
      const never: never = mode;
      throw new ConfigError('CONFIG_INVALID', `${where}: unknown source mode ${String(never)}`);
    }
  }
}

/** Bundle every entry of a group (in parallel); name -> bundle, in `names` order. */
async function bundleGroup(
  group: string,
  entries: Record<string, SourceDescriptor>,
  bundler: SourceBundler,
  nameToBundle: Record<string, EndoZipBase64Bundle> | undefined,
): Promise<Record<string, EndoZipBase64Bundle>> {
  const names = Object.keys(entries);
  const bundles = await Promise.all(
    names.map(name => {
      const where = `config.${group}.${name}`;
      const desc = entries[name] as SourceDescriptor;
      const allowed = nameToBundle === undefined ? SOURCE_MODES.filter(m => m !== 'bundleName') : SOURCE_MODES;
      const mode = sourceModeOf(desc as Record<string, unknown>, where, allowed);
      return bundleOf(desc, mode, where, bundler, nameToBundle);
    }),
  );
  return Object.fromEntries(names.map((name, i) => [name, bundles[i] as EndoZipBase64Bundle]));
}

function effectiveManagerType(
  name: string,
  options: VatCreationOptions,
  defaultManagerType: ManagerType,
): ManagerType {
  const where = `config.vats.${name}.creationOptions`;
  const managerType =
    options.managerType === undefined ? defaultManagerType : checkManagerType(options.managerType, `${where}.managerType`);
  if (managerType === 'xsnap' && options.useTranscript === false) {
    throw new ConfigError('CONFIG_INVALID', `${where}.useTranscript: xsnap workers need a transcript (useTranscript: false needs "local")`);
  }
  return managerType;
}

/**
 * Turn a host config into a kernel config. `bootstrapArgs`, when given,
 * become the bootstrap vat's `parameters.argv`.
 */
export async function buildSwingsetKernelConfig(
  hostConfig: unknown,
  bootstrapArgs: unknown[] | undefined,
  options: BuildKernelConfigOptions = {},
): Promise<SwingSetKernelConfig> {
  // Validate a private copy: the caller's (possibly shared or hardened) config is never touched.
  const config: SwingSetConfig = validateSwingsetConfig(deepCopyJson(hostConfig));
  const { env = process.env, builtinVats = {}, builtinDevices = {}, log } = options;

  const envType = env.SWINGSET_WORKER_TYPE;
  const defaultManagerType =
    config.defaultManagerType !== undefined
      ? checkManagerType(config.defaultManagerType, 'config.defaultManagerType')
      : envType !== undefined && envType !== ''
        ? checkManagerType(envType, 'env.SWINGSET_WORKER_TYPE')
        : CONFIG_DEFAULTS.defaultManagerType;

  const vats: Record<string, VatConfig> = { ...config.vats };
  const devices: Record<string, DeviceConfig> = { ...(config.devices ?? {}) };
  if (config.bootstrap !== undefined && !Object.hasOwn(vats, config.bootstrap)) {
    throw new ConfigError('CONFIG_BOOTSTRAP', `config: bootstrap vat ${JSON.stringify(config.bootstrap)} not found in vats`);
  }
  if (config.bootstrap !== undefined && bootstrapArgs !== undefined) {
    const bootVat = vats[config.bootstrap] as VatConfig;
    vats[config.bootstrap] = { ...bootVat, parameters: { ...(bootVat.parameters ?? {}), argv: bootstrapArgs } };
  }
  for (const [name, vat] of Object.entries(builtinVats)) vats[name] = vat;
  for (const [name, device] of Object.entries(builtinDevices)) devices[name] = device;

  const orderedVats = sortObjectProperties(vats, [config.bootstrap, ...PRIORITY_VAT_NAMES]);
  const orderedDevices = sortObjectProperties(devices);
  const namedBundles = sortObjectProperties(config.bundles ?? {});

  const bundler =
    options.sourceBundler ??
    makeSourceBundler({
      ...(config.bundleCachePath !== undefined || options.bundleCacheDir !== undefined
        ? { cacheDir: config.bundleCachePath ?? (options.bundleCacheDir as string) }
        : {}),
      dev: config.includeDevDependencies ?? false,
      ...(log === undefined ? {} : { log }),
    });

  const nameToBundle = await bundleGroup('bundles', namedBundles, bundler, undefined);
  const [vatBundles, deviceBundles] = await Promise.all([
    bundleGroup('vats', orderedVats, bundler, nameToBundle),
    bundleGroup('devices', orderedDevices, bundler, nameToBundle),
  ]);

  const idToBundle: Record<string, EndoZipBase64Bundle> = {};
  const namedBundleIDs: Record<string, string> = {};
  for (const [name, bundle] of Object.entries(nameToBundle)) {
    namedBundleIDs[name] = bundleIDOfEndoZip(bundle);
    idToBundle[bundleIDOfEndoZip(bundle)] = bundle;
  }

  const kernelVats: Record<string, KernelVatConfig> = {};
  for (const [name, vat] of Object.entries(orderedVats)) {
    const bundle = vatBundles[name] as EndoZipBase64Bundle;
    const bundleID = bundleIDOfEndoZip(bundle);
    idToBundle[bundleID] = bundle;
    const creationOptions = { ...(vat.creationOptions ?? {}) };
    const managerType = effectiveManagerType(name, creationOptions, defaultManagerType);
    kernelVats[name] = {
      bundleID,
      parameters: vat.parameters ?? {},
      creationOptions: { ...creationOptions, managerType },
    };
  }
  const kernelDevices: Record<string, KernelDeviceConfig> = {};
  for (const [name, device] of Object.entries(orderedDevices)) {
    const bundle = deviceBundles[name] as EndoZipBase64Bundle;
    const bundleID = bundleIDOfEndoZip(bundle);
    idToBundle[bundleID] = bundle;
    kernelDevices[name] = {
      bundleID,
      parameters: device.parameters ?? {},
      creationOptions: { ...(device.creationOptions ?? {}) },
    };
  }

  const kernelConfig: SwingSetKernelConfig = {
    vats: kernelVats,
    devices: kernelDevices,
    namedBundleIDs,
    idToBundle: sortObjectProperties(idToBundle),
    defaultManagerType,
    defaultReapInterval: config.defaultReapInterval ?? CONFIG_DEFAULTS.defaultReapInterval,
    defaultReapGCKrefs: config.defaultReapGCKrefs ?? CONFIG_DEFAULTS.defaultReapGCKrefs,
    snapshotInitial: config.snapshotInitial ?? CONFIG_DEFAULTS.snapshotInitial,
    snapshotInterval: config.snapshotInterval ?? CONFIG_DEFAULTS.snapshotInterval,
    relaxDurabilityRules: config.relaxDurabilityRules ?? false,
    pinBootstrapRoot: config.pinBootstrapRoot ?? false,
  };
  if (config.bootstrap !== undefined) kernelConfig.bootstrap = config.bootstrap;
  return kernelConfig;
}
