// Replaying a vat's current span into a fresh worker. Every syscall is
// checked against the recording and answered from it; nothing reaches the
// kernel and nothing is written to the DB. Two ways (docs/transcripts.md):
//
// - 'pipelined' (workers with `replay`): several deliveries per round
//   trip, each sent with its recorded syscall results; the worker answers
//   the vat's syscalls from them and reports the syscalls the vat made,
//   which are compared here afterwards.
// - 'exact': one `deliver` per delivery, every syscall answered here as it
//   is made (syscallSimulator.ts). The worker runs exactly the code path of
//   a live delivery, so its heap ends up byte-for-byte as if the deliveries
//   had been live.
//
// Both report the same divergences (first one wins: kind, vatID,
// deliveryNum, syscall index, expected vs actual) and slog the same events.
import { VatWarehouseError } from './errors.js';
import { dispatchOf, slogDeliveryResult, type MonotonicClock, type SlogSender } from './slog.js';
import { makeSyscallSimulator, type SyscallSimulator } from './syscallSimulator.js';
import { isPseudoDelivery, type TranscriptEntry } from './transcriptEntry.js';
import type { PositionedEntry } from './transcriptLog.js';
import type { DeliveryResult, VatDeliveryObject, VatSyscallHandler, VatWorker } from './workerTypes.js';

export type ReplayMode = 'pipelined' | 'exact';

/** How pipelined replay groups deliveries into one round trip. */
export interface ReplayBatching {
  maxDeliveries: number;
  /** Stored JSON text of the batch's entries, in characters. */
  maxChars: number;
}

export const DEFAULT_REPLAY_BATCHING: Readonly<ReplayBatching> = { maxDeliveries: 64, maxChars: 1_000_000 };

export interface ReplayParams {
  vatID: string;
  worker: VatWorker;
  /** The span's entries after its first (initialize-worker or load-snapshot) one. */
  entries: Iterable<PositionedEntry>;
  slog: SlogSender;
  clock: MonotonicClock;
  /** Default 'exact'; 'pipelined' needs a worker with `replay` (else 'exact' is used). */
  mode?: ReplayMode;
  batching?: ReplayBatching;
}

interface ReplayItem {
  deliveryNum: number;
  delivery: VatDeliveryObject;
  entry: TranscriptEntry;
  size: number;
}

/** The span's real deliveries; a pseudo-delivery in a current span is a BAD_SPAN. */
function* deliveriesOf(vatID: string, entries: Iterable<PositionedEntry>): Generator<ReplayItem> {
  for (const { position: deliveryNum, entry, size } of entries) {
    const d = entry.d;
    if (isPseudoDelivery(d)) {
      throw new VatWarehouseError(
        'BAD_SPAN',
        `replay of ${vatID} should not see ${d[0]} (at transcript position ${deliveryNum})`,
      );
    }
    yield { deliveryNum, delivery: d, entry, size };
  }
}

/** A simulator whose every syscall and answer is slogged as a replayed one. */
function makeSloggedHandler(
  params: Pick<ReplayParams, 'vatID' | 'slog' | 'clock'>,
  deliveryNum: number,
  simulator: SyscallSimulator,
): VatSyscallHandler {
  const { vatID, slog, clock } = params;
  let syscallNum = 0;
  return vso => {
    const started = clock();
    const here = syscallNum;
    syscallNum += 1;
    slog({ type: 'syscall', vatID, deliveryNum, syscallNum: here, replay: true, syscall: vso[0], vsc: vso });
    const vsr = simulator.syscallHandler(vso);
    slog({
      type: 'syscall-result',
      vatID,
      deliveryNum,
      syscallNum: here,
      replay: true,
      syscall: vso[0],
      vsr,
      seconds: clock() - started,
    });
    return vsr;
  };
}

function slogResult(params: ReplayParams, item: ReplayItem, result: DeliveryResult, seconds: number): void {
  // Results and metering are not compared (the transcript keeps them for tools).
  params.slog({
    type: 'deliver-result',
    vatID: params.vatID,
    deliveryNum: item.deliveryNum,
    replay: true,
    dispatch: dispatchOf(item.delivery),
    dr: slogDeliveryResult(result.status, result.error, result.metering?.computrons),
    seconds,
  });
}

const workerFailure = (vatID: string, what: string, err: unknown): VatWarehouseError =>
  new VatWarehouseError('WORKER_FAILURE', `replay of ${vatID} ${what} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });

async function replayExact(params: ReplayParams, items: Iterable<ReplayItem>): Promise<number> {
  const { vatID, worker, slog, clock } = params;
  let replayed = 0;
  for (const item of items) {
    const { deliveryNum, delivery, entry } = item;
    const simulator = makeSyscallSimulator(vatID, deliveryNum, entry.sc);
    const dispatch = dispatchOf(delivery);
    slog({ type: 'deliver', vatID, deliveryNum, replay: true, dispatch, vd: delivery });
    const started = clock();
    let result;
    try {
      result = await worker.deliver(delivery, makeSloggedHandler(params, deliveryNum, simulator));
    } catch (err) {
      // A divergence thrown into the worker comes back wrapped; report the divergence.
      throw simulator.failure ?? workerFailure(vatID, `delivery d${deliveryNum} (${dispatch})`, err);
    }
    const divergence = simulator.finish();
    if (divergence) throw divergence;
    slogResult(params, item, result, clock() - started);
    replayed += 1;
  }
  return replayed;
}

/** Groups items into batches within the limits (at least one item each). */
function* batchesOf(items: Iterable<ReplayItem>, limits: ReplayBatching): Generator<ReplayItem[]> {
  let batch: ReplayItem[] = [];
  let chars = 0;
  try {
    for (const item of items) {
      if (batch.length > 0 && (batch.length >= limits.maxDeliveries || chars + item.size > limits.maxChars)) {
        yield batch;
        batch = [];
        chars = 0;
      }
      batch.push(item);
      chars += item.size;
    }
  } catch (err) {
    // A bad entry: replay what came before it first, as 'exact' would.
    if (batch.length > 0) yield batch;
    throw err;
  }
  if (batch.length > 0) yield batch;
}

async function replayPipelined(
  params: ReplayParams,
  replay: NonNullable<VatWorker['replay']>,
  items: Iterable<ReplayItem>,
): Promise<number> {
  const { vatID, slog, clock } = params;
  let replayed = 0;
  const batches = batchesOf(items, params.batching ?? DEFAULT_REPLAY_BATCHING);
  for (const batch of batches) {
    const started = clock();
    let reports;
    try {
      reports = await replay(batch.map(({ delivery, entry }) => ({ delivery, results: entry.sc.map(call => call.r) })));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'UNSUPPORTED') {
        // A worker whose supervisor predates replay mode ran nothing of
        // this batch: replay it, and the rest, the exact way.
        const rest = function* (): Generator<ReplayItem> {
          yield* batch;
          for (const later of batches) yield* later;
        };
        return replayed + (await replayExact(params, rest()));
      }
      const first = batch[0] as ReplayItem;
      const last = batch[batch.length - 1] as ReplayItem;
      const what =
        batch.length === 1
          ? `delivery d${first.deliveryNum} (${dispatchOf(first.delivery)})`
          : `deliveries d${first.deliveryNum}..d${last.deliveryNum}`;
      throw workerFailure(vatID, what, err);
    }
    // Per-delivery times are not known inside a batch: share it out.
    const seconds = (clock() - started) / batch.length;
    for (const [i, item] of batch.entries()) {
      const report = reports[i];
      if (report === undefined) throw workerFailure(vatID, `delivery d${item.deliveryNum}`, Error('no report'));
      const { deliveryNum, delivery, entry } = item;
      slog({ type: 'deliver', vatID, deliveryNum, replay: true, dispatch: dispatchOf(delivery), vd: delivery });
      // The same comparison as 'exact', over what the vat did; stop at the
      // first divergence, as a live kernel handler would have.
      const simulator = makeSyscallSimulator(vatID, deliveryNum, entry.sc);
      const handler = makeSloggedHandler(params, deliveryNum, simulator);
      for (const vso of report.syscalls) {
        try {
          handler(vso);
        } catch {
          break;
        }
      }
      const divergence = simulator.finish();
      if (divergence) throw divergence;
      slogResult(params, item, report.result, seconds);
      replayed += 1;
    }
  }
  return replayed;
}

/** Replays the entries; returns how many deliveries were re-executed. */
export async function replayEntries(params: ReplayParams): Promise<number> {
  const { vatID, worker, entries } = params;
  const items = deliveriesOf(vatID, entries);
  const mode = params.mode ?? 'exact';
  if (mode === 'pipelined' && worker.replay !== undefined) {
    return replayPipelined(params, worker.replay.bind(worker), items);
  }
  return replayExact(params, items);
}
