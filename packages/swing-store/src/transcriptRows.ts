// Row shapes of the transcriptItems and transcriptSpans tables, shared by the
// live store (transcriptStore.ts) and its state-sync half (transcriptExport.ts).

export interface ItemRow {
  position: number;
  item: string;
}

/** A transcriptSpans row (isCurrent is 1 or NULL in SQL). */
export interface SpanRow {
  vatID: string;
  startPos: number;
  endPos: number;
  hash: string;
  isCurrent: 1 | null;
  incarnation: number;
}
