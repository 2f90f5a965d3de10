// Rebuilds span/snapshot metadata rows that an old bug (agoric-sdk #8025)
// failed to write, using a trusted exporter's export data. Only metadata is
// touched: kv entries are ignored and no artifact is fetched.
import { assertComplete } from './assertComplete.js';
import { collectExportData, exportDataTag, withSubject } from './exportData.js';
import type { SwingStoreExporter, SwingStoreInternal } from './types.js';

/**
 * Existing rows must match the export data exactly (else the sub-store
 * throws); missing snapshot and span rows are inserted; bundles cannot be
 * repaired (a missing one throws). Ends with the operational completeness
 * check and closes the exporter. Leaves the transaction open: the host
 * commits.
 */
export async function repairMetadata(
  internal: SwingStoreInternal,
  exporter: SwingStoreExporter,
): Promise<void> {
  const metadata = await collectExportData(exporter.getExportData(), () => undefined);
  for (const [key, value] of metadata) {
    try {
      const tag = exportDataTag(key);
      if (tag === 'bundle') {
        internal.bundleStore.repairBundleRecord(key, value);
      } else if (tag === 'snapshot') {
        internal.snapStore.repairSnapshotRecord(key, value);
      } else if (tag === 'transcript') {
        internal.transcriptStore.repairTranscriptSpanRecord(key, value);
      }
    } catch (error) {
      throw withSubject(error, 'BAD_EXPORT_DATA', 'export-data key', key);
    }
  }
  assertComplete(internal, 'operational');
  await exporter.close();
}
