// Shared helpers for the SwingSet compatibility tests. Everything here uses
// only what a SwingSet host imports (the public exports of @crankshaft/kernel
// and @crankshaft/swing-store), so each test reads like a SwingSet host's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSwingsetConfigFile, type SwingSetConfig } from '@crankshaft/kernel';

export type ManagerType = 'xsnap' | 'local';

const fixturesDir = fileURLToPath(new URL('../../fixtures/compat/', import.meta.url));

/** Path of a file under test/fixtures/compat. */
export const fixturePath = (...parts: string[]): string => path.join(fixturesDir, ...parts);

/** The fixture's config.json with the given default manager type. */
export async function loadCompatConfig(name: string, managerType: ManagerType): Promise<SwingSetConfig> {
  const config = await loadSwingsetConfigFile(fixturePath(name, 'config.json'));
  if (!config) throw Error(`compat fixture ${name} has no config.json`);
  return { ...config, defaultManagerType: managerType };
}

/** Runtime options that keep kernel and vat output off the test's console. */
export const quiet = { quiet: true, vatConsole: (): void => {}, xsnapOutput: 'ignore' } as const;

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `crankshaft-compat-${prefix}-`));
}
