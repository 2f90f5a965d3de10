// Budgeted deletion of a terminated vat's state, in six phases: orphan
// its exports, drop its imports, drop its promise c-list entries, delete
// its remaining kv keys, then its snapshots, then its transcript spans.
// Each phase may do `budget[phase] ?? budget.default` units per crank.
import type { CleanupBudget, CleanupPhase } from '../crank/runPolicies.js';
import { keys } from '../state/kvSchema.js';
import { enumeratePrefixedKeys, getRequired } from '../state/kv.js';
import type { KernelGC } from '../gc/kernelGC.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';

export type CleanupCounts = Record<CleanupPhase, number>;

export interface CleanupOutcome {
  done: boolean;
  work: CleanupCounts;
}

export function cleanupAfterTerminatedVat(
  keeper: KernelKeeper,
  gc: KernelGC,
  vatID: string,
  budget: CleanupBudget,
): CleanupOutcome {
  const { kv } = keeper;
  const work: CleanupCounts = { exports: 0, imports: 0, promises: 0, kv: 0, snapshots: 0, transcripts: 0 };
  const undertaker = keeper.provideVatUndertaker(vatID);
  const clist = keys.clistPrefix(vatID);
  const limit = (phase: CleanupPhase): number => budget[phase] ?? budget.default;

  // ASCII order "+" < "-" < "." splits the c-list into its sections.
  let remaining = limit('exports');
  for (const { key } of enumeratePrefixedKeys(kv, `${clist}o+`)) {
    gc.orphanKernelObject(getRequired(kv, key), vatID);
    work.exports += 1;
    remaining -= 1;
    if (remaining <= 0) return { done: false, work };
  }

  remaining = limit('imports');
  for (const { key, suffix } of enumeratePrefixedKeys(kv, `${clist}o-`)) {
    undertaker.deleteCListEntry(getRequired(kv, key), `o-${suffix}`);
    work.imports += 1;
    remaining -= 1;
    if (remaining <= 0) return { done: false, work };
  }

  // The promises this vat decided were rejected at termination; only the
  // c-list entries remain.
  remaining = limit('promises');
  for (const { key, suffix } of enumeratePrefixedKeys(kv, `${clist}p`)) {
    undertaker.deleteCListEntry(getRequired(kv, key), `p${suffix}`);
    work.promises += 1;
    remaining -= 1;
    if (remaining <= 0) return { done: false, work };
  }

  remaining = limit('kv');
  for (const { key } of enumeratePrefixedKeys(kv, `${vatID}.`)) {
    kv.delete(key);
    work.kv += 1;
    remaining -= 1;
    if (remaining <= 0) return { done: false, work };
  }

  remaining = limit('snapshots');
  const snapshots = keeper.storage.snapStore.deleteVatSnapshots(vatID, remaining);
  work.snapshots += snapshots.cleanups;
  remaining -= snapshots.cleanups;
  if (remaining <= 0) return { done: false, work };

  remaining = limit('transcripts');
  const transcripts = keeper.storage.transcriptStore.deleteVatTranscripts(vatID, remaining);
  work.transcripts += transcripts.cleanups;
  return { done: transcripts.done, work };
}
