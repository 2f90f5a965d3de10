// Completeness checks: can this store supply (or, after an import, does it
// hold) every artifact a given artifactMode promises? Each sub-store knows its
// own rules; this module only runs them in a fixed order and validates modes.
import { fail } from './errors.js';
import { artifactModes } from './types.js';
import type { ArtifactMode, SwingStoreInternal } from './types.js';

/** `debug` promises nothing, so it has no completeness check of its own. */
export type CompletenessMode = Exclude<ArtifactMode, 'debug'>;

export type CheckableStores = Pick<
  SwingStoreInternal,
  'bundleStore' | 'transcriptStore' | 'snapStore'
>;

export function isArtifactMode(mode: unknown): mode is ArtifactMode {
  return typeof mode === 'string' && (artifactModes as readonly string[]).includes(mode);
}

export function assertArtifactMode(mode: unknown): asserts mode is ArtifactMode {
  if (!isArtifactMode(mode)) {
    fail(
      'BAD_MODE',
      `invalid artifactMode ${JSON.stringify(mode)} (expected one of ${artifactModes.join(', ')})`,
    );
  }
}

/**
 * Throws (with the sub-store's coded error) unless every bundle is
 * populated, every live vat's transcript holds the items `mode` requires,
 * and no in-use snapshot is pruned.
 */
export function assertComplete(stores: CheckableStores, mode: CompletenessMode): void {
  if ((mode as ArtifactMode) === 'debug' || !isArtifactMode(mode)) {
    fail('BAD_MODE', `assertComplete needs operational, replay or archival, not ${JSON.stringify(mode)}`);
  }
  stores.bundleStore.assertComplete();
  stores.transcriptStore.assertComplete(mode);
  stores.snapStore.assertComplete(mode);
}
