// The built-in vats and devices initializeSwingset adds, as SwingSet does
// (vatAdmin vat + device, comms, vattp, timer vat). They take SwingSet's
// names, IDs and root exports, so user vats see exactly what they would
// see under SwingSet. Their devices (timer, mailbox) are the host's to
// configure.
import { fileURLToPath } from 'node:url';
import type { EndoZipBase64Bundle } from '../bundles/bundles.js';
import { makeSourceBundler, type SourceBundler } from '../bundles/bundleCache.js';
import type { DeviceConfig, VatConfig } from './configValidate.js';

// Built-ins written in TypeScript are bundled from their compiled output
// (packages/kernel/vats/<room>/*.ts -> dist/vats/<room>/*.js).
const compiledVat = (file: string): string => fileURLToPath(new URL(`../../vats/${file}`, import.meta.url));

/**
 * The built-ins' bundles are made at install time (scripts/build-bundles.js)
 * into the package's build output, so a fresh kernel does not bundle them.
 * The cache checks every source file's content, so a stale one is rebuilt.
 */
export const BUILTIN_BUNDLE_DIR: string = fileURLToPath(new URL('../../bundles/', import.meta.url));

export const PLACEHOLDER_SOURCES = {
  adminVat: compiledVat('vat-admin/vat-vat-admin.js'),
  adminDevice: compiledVat('vat-admin/device-vat-admin.js'),
  comms: compiledVat('comms/vat-comms.js'),
  vattp: compiledVat('vattp/vat-vattp.js'),
  timer: compiledVat('timer/vat-timer.js'), // its device is configured by the host (buildTimer)
} as const;

export type BuiltinBundleName = keyof typeof PLACEHOLDER_SOURCES;
export type BuiltinBundles = Partial<Record<BuiltinBundleName, EndoZipBase64Bundle>>;

export interface BuiltinChoice {
  addVatAdmin?: boolean;
  addTimer?: boolean;
  addComms?: boolean;
  addVattp?: boolean;
}

/** Bundles of the built-ins (given ones win; the rest come through the source cache). */
export async function provideBuiltinBundles(
  given: BuiltinBundles = {},
  bundler: SourceBundler = makeSourceBundler({ cacheDir: BUILTIN_BUNDLE_DIR }),
): Promise<Record<BuiltinBundleName, EndoZipBase64Bundle>> {
  const names = Object.keys(PLACEHOLDER_SOURCES) as BuiltinBundleName[];
  const bundles = await Promise.all(names.map(name => given[name] ?? bundler.bundle(PLACEHOLDER_SOURCES[name])));
  return Object.fromEntries(names.map((name, i) => [name, bundles[i]])) as Record<BuiltinBundleName, EndoZipBase64Bundle>;
}

/** The config entries for the chosen built-ins. */
export function builtinConfig(
  choice: BuiltinChoice,
  bundles: Record<BuiltinBundleName, EndoZipBase64Bundle>,
): { vats: Record<string, VatConfig>; devices: Record<string, DeviceConfig> } {
  const { addVatAdmin = true, addComms = true, addVattp = true, addTimer = true } = choice;
  const vats: Record<string, VatConfig> = {};
  const devices: Record<string, DeviceConfig> = {};
  if (addVatAdmin) {
    vats['vatAdmin'] = { bundle: bundles.adminVat };
    devices['vatAdmin'] = { bundle: bundles.adminDevice };
  }
  if (addComms) {
    // A raw setup() vat with its state in the vatstore, on a local worker
    // and without a transcript, exactly as SwingSet configures its comms.
    vats['comms'] = {
      bundle: bundles.comms,
      creationOptions: {
        enablePipelining: true,
        enableSetup: true,
        managerType: 'local',
        useTranscript: false,
        neverReap: true,
      },
    };
  }
  if (addVattp) vats['vattp'] = { bundle: bundles.vattp };
  if (addTimer) vats['timer'] = { bundle: bundles.timer };
  return { vats, devices };
}
