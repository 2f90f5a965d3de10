// Interop driver for Crankshaft's swing-store. Commands: see driver.ts.
import { importSwingStore } from '../../src/importer.js';
import { makeSwingStoreExporter } from '../../src/exporter.js';
import { initSwingStore } from '../../src/swingStore.js';
import { runDriver } from './driver.js';
import type { Implementation } from './driver.js';

const ours: Implementation = {
  initSwingStore: (dirPath, options) => initSwingStore(dirPath, options),
  makeSwingStoreExporter: (dirPath, options) => makeSwingStoreExporter(dirPath, options as never),
  importSwingStore: (exporter, dirPath, options) => importSwingStore(exporter as never, dirPath, options as never),
};

await runDriver(ours, process.argv.slice(2));
