// Which spans `crankshaft replay` can replay, and why not the others. Pure
// over the store's span and snapshot descriptions plus each span's first
// entry type, so the rules have unit tests of their own.
import type { SnapshotDescription, SpanDescription } from '@crankshaft/swing-store';

export type SpanSelection = 'current' | 'historical' | 'all';

export interface PlannedSpan {
  vatID: string;
  name: string;
  startPos: number;
  endPos: number;
  incarnation: number;
  isCurrent: boolean;
  hash: string;
  /** Set when the span cannot be replayed. */
  skip?: string;
}

export interface VatSpans {
  vatID: string;
  name: string;
  alive: boolean;
  spans: SpanDescription[];
  snapshots: SnapshotDescription[];
  /** The type of a span's first stored entry (initialize-worker, load-snapshot, ...). */
  firstEntryType(startPos: number): string | undefined;
}

export function parseSpanSelection(text: string): SpanSelection {
  if (text === 'current' || text === 'historical' || text === 'all') return text;
  throw new Error(`--spans must be current, historical or all, not ${JSON.stringify(text)}`);
}

/** The reason a span cannot be replayed, or undefined if it can. */
export function skipReason(vat: VatSpans, span: SpanDescription): string | undefined {
  const length = span.endPos - span.startPos;
  if (!vat.alive) return 'the vat is terminated';
  if (span.storedItems < length) {
    return `only ${span.storedItems} of its ${length} items are stored (the store ran with keepTranscripts off)`;
  }
  const first = vat.firstEntryType(span.startPos);
  if (first === 'initialize-worker') return undefined;
  if (first !== 'load-snapshot') return `it starts with ${first ?? 'nothing'}, not initialize-worker or load-snapshot`;
  const snapPos = span.startPos - 1;
  const snapshot = vat.snapshots.find(s => s.snapPos === snapPos);
  if (!snapshot) return `its starting snapshot (position ${snapPos}) is not recorded`;
  if (!snapshot.kept) {
    return `its starting snapshot (position ${snapPos}) was pruned: old snapshots are deleted unless the kernel runs with --keep-snapshots`;
  }
  return undefined;
}

export function planReplay(vats: VatSpans[], selection: SpanSelection): PlannedSpan[] {
  const planned: PlannedSpan[] = [];
  for (const vat of vats) {
    for (const span of vat.spans) {
      if (selection === 'current' && !span.isCurrent) continue;
      if (selection === 'historical' && span.isCurrent) continue;
      // An empty span is a new incarnation that has not started yet: nothing to check.
      if (span.endPos === span.startPos) continue;
      const reason = skipReason(vat, span);
      planned.push({
        vatID: vat.vatID,
        name: vat.name,
        startPos: span.startPos,
        endPos: span.endPos,
        incarnation: span.incarnation,
        isCurrent: span.isCurrent,
        hash: span.hash,
        ...(reason === undefined ? {} : { skip: reason }),
      });
    }
  }
  return planned;
}
