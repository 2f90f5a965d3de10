// `crankshaft replay <store>`: replays the chosen spans of the chosen vats,
// each in a fresh worker (vat-warehouse replaySpan), checking every
// syscall, the ending snapshot hash and the span hash, vats side by side
// with --jobs. Exit 0 only when everything replayed matched.
import { updateSpanHash, initialSpanHash, type SwingStore } from '@crankshaft/swing-store';
import {
  makeWorkerStarter,
  ReplayDivergenceError,
  replaySpan,
  type DivergenceDetails,
  type WorkerStarter,
} from '@crankshaft/vat-warehouse';
import { CliError, EXIT_CHECK_FAILED, messageOf } from '../cliErrors.js';
import { describeDelivery } from '../deliveryText.js';
import { makeKernelFacts, type KernelFacts } from '../kernelFacts.js';
import type { Output } from '../output.js';
import { parseSpanSelection, planReplay, type PlannedSpan, type VatSpans } from '../replayPlan.js';
import { withReadOnlyStore } from '../storeAccess.js';
import { groupDigits, renderTable, toJSON } from '../output.js';

export interface ReplayOptions {
  vat?: string[];
  spans?: string;
  jobs?: number;
  strict?: boolean;
}

export type SpanStatus = 'ok' | 'diverged' | 'snapshot-mismatch' | 'hash-mismatch' | 'failed' | 'skipped';

export interface SpanResult {
  vatID: string;
  name: string;
  startPos: number;
  endPos: number;
  incarnation: number;
  current: boolean;
  status: SpanStatus;
  deliveries: number;
  reason?: string;
  divergence?: DivergenceDetails & { delivery: string };
  snapshot?: { snapPos: number; expected: string; actual: string };
}

export interface ReplayReport {
  ok: boolean;
  spans: SpanResult[];
  replayedDeliveries: number;
  skipped: number;
  failed: number;
}

function vatSpansOf(store: SwingStore, facts: KernelFacts, vatIDs: string[]): VatSpans[] {
  const { transcriptStore, snapStore } = store.internal;
  return vatIDs.map(vatID => {
    const vat = facts.findVat(vatID);
    return {
      vatID: vat.vatID,
      name: vat.name,
      alive: vat.status === 'alive',
      spans: transcriptStore.describeVatSpans(vat.vatID),
      snapshots: snapStore.describeVatSnapshots(vat.vatID),
      firstEntryType(startPos) {
        const items = transcriptStore.readSpan(vat.vatID, startPos);
        const first = items.next();
        items.return?.();
        if (first.done) return undefined;
        const parsed = JSON.parse(first.value) as { d?: unknown[] };
        return typeof parsed.d?.[0] === 'string' ? parsed.d[0] : undefined;
      },
    };
  });
}

/** The recorded delivery at a position, for the divergence report. */
function recordedDelivery(store: SwingStore, vatID: string, span: PlannedSpan, position: number): string {
  let at = span.startPos;
  for (const text of store.internal.transcriptStore.readSpan(vatID, span.startPos)) {
    if (at === position) return describeDelivery((JSON.parse(text) as { d: unknown }).d);
    at += 1;
  }
  return '(not found)';
}

async function replayOne(
  store: SwingStore,
  facts: KernelFacts,
  span: PlannedSpan,
  startWorker: WorkerStarter,
  onDelivery: () => void,
): Promise<SpanResult> {
  const base = {
    vatID: span.vatID,
    name: span.name,
    startPos: span.startPos,
    endPos: span.endPos,
    incarnation: span.incarnation,
    current: span.isCurrent,
  };
  const { transcriptStore, snapStore } = store.internal;
  let hash = initialSpanHash;
  function* hashedItems(): Generator<string> {
    for (const item of transcriptStore.readSpan(span.vatID, span.startPos)) {
      hash = updateSpanHash(hash, item);
      yield item;
    }
  }
  let deliveries = 0;
  try {
    const outcome = await replaySpan({
      vatID: span.vatID,
      startPos: span.startPos,
      endPos: span.endPos,
      items: hashedItems(),
      config: facts.workerConfig(facts.findVat(span.vatID)),
      startWorker,
      loadSnapshot: snapPos => snapStore.loadSnapshotAt(span.vatID, snapPos),
      slog: event => {
        if (event.type === 'deliver-result') {
          deliveries += 1;
          onDelivery();
        }
      },
    });
    if (outcome.snapshot && !outcome.snapshot.matches) {
      const { snapPos, expected, actual } = outcome.snapshot;
      return {
        ...base,
        status: 'snapshot-mismatch',
        deliveries,
        reason: `the heap snapshot at position ${snapPos} hashes to ${actual}, the transcript recorded ${expected}`,
        snapshot: { snapPos, expected, actual },
      };
    }
    if (hash !== span.hash) {
      return { ...base, status: 'hash-mismatch', deliveries, reason: `the span's items hash to ${hash}, the span record says ${span.hash}` };
    }
    return { ...base, status: 'ok', deliveries: outcome.deliveries };
  } catch (err) {
    if (err instanceof ReplayDivergenceError) {
      const details = err.details;
      return {
        ...base,
        status: 'diverged',
        deliveries,
        reason: `delivery d${details.deliveryNum}: ${details.kind} syscall at index sc${details.syscallIndex}`,
        divergence: { ...details, delivery: recordedDelivery(store, span.vatID, span, details.deliveryNum) },
      };
    }
    return { ...base, status: 'failed', deliveries, reason: messageOf(err).split('\n')[0] ?? 'unknown error' };
  }
}

/** Runs `work` over the vats' span lists, `jobs` vats at a time; spans of one vat in order. */
async function inLanes<T>(groups: T[][], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < groups.length) {
      const group = groups[next] as T[];
      next += 1;
      for (const item of group) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, groups.length)) }, lane));
}

const statusText: Record<SpanStatus, string> = {
  ok: 'ok',
  diverged: 'DIVERGED',
  'snapshot-mismatch': 'SNAPSHOT MISMATCH',
  'hash-mismatch': 'HASH MISMATCH',
  failed: 'FAILED',
  skipped: 'skipped',
};

const spanText = (r: { startPos: number; endPos: number }): string => `[${r.startPos}, ${r.endPos})`;

function renderDivergence(result: SpanResult): string {
  const d = result.divergence;
  if (!d) return '';
  const show = (s: unknown): string => (s === undefined ? '(none)' : toJSON(s));
  return [
    `${result.vatID} (${result.name}) span ${spanText(result)} incarnation ${result.incarnation}: first divergence at delivery d${d.deliveryNum}, ${d.kind} syscall at index sc${d.syscallIndex}`,
    `  recorded delivery: ${d.delivery}`,
    renderTable(['syscall', 'expected (transcript)', 'actual (replay)'], [[`sc${d.syscallIndex}`, show(d.expected), show(d.actual)]]),
  ].join('\n');
}

export async function replayCommand(storeDir: string, options: ReplayOptions, out: Output): Promise<number> {
  const selection = (() => {
    try {
      return parseSpanSelection(options.spans ?? 'current');
    } catch (err) {
      throw new CliError('--spans', messageOf(err).replace(/^--spans /, ''));
    }
  })();
  const jobs = options.jobs ?? 1;
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new CliError(`--jobs ${String(options.jobs)}`, 'must be a positive integer');
  return withReadOnlyStore(storeDir, async store => {
    const facts = makeKernelFacts(store);
    const vatIDs = options.vat && options.vat.length > 0 ? options.vat.map(v => facts.findVat(v).vatID) : facts.vats().map(v => v.vatID);
    const plan = planReplay(vatSpansOf(store, facts, vatIDs), selection);
    const startWorker = makeWorkerStarter({ bundleStore: store.internal.bundleStore, xsnap: { stdout: 'ignore', stderr: 'ignore' } });
    const results = new Map<PlannedSpan, SpanResult>();
    const toReplay = plan.filter(span => span.skip === undefined);
    // Every entry but the first (and the closing pseudo-entry of a historical span) is a delivery.
    const total = toReplay.reduce((sum, span) => sum + Math.max(0, span.endPos - span.startPos - (span.isCurrent ? 1 : 2)), 0);
    const progress = out.progress('replay', total);
    const groups = vatIDs.map(vatID => toReplay.filter(span => span.vatID === vatID)).filter(g => g.length > 0);
    await inLanes(groups, jobs, async span => {
      const result = await replayOne(store, facts, span, startWorker, () => progress.advance(1, `${span.vatID} ${spanText(span)}`));
      results.set(span, result);
    });
    const spans: SpanResult[] = plan.map(
      span =>
        results.get(span) ?? {
          vatID: span.vatID,
          name: span.name,
          startPos: span.startPos,
          endPos: span.endPos,
          incarnation: span.incarnation,
          current: span.isCurrent,
          status: 'skipped',
          deliveries: 0,
          reason: span.skip ?? 'not replayed',
        },
    );
    const failed = spans.filter(r => r.status !== 'ok' && r.status !== 'skipped').length;
    const skipped = spans.filter(r => r.status === 'skipped').length;
    const replayedDeliveries = spans.reduce((sum, r) => sum + (r.status === 'skipped' ? 0 : r.deliveries), 0);
    progress.done(`replayed ${groupDigits(replayedDeliveries)} deliveries in ${spans.length - skipped} spans`);
    const report: ReplayReport = { ok: failed === 0, spans, replayedDeliveries, skipped, failed };
    out.result(report);
    if (!out.json) {
      out.table(
        ['vat', 'name', 'span', 'incarnation', 'kind', 'deliveries', 'result'],
        spans.map(r => [r.vatID, r.name, spanText(r), r.incarnation, r.current ? 'current' : 'historical', r.deliveries, statusText[r.status]]),
      );
      for (const r of spans) {
        if (r.status === 'diverged') out.line(renderDivergence(r));
        else if (r.status !== 'ok') out.line(`${r.vatID} span ${spanText(r)} ${statusText[r.status]}: ${r.reason ?? ''}`);
      }
      out.line(
        failed === 0
          ? `all ${spans.length - skipped} replayed spans match${skipped > 0 ? ` (${skipped} skipped)` : ''}`
          : `${failed} of ${spans.length - skipped} replayed spans do not match`,
      );
    }
    if (failed > 0) return EXIT_CHECK_FAILED;
    if (options.strict && skipped > 0) return EXIT_CHECK_FAILED;
    return 0;
  });
}
