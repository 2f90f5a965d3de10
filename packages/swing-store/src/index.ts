// Public API of @crankshaft/swing-store.
export { initSwingStore, openSwingStore, isSwingStore } from './swingStore.js';
export { makeSwingStoreExporter } from './exporter.js';
export type { ExporterOptions, LocalSwingStoreExporter } from './exporter.js';
export { importSwingStore } from './importer.js';
export type { ImportOptions, ImportedSwingStore } from './importer.js';

export { SwingStoreError } from './errors.js';
export type { SwingStoreErrorCode } from './errors.js';
export { artifactModes } from './types.js';
export type * from './types.js';

export { getKVStoreKeyType, getKVStoreKeyType as getKeyType, makeKVStore } from './kvStore.js';
export { makeTranscriptStore } from './transcriptStore.js';
export { makeSnapStore } from './snapStore.js';
export { makeSnapStoreIO, type SnapStoreIO } from './snapStoreIO.js';
export { makeArchiveSnapshot, makeArchiveTranscript, type ArchivePowers } from './archiver.js';
export { makeBundleStore } from './bundleStore.js';
export { bundleIDFromName } from './bundleIDs.js';
export { verifyEndoZip } from './endoZip.js';
export { dbFileInDirectory } from './database.js';

export {
  makeSHA256,
  sha256Hex,
  crankhashSetInput,
  crankhashDeleteInput,
  nextActivityhash,
  initialSpanHash,
  updateSpanHash,
  computeSpanHash,
} from './hasher.js';
export type { Hasher, HashInput } from './hasher.js';
