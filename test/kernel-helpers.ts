// Shared helpers for the kernel's end-to-end tests: fixture configs, quiet
// controllers, and transcript readers keyed by vat name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildVatController,
  loadSwingsetConfigFile,
  type BuildVatControllerOptions,
  type SwingSetConfig,
  type SwingsetController,
} from '@crankshaft/kernel';

export type WorkerType = 'xsnap' | 'local';

const fixturesDir = fileURLToPath(new URL('../fixtures/kernel/', import.meta.url));

export async function loadFixtureConfig(name: string, managerType: WorkerType): Promise<SwingSetConfig> {
  const config = await loadSwingsetConfigFile(path.join(fixturesDir, name, 'config.json'));
  if (!config) throw Error(`fixture ${name} has no config.json`);
  return { ...config, defaultManagerType: managerType };
}

export const quietOptions: BuildVatControllerOptions = {
  quiet: true,
  vatConsole: () => {},
  xsnapOutput: 'ignore',
};

export async function buildFixtureController(
  name: string,
  managerType: WorkerType,
  options: BuildVatControllerOptions = {},
  edit: (config: SwingSetConfig) => SwingSetConfig = c => c,
  deviceEndowments: Record<string, unknown> = {},
): Promise<SwingsetController & { bootstrapResult: string | undefined }> {
  const config = edit(await loadFixtureConfig(name, managerType));
  return buildVatController(config, [], { ...quietOptions, ...options }, deviceEndowments);
}

export interface TranscriptItem {
  pos: number;
  d: [string, ...unknown[]];
  sc: { s: [string, ...unknown[]]; r: unknown }[];
}

/** The current transcript span of the named vat. */
export function transcriptOf(controller: SwingsetController, vatName: string): TranscriptItem[] {
  const vatID = controller.vatNameToID(vatName);
  const table = controller.dump().vatTables.find(t => t.vatID === vatID);
  if (!table) throw Error(`no vat table for ${vatName} (${vatID})`);
  return table.state.transcript.map(([pos, entry]) => ({ pos, ...(entry as Omit<TranscriptItem, 'pos'>) }));
}

export const deliveryTypes = (items: TranscriptItem[]): string[] => items.map(item => item.d[0]);

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `crankshaft-${prefix}-`));
}
