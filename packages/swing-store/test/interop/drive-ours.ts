// Interop driver for Crankshaft's swing-store. Commands: see driver.ts.
import { assertArtifactMode } from '../../src/assertComplete.js';
import { importSwingStore } from '../../src/importer.js';
import { makeSwingStoreExporter } from '../../src/exporter.js';
import { initSwingStore } from '../../src/swingStore.js';
import type { ArtifactMode, SwingStoreExporter } from '../../src/types.js';
import { runDriver } from './driver.js';
import type { Implementation } from './driver.js';

const modeOption = (options?: { artifactMode?: string }): { artifactMode?: ArtifactMode } => {
  const mode = options?.artifactMode;
  if (mode === undefined) return {};
  assertArtifactMode(mode);
  return { artifactMode: mode };
};

const ours: Implementation = {
  initSwingStore: (dirPath, options) => initSwingStore(dirPath, options),
  makeSwingStoreExporter: (dirPath, options) => makeSwingStoreExporter(dirPath, modeOption(options)),
  // The directory exporter may yield null values (deletions); the importer
  // validates every entry at its boundary.
  importSwingStore: (exporter, dirPath, options) =>
    importSwingStore(exporter as unknown as SwingStoreExporter, dirPath, modeOption(options)),
};

await runDriver(ours, process.argv.slice(2));
