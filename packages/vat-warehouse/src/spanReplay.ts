// Replaying one stored span, current or historical, in a fresh worker that
// belongs to no warehouse: for tools that audit a store (`crankshaft replay`).
// The worker starts the way the span says (initialize-worker: from the
// bundle; load-snapshot: from the snapshot written just before the span),
// every delivery is re-executed with its syscalls checked against the record
// (replay.ts), and a span that ended in save-snapshot has its heap
// snapshotted again and hashed, to compare with the recorded snapshotID.
// Nothing is written anywhere.
import { createHash } from 'node:crypto';
import { fail } from './errors.js';
import { replayEntries, type ReplayMode } from './replay.js';
import { defaultClock, noSlog, type MonotonicClock, type SlogSender } from './slog.js';
import { decodeTranscriptEntry, type TranscriptEntry } from './transcriptEntry.js';
import type { PositionedEntry } from './transcriptLog.js';
import type { VatConfig, WorkerStarter } from './types.js';
import type { SnapStoreLike, VatWorker } from './workerTypes.js';

export interface SpanReplayRequest {
  vatID: string;
  /** [startPos, endPos) of the span. */
  startPos: number;
  endPos: number;
  /** The span's stored items in position order (transcriptStore.readSpan(vatID, startPos)). */
  items: Iterable<string>;
  /** Name, metering and liveslots options of the vat; its workerOptions serve snapshot starts. */
  config: VatConfig;
  startWorker: WorkerStarter;
  /** The uncompressed image of the vat's snapshot at `snapPos` (for a span opening with load-snapshot). */
  loadSnapshot(snapPos: number, hash: string): AsyncIterable<Uint8Array>;
  /** Default 'exact', which recreates the heap byte for byte (needed for the ending snapshot check). */
  mode?: ReplayMode;
  slog?: SlogSender;
  clock?: MonotonicClock;
}

export type SpanStart = 'initialize-worker' | 'load-snapshot';
/** How the span ended: a snapshot, the end of the incarnation, or not at all (the current span). */
export type SpanEnd = 'save-snapshot' | 'shutdown-worker' | 'open';

export interface SpanReplayOutcome {
  start: SpanStart;
  end: SpanEnd;
  /** Deliveries re-executed (pseudo-entries excluded). */
  deliveries: number;
  /** For a span ending in save-snapshot, on a worker that can snapshot. */
  snapshot?: { snapPos: number; expected: string; actual: string; matches: boolean };
}

/** A snapStore stand-in that only hashes what the worker writes. */
function makeHashingSnapStore(): SnapStoreLike {
  return {
    async saveSnapshot(_vatID, _snapPos, stream) {
      const hash = createHash('sha256');
      let uncompressedSize = 0;
      for await (const chunk of stream) {
        hash.update(chunk);
        uncompressedSize += chunk.length;
      }
      return { hash: hash.digest('hex'), uncompressedSize, compressedSize: 0 };
    },
    loadSnapshot: vatID => fail('BAD_ARGUMENT', `span replay of ${vatID} never reloads a snapshot`),
  };
}

interface SplitSpan {
  first: TranscriptEntry;
  /** The entries to replay; when it is done, `ending()` says how the span ended. */
  rest: Generator<PositionedEntry>;
  ending(): { end: SpanEnd; entry?: TranscriptEntry };
}

/** Decodes the items; the last one, if it is save-snapshot or shutdown-worker, is kept out of the replay. */
function splitSpan(request: SpanReplayRequest): SplitSpan {
  const { vatID, startPos, endPos } = request;
  const iterator = request.items[Symbol.iterator]();
  const decode = (text: string, position: number): TranscriptEntry => decodeTranscriptEntry(text, { vatID, position });
  const head = iterator.next();
  if (head.done) return fail('BAD_SPAN', `span ${vatID} [${startPos},${endPos}) has no items`);
  const first = decode(head.value, startPos);
  let ending: { end: SpanEnd; entry?: TranscriptEntry } = { end: 'open' };
  function* rest(): Generator<PositionedEntry> {
    let position = startPos + 1;
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const entry = decode(next.value, position);
      const tag = entry.d[0];
      if (position === endPos - 1 && (tag === 'save-snapshot' || tag === 'shutdown-worker')) {
        ending = { end: tag, entry };
      } else {
        yield { position, entry, size: next.value.length };
      }
      position += 1;
    }
  }
  return { first, rest: rest(), ending: () => ending };
}

async function startSpanWorker(request: SpanReplayRequest, first: TranscriptEntry): Promise<{ worker: VatWorker; start: SpanStart }> {
  const { vatID, startPos, config } = request;
  const onConsole = (): void => {};
  const d = first.d;
  if (d[0] === 'initialize-worker') {
    const worker = await request.startWorker({
      vatID,
      config,
      workerOptions: d[1].workerOptions,
      start: { from: 'bundle', bundleID: d[1].source.bundleID },
      onConsole,
    });
    return { worker, start: 'initialize-worker' };
  }
  if (d[0] === 'load-snapshot') {
    const snapPos = startPos - 1;
    const hash = d[1].snapshotID;
    const worker = await request.startWorker({
      vatID,
      config,
      workerOptions: config.workerOptions,
      start: { from: 'snapshot', snapPos, hash, stream: request.loadSnapshot(snapPos, hash) },
      onConsole,
    });
    return { worker, start: 'load-snapshot' };
  }
  return fail('BAD_SPAN', `span ${vatID} at ${startPos} starts with ${d[0]}, not initialize-worker or load-snapshot`);
}

/**
 * Replays the span; resolves to what was checked. A syscall that differs
 * from the record rejects with a ReplayDivergenceError (code
 * REPLAY_DIVERGENCE) naming the delivery; a span that breaks the span rules
 * rejects with BAD_SPAN, an unparsable item with BAD_TRANSCRIPT_ENTRY.
 */
export async function replaySpan(request: SpanReplayRequest): Promise<SpanReplayOutcome> {
  const { vatID, endPos, slog = noSlog, clock = defaultClock } = request;
  const split = splitSpan(request);
  const { worker, start } = await startSpanWorker(request, split.first);
  try {
    const deliveries = await replayEntries({
      vatID,
      worker,
      entries: split.rest,
      slog,
      clock,
      mode: request.mode ?? 'exact',
    });
    const { end, entry } = split.ending();
    const outcome: SpanReplayOutcome = { start, end, deliveries };
    const expected = entry?.r.snapshotID;
    if (end === 'save-snapshot' && worker.makeSnapshot !== undefined) {
      if (expected === undefined) return fail('BAD_SPAN', `save-snapshot of ${vatID} at ${endPos - 1} records no snapshotID`);
      const snapPos = endPos - 1;
      const report = await worker.makeSnapshot(snapPos, makeHashingSnapStore(), false);
      outcome.snapshot = { snapPos, expected, actual: report.hash, matches: report.hash === expected };
    }
    return outcome;
  } finally {
    await worker.shutdown().catch(() => {});
  }
}
