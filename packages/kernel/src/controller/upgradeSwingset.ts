// upgradeSwingset(kernelStorage): SwingSet's entry point for bringing an
// older kernel DB up to the current schema before makeSwingsetController.
// Crankshaft only ever writes the current schema (v3, SwingSet's), so a
// current store is left alone; older SwingSet schemas are refused by name
// rather than half-migrated.
import type { KernelStorage } from '@crankshaft/swing-store';
import { KernelError } from '../shared/errors.js';
import { CURRENT_SCHEMA_VERSION } from '../state/kvSchema.js';

export function upgradeSwingset(kernelStorage: Pick<KernelStorage, 'kvStore'>): { modified: boolean } {
  const { kvStore } = kernelStorage;
  const versionString = kvStore.get('version');
  if (versionString === undefined && !kvStore.has('initialized')) {
    throw new KernelError('LIFECYCLE', 'upgradeSwingset: the kernel store is not initialized (call initializeSwingset first)');
  }
  const version = Number(versionString ?? '0');
  if (version === CURRENT_SCHEMA_VERSION) return harden({ modified: false });
  throw new KernelError(
    'LIFECYCLE',
    `upgradeSwingset: kernel DB schema v${version} cannot be upgraded by Crankshaft (it reads v${CURRENT_SCHEMA_VERSION}; upgrade it with @agoric/swingset-vat's upgradeSwingset first)`,
  );
}
