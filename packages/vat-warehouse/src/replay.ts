// Replaying a vat's current span into a fresh worker. Every syscall is
// checked against the recording and answered from it (syscallSimulator.ts);
// nothing reaches the kernel and nothing is written to the DB.
import { VatWarehouseError } from './errors.js';
import { dispatchOf, slogDeliveryResult, type MonotonicClock, type SlogSender } from './slog.js';
import { makeSyscallSimulator } from './syscallSimulator.js';
import { isPseudoDelivery } from './transcriptEntry.js';
import type { PositionedEntry } from './transcriptLog.js';
import type { VatSyscallHandler, VatWorker } from './workerTypes.js';

export interface ReplayParams {
  vatID: string;
  worker: VatWorker;
  /** The span's entries after its first (initialize-worker or load-snapshot) one. */
  entries: Iterable<PositionedEntry>;
  slog: SlogSender;
  clock: MonotonicClock;
}

/** Replays the entries; returns how many deliveries were re-executed. */
export async function replayEntries(params: ReplayParams): Promise<number> {
  const { vatID, worker, entries, slog, clock } = params;
  let replayed = 0;
  for (const { position: deliveryNum, entry } of entries) {
    const d = entry.d;
    if (isPseudoDelivery(d)) {
      throw new VatWarehouseError(
        'BAD_SPAN',
        `replay of ${vatID} should not see ${d[0]} (at transcript position ${deliveryNum})`,
      );
    }
    const simulator = makeSyscallSimulator(vatID, deliveryNum, entry.sc);
    let syscallNum = 0;
    const handler: VatSyscallHandler = vso => {
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

    const dispatch = dispatchOf(d);
    slog({ type: 'deliver', vatID, deliveryNum, replay: true, dispatch, vd: d });
    const started = clock();
    let result;
    try {
      result = await worker.deliver(d, handler);
    } catch (err) {
      // A divergence thrown into the worker comes back wrapped; report the divergence.
      throw (
        simulator.failure ??
        new VatWarehouseError(
          'WORKER_FAILURE',
          `replay of ${vatID} delivery d${deliveryNum} (${dispatch}) failed: ${(err as Error)?.message ?? String(err)}`,
          { cause: err },
        )
      );
    }
    const divergence = simulator.finish();
    if (divergence) throw divergence;
    // Results and metering are not compared (the transcript keeps them for tools).
    slog({
      type: 'deliver-result',
      vatID,
      deliveryNum,
      replay: true,
      dispatch,
      dr: slogDeliveryResult(result.status, result.error, result.metering?.computrons),
      seconds: clock() - started,
    });
    replayed += 1;
  }
  return replayed;
}
