// A thin layer over the swing-store transcriptStore that speaks in
// TranscriptEntry objects and positions rather than strings.
import type { SpanBounds, TranscriptStore } from '@crankshaft/swing-store';
import { decodeTranscriptEntry, encodeTranscriptEntry, type TranscriptEntry } from './transcriptEntry.js';

export interface PositionedEntry {
  position: number;
  entry: TranscriptEntry;
  /** Length of the stored JSON text (to size replay batches). */
  size: number;
}

export interface TranscriptLog {
  /** The current span's bounds, creating an empty transcript if the vat has none. */
  provideBounds(vatID: string): SpanBounds;
  /** Appends an entry; returns its position (its deliveryNum). */
  append(vatID: string, entry: TranscriptEntry): number;
  /** The current span's entries in order, decoded (lazily, page by page). */
  readCurrentSpan(vatID: string): Generator<PositionedEntry>;
  rolloverSpan(vatID: string): Promise<number>;
  rolloverIncarnation(vatID: string): Promise<number>;
}

const isNoTranscript = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NO_TRANSCRIPT';

export function makeTranscriptLog(transcriptStore: TranscriptStore): TranscriptLog {
  const provideBounds = (vatID: string): SpanBounds => {
    try {
      return transcriptStore.getCurrentSpanBounds(vatID);
    } catch (err) {
      if (!isNoTranscript(err)) throw err;
    }
    transcriptStore.initTranscript(vatID);
    return transcriptStore.getCurrentSpanBounds(vatID);
  };

  return {
    provideBounds,
    append(vatID, entry) {
      const { endPos } = provideBounds(vatID);
      transcriptStore.addItem(vatID, encodeTranscriptEntry(entry));
      return endPos;
    },
    *readCurrentSpan(vatID) {
      const { startPos } = provideBounds(vatID);
      let position = startPos;
      for (const text of transcriptStore.readSpan(vatID)) {
        yield { position, entry: decodeTranscriptEntry(text, { vatID, position }), size: text.length };
        position += 1;
      }
    },
    rolloverSpan: vatID => transcriptStore.rolloverSpan(vatID),
    rolloverIncarnation: vatID => transcriptStore.rolloverIncarnation(vatID),
  };
}
