// The vat warehouse: which vats have a worker, how a worker is (re)built
// from a snapshot plus replay, live deliveries with their transcript
// entries, heap snapshots with span rollover, and upgrade rollover.
// The kernel supplies per-vat facts and syscall handlers (VatHost); the
// warehouse writes only the transcript and snapshot stores.
import type { SpanBounds } from '@crankshaft/swing-store';
import { fail, VatWarehouseError } from './errors.js';
import { makeRecencyList } from './lru.js';
import { replayEntries, type ReplayMode } from './replay.js';
import { defaultClock, definedNumbers, dispatchOf, noSlog, slogDeliveryResult } from './slog.js';
import { isSnapshotDue, makeSnapshotPolicy } from './snapshotPolicy.js';
import {
  makeDeliveryEntry,
  makeInitializeWorkerEntry,
  makeLoadSnapshotEntry,
  makeSaveSnapshotEntry,
  makeShutdownWorkerEntry,
  type RecordedSyscall,
  type TranscriptEntry,
} from './transcriptEntry.js';
import { makeTranscriptLog } from './transcriptLog.js';
import type {
  DeliveryContext,
  VatConfig,
  VatWarehouse,
  VatWarehouseOptions,
  WarehouseStats,
  WorkerStartRequest,
} from './types.js';
import type {
  DeliveryResult,
  SnapStoreLike,
  VatConsoleEntry,
  VatDeliveryObject,
  VatSyscallHandler,
  VatSyscallResult,
  VatWorker,
} from './workerTypes.js';

interface OnlineVat {
  worker: VatWorker;
  config: VatConfig;
  /** The transcript endPos the worker's heap reflects (transcript vats only). */
  endPos: number;
}

/** Errors that mean the stored transcript cannot be trusted for this vat. */
const disablingCodes: ReadonlySet<string> = new Set(['REPLAY_DIVERGENCE', 'BAD_SPAN', 'BAD_TRANSCRIPT_ENTRY']);

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const printVatConsole = (entry: VatConsoleEntry): void => {
  const level = entry.level === 'error' || entry.level === 'warn' ? entry.level : 'log';
  console[level](`${entry.vatName}:`, ...entry.args);
};

const usesTranscript = (config: VatConfig): boolean => config.useTranscript !== false;

const parseReplayMode = (mode: unknown): ReplayMode => {
  if (mode === undefined) return 'exact';
  if (mode !== 'exact' && mode !== 'pipelined') {
    return fail('BAD_ARGUMENT', `replayMode must be 'exact' or 'pipelined', got ${JSON.stringify(mode)}`);
  }
  return mode;
};

function resolvePolicy(options: VatWarehouseOptions['policy'] = {}) {
  const maxVatsOnline = options.maxVatsOnline ?? 50;
  if (!Number.isSafeInteger(maxVatsOnline) || maxVatsOnline < 1) {
    fail('BAD_ARGUMENT', `maxVatsOnline must be a positive integer, got ${String(maxVatsOnline)}`);
  }
  const maxPreloadVats = options.maxPreloadVats ?? Math.floor(maxVatsOnline / 2);
  if (!Number.isSafeInteger(maxPreloadVats) || maxPreloadVats < 0) {
    fail('BAD_ARGUMENT', `maxPreloadVats must be a non-negative integer, got ${String(maxPreloadVats)}`);
  }
  const preloadConcurrency = options.preloadConcurrency ?? 4;
  if (!Number.isSafeInteger(preloadConcurrency) || preloadConcurrency < 1) {
    fail('BAD_ARGUMENT', `preloadConcurrency must be a positive integer, got ${String(preloadConcurrency)}`);
  }
  return {
    maxVatsOnline,
    maxPreloadVats: Math.min(maxPreloadVats, maxVatsOnline),
    preloadConcurrency,
    replayMode: parseReplayMode(options.replayMode),
    restartWorkerOnSnapshot: options.restartWorkerOnSnapshot ?? true,
    ...makeSnapshotPolicy({
      ...(options.snapshotInitial === undefined ? {} : { snapshotInitial: options.snapshotInitial }),
      ...(options.snapshotInterval === undefined ? {} : { snapshotInterval: options.snapshotInterval }),
    }),
  };
}

/** `work` over `items`, at most `limit` at a time; outcomes in item order. */
async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        outcomes[index] = { status: 'fulfilled', value: await work(items[index] as T) };
      } catch (reason) {
        outcomes[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return outcomes;
}

export function makeVatWarehouse(options: VatWarehouseOptions): VatWarehouse {
  const { stores, host, startWorker, slog = noSlog, clock = defaultClock, vatConsole = printVatConsole, testLog } = options;
  const policy = resolvePolicy(options.policy);
  const replayOptions = {
    mode: policy.replayMode,
    ...(options.policy?.replayBatching === undefined ? {} : { batching: options.policy.replayBatching }),
  };
  const transcript = makeTranscriptLog(stores.transcriptStore);
  const { snapStore } = stores;
  // The worker's view of the snapStore (structural; same object).
  const workerSnapStore: SnapStoreLike = {
    saveSnapshot: async (vatID, snapPos, stream) => ({ ...(await snapStore.saveSnapshot(vatID, snapPos, stream)) }),
    loadSnapshot: vatID => snapStore.loadSnapshot(vatID),
  };

  const online = new Map<string, OnlineVat>();
  const recency = makeRecencyList(policy.maxVatsOnline);
  const loading = new Map<string, Promise<OnlineVat>>();
  /** Vats that diverged or whose transcript is unusable: no more work. */
  const disabled = new Map<string, Error>();
  /** Vats whose console output is being dropped (replay). */
  const replaying = new Set<string>();
  /** The live delivery each vat is in, for console slog events. */
  const inDelivery = new Map<string, { crankNum?: number; deliveryNum: number }>();
  /** deliveryNums of vats without a transcript (slog only; not durable). */
  const untrackedDeliveryNums = new Map<string, number>();
  let shutDown = false;
  const stats: WarehouseStats = { workerStarts: 0, replayedDeliveries: 0, replays: 0, snapshotsSaved: 0, evictions: 0 };

  const assertUsable = (vatID: string): void => {
    if (shutDown) fail('SHUT_DOWN', `vat warehouse was shut down; cannot serve ${vatID}`);
    const reason = disabled.get(vatID);
    if (reason) {
      fail('VAT_DISABLED', `vat ${vatID} takes no more work after: ${reason.message}`, reason);
    }
  };

  const getConfig = (vatID: string): VatConfig => {
    const config = host.getVatConfig(vatID);
    if (config === undefined) return fail('UNKNOWN_VAT', `vat ${vatID} is unknown or no longer alive`);
    return config;
  };

  const currentEndPos = (vatID: string): number => stores.transcriptStore.getCurrentSpanBounds(vatID).endPos;

  const consoleSinkFor =
    (vatID: string) =>
    (entry: VatConsoleEntry): void => {
      if (entry.source === 'testLog' && testLog) {
        testLog(entry);
        return;
      }
      if (replaying.has(vatID)) return;
      const during = inDelivery.get(vatID);
      slog({
        type: 'console',
        source: entry.source,
        state: during ? 'delivery' : 'idle',
        ...(during?.crankNum === undefined ? {} : { crankNum: during.crankNum }),
        vatID,
        ...(during ? { deliveryNum: during.deliveryNum } : {}),
        level: entry.level,
        args: entry.args,
      });
      vatConsole(entry);
    };

  async function stopWorker(vatID: string): Promise<void> {
    const vat = online.get(vatID);
    online.delete(vatID);
    recency.remove(vatID);
    if (vat) await vat.worker.shutdown();
  }

  /** Marks a vat most recently used and shuts down whoever falls off the end. */
  async function touch(vatID: string): Promise<void> {
    for (const evicted of recency.touch(vatID)) {
      stats.evictions += 1;
      await stopWorker(evicted);
    }
  }

  /** Decides where the worker's heap comes from, checking the span's first entry. */
  function startFor(
    vatID: string,
    config: VatConfig,
    first: TranscriptEntry,
    bounds: SpanBounds,
  ): Pick<WorkerStartRequest, 'start' | 'workerOptions'> {
    const info = snapStore.getSnapshotInfo(vatID);
    const d = first.d;
    const badSpan = (why: string): never => fail('BAD_SPAN', `current span of ${vatID} at ${bounds.startPos}: ${why}`);
    if (d[0] === 'initialize-worker') {
      if (info) badSpan(`starts with initialize-worker, but snapshot ${info.hash} at ${info.snapPos} is in use`);
      return { start: { from: 'bundle', bundleID: d[1].source.bundleID }, workerOptions: d[1].workerOptions };
    }
    if (d[0] === 'load-snapshot') {
      const { snapshotID } = d[1];
      if (!info) return badSpan(`starts with load-snapshot ${snapshotID}, but no snapshot is in use`);
      if (info.hash !== snapshotID || info.snapPos !== bounds.startPos - 1) {
        badSpan(`load-snapshot names ${snapshotID}, but the snapshot in use is ${info.hash} at ${info.snapPos}`);
      }
      return {
        start: { from: 'snapshot', snapPos: info.snapPos, hash: info.hash, stream: snapStore.loadSnapshot(vatID) },
        workerOptions: config.workerOptions,
      };
    }
    return badSpan(`starts with ${d[0]}, not initialize-worker or load-snapshot`);
  }

  /** Builds a worker: blank or from the snapshot, then replays the current span. */
  async function loadVat(vatID: string): Promise<OnlineVat> {
    const config = getConfig(vatID);
    const onConsole = consoleSinkFor(vatID);
    if (!usesTranscript(config)) {
      const worker = await startWorker({
        vatID,
        config,
        workerOptions: config.workerOptions,
        start: { from: 'bundle', bundleID: config.source.bundleID },
        onConsole,
      });
      stats.workerStarts += 1;
      return { worker, config, endPos: 0 };
    }

    let bounds = transcript.provideBounds(vatID);
    if (bounds.endPos === bounds.startPos) {
      // A new vat or a new incarnation: its first span starts here.
      transcript.append(vatID, makeInitializeWorkerEntry(config.source.bundleID, config.workerOptions));
      bounds = transcript.provideBounds(vatID);
    }
    const span = transcript.readCurrentSpan(vatID);
    const first = span.next();
    if (first.done) return fail('BAD_SPAN', `current span of ${vatID} at ${bounds.startPos} is empty`);
    const how = startFor(vatID, config, first.value.entry, bounds);
    const worker = await startWorker({ vatID, config, ...how, onConsole });
    stats.workerStarts += 1;
    if (how.start.from === 'snapshot') {
      const info = snapStore.getSnapshotInfo(vatID);
      slog({
        type: 'heap-snapshot-load',
        vatID,
        snapPos: how.start.snapPos,
        hash: how.start.hash,
        ...(info ? { uncompressedSize: info.uncompressedSize, compressedSize: info.compressedSize } : {}),
      });
    }

    const deliveries = bounds.endPos - bounds.startPos - 1;
    if (deliveries > 0) {
      replaying.add(vatID);
      try {
        slog({ type: 'start-replay', vatID, deliveries });
        const started = clock();
        stats.replayedDeliveries += await replayEntries({ vatID, worker, entries: span, slog, clock, ...replayOptions });
        stats.replays += 1;
        slog({ type: 'finish-replay', vatID, seconds: clock() - started });
      } catch (err) {
        await worker.shutdown().catch(() => {});
        throw err;
      } finally {
        replaying.delete(vatID);
      }
    }
    return { worker, config, endPos: bounds.endPos };
  }

  /**
   * The vat's online record, loading it if needed (one load at a time per
   * vat). `touchWhenLoaded: false` leaves the LRU to the caller (preload
   * touches in listing order, whichever load finishes first).
   */
  async function provideOnline(vatID: string, touchWhenLoaded = true): Promise<OnlineVat> {
    assertUsable(vatID);
    const existing = online.get(vatID);
    if (existing) {
      // After a crank rollback the heap is ahead of the transcript: rebuild.
      if (!usesTranscript(existing.config) || currentEndPos(vatID) === existing.endPos) return existing;
      await stopWorker(vatID);
    }
    let pending = loading.get(vatID);
    if (!pending) {
      pending = (async () => {
        try {
          const vat = await loadVat(vatID);
          online.set(vatID, vat);
          if (touchWhenLoaded) await touch(vatID);
          return vat;
        } catch (err) {
          if (err instanceof VatWarehouseError && disablingCodes.has(err.code)) disabled.set(vatID, err);
          throw err;
        } finally {
          loading.delete(vatID);
        }
      })();
      loading.set(vatID, pending);
    }
    return pending;
  }

  function nextDeliveryNum(vatID: string): number {
    const config = host.getVatConfig(vatID);
    if (config && !usesTranscript(config)) return untrackedDeliveryNums.get(vatID) ?? 0;
    try {
      return currentEndPos(vatID);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'NO_TRANSCRIPT') return 0;
      throw err;
    }
  }

  async function deliverToVat(
    vatID: string,
    delivery: VatDeliveryObject,
    syscallHandler: VatSyscallHandler,
    context: DeliveryContext = {},
  ): Promise<DeliveryResult> {
    assertUsable(vatID);
    if (online.has(vatID)) await touch(vatID);
    const vat = await provideOnline(vatID);
    const recording = usesTranscript(vat.config);
    const deliveryNum = recording ? vat.endPos : nextDeliveryNum(vatID);
    if (!recording) untrackedDeliveryNums.set(vatID, deliveryNum + 1);

    const syscalls: RecordedSyscall[] = [];
    let handlerFailure: { error: unknown } | undefined;
    const recorder: VatSyscallHandler = vso => {
      let result: VatSyscallResult;
      try {
        result = syscallHandler(vso);
      } catch (error) {
        handlerFailure ??= { error };
        throw error;
      }
      // Transcripts are JSON: an undefined ok-value is stored as null.
      if (result[0] === 'ok' && result[1] === undefined) result = ['ok', null];
      if (recording) syscalls.push({ s: vso, r: result });
      return result;
    };

    const { crankNum, kd } = context;
    const crank = crankNum === undefined ? {} : { crankNum };
    const dispatch = dispatchOf(delivery);
    slog({ type: 'deliver', ...crank, vatID, deliveryNum, replay: false, dispatch, ...(kd === undefined ? {} : { kd }), vd: delivery });
    inDelivery.set(vatID, { ...crank, deliveryNum });
    const started = clock();
    let result: DeliveryResult;
    try {
      result = await vat.worker.deliver(delivery, recorder);
    } catch (err) {
      // The worker is unusable either way; a throwing handler is the kernel's bug.
      await stopWorker(vatID).catch(() => {});
      if (handlerFailure) throw handlerFailure.error;
      // A dead process is this machine's fault, not the vat's: another
      // validator's worker would not have died, so the crank is not recorded.
      if ((err as { code?: unknown }).code === 'WORKER_DEAD') {
        throw new VatWarehouseError('WORKER_DIED', `vat ${vatID}: worker died during delivery ${deliveryNum} (${dispatch}): ${messageOf(err)}`, { cause: err });
      }
      result = { status: 'error', error: `worker failed during ${dispatch}: ${messageOf(err)}` };
    } finally {
      inDelivery.delete(vatID);
    }
    slog({
      type: 'deliver-result',
      ...crank,
      vatID,
      deliveryNum,
      replay: false,
      dispatch,
      dr: slogDeliveryResult(result.status, result.error, result.metering?.computrons),
      seconds: clock() - started,
    });
    if (recording) {
      // Recorded even for an error result; a crank abort rolls it back.
      transcript.append(vatID, makeDeliveryEntry(delivery, syscalls, result));
      vat.endPos = deliveryNum + 1;
    }
    if (delivery[0] === 'bringOutYourDead') host.onReaped?.(vatID);
    return result;
  }

  async function maybeSaveSnapshot(vatID: string, minDeliveryCount: number = policy.snapshotInterval): Promise<boolean> {
    assertUsable(vatID);
    const config = getConfig(vatID);
    // Without a transcript, or on a worker that cannot snapshot, there is nothing to do.
    if (!usesTranscript(config) || config.workerOptions.type === 'local') return false;
    const before = await provideOnline(vatID);
    if (!before.worker.makeSnapshot) return false;
    const bounds = stores.transcriptStore.getCurrentSpanBounds(vatID);
    const previous = snapStore.getSnapshotInfo(vatID);
    const candidate = { hasSnapshot: previous !== undefined, spanEntries: bounds.endPos - bounds.startPos };
    if (!isSnapshotDue(candidate, policy, minDeliveryCount)) return false;

    // A BOYD first, so the snapshot holds no garbage the vat could still drop.
    const boyd = await deliverToVat(vatID, ['bringOutYourDead'], host.syscallHandlerFor(vatID));
    const vat = online.get(vatID);
    if (boyd.status !== 'ok' || !vat?.worker.makeSnapshot) return false;

    const snapPos = vat.endPos; // where save-snapshot will sit
    let report;
    try {
      report = await vat.worker.makeSnapshot(snapPos, workerSnapStore, policy.restartWorkerOnSnapshot);
    } catch (err) {
      await stopWorker(vatID).catch(() => {});
      throw new VatWarehouseError('WORKER_FAILURE', `snapshot of ${vatID} at ${snapPos} failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
    transcript.append(vatID, makeSaveSnapshotEntry(report.hash));
    await transcript.rolloverSpan(vatID);
    transcript.append(vatID, makeLoadSnapshotEntry(report.hash));
    vat.endPos = snapPos + 2;
    stats.snapshotsSaved += 1;

    slog({
      type: 'heap-snapshot-save',
      vatID,
      snapshotID: report.hash,
      endPosition: snapPos,
      uncompressedSize: report.uncompressedSize,
      compressedSize: report.compressedSize,
      ...definedNumbers(report, ['compressSeconds', 'dbSaveSeconds', 'archiveWriteSeconds'] as const),
      ...(previous ? { uncompressedSizeDelta: report.uncompressedSize - previous.uncompressedSize } : {}),
      restartWorker: report.restarted,
    });
    if (report.restarted) slog({ type: 'heap-snapshot-load', vatID, snapPos, hash: report.hash });
    return true;
  }

  async function snapshotAllVats(): Promise<string[]> {
    const snapshotted: string[] = [];
    for (const vatID of host.listVatIDs()) {
      if (await maybeSaveSnapshot(vatID, 2)) snapshotted.push(vatID);
    }
    return snapshotted;
  }

  async function beginNewWorkerIncarnation(vatID: string): Promise<number> {
    assertUsable(vatID);
    const config = getConfig(vatID);
    await stopWorker(vatID);
    transcript.provideBounds(vatID);
    if (usesTranscript(config)) transcript.append(vatID, makeShutdownWorkerEntry());
    snapStore.stopUsingLastSnapshot(vatID);
    return transcript.rolloverIncarnation(vatID);
  }

  return {
    async start() {
      // Workers start (and replay) side by side, a few at a time; the
      // transcript writes of a load happen before its first await, so
      // they still come in listing order.
      const vatIDs = host.listVatIDs().slice(0, policy.maxPreloadVats);
      const outcomes = await mapWithConcurrency(vatIDs, policy.preloadConcurrency, vatID =>
        provideOnline(vatID, false),
      );
      for (const [i, vatID] of vatIDs.entries()) {
        if (outcomes[i]?.status === 'fulfilled' && online.has(vatID)) await touch(vatID);
      }
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async ensureVatOnline(vatID) {
      await provideOnline(vatID);
      await touch(vatID);
    },
    deliverToVat,
    maybeSaveSnapshot,
    snapshotAllVats,
    beginNewWorkerIncarnation,
    stopWorker,
    nextDeliveryNum,
    isOnline: vatID => online.has(vatID),
    onlineVatIDs: () => recency.keys(),
    getStats: () => ({ ...stats }),
    async shutdown() {
      shutDown = true;
      await Promise.allSettled([...loading.values()]);
      const vatIDs = [...online.keys()];
      await Promise.allSettled(vatIDs.map(stopWorker));
    },
  };
}
