// Kernel-side manager for a vat in an xsnap worker process.
// Spawns the worker (from bundles or a heap snapshot), sends deliveries as
// commands, answers the worker's syscall queries, reports metering, writes
// heap snapshots, and turns worker death into clear errors.
import { performance } from 'node:perf_hooks';
import { makeDeliveryPipeline, describeSyscallFailure, type DeliveryPipeline } from './deliveryPipeline.js';
import { WorkerError } from './errors.js';
import {
  describeDelivery,
  parseWorkerQuery,
  type CommandReply,
  type DeliveryOutcome,
  type DeliverySettings,
  type WorkerCommand,
} from './protocol.js';
import { watchSnapshotFeed } from './snapshotFeed.js';
import { teeAsyncIterable } from './teeStream.js';
import type {
  DeliveryResult,
  LiveSlotsOptions,
  NestedEvaluateBundle,
  ReplayedDelivery,
  ReplayRequest,
  SnapshotReport,
  SnapStoreLike,
  VatBundle,
  VatConsoleSink,
  VatDeliveryObject,
  VatSyscallHandler,
  VatWorker,
} from './types.js';
import { DEFAULT_HEAP_ROOM_SLOTS } from './xsHeapTuning.js';
import {
  SETUP_COMPUTE_LIMIT,
  bootSupervisor,
  insistHeapRoom,
  isUnknownCommand,
  runCommand,
  spawnXsnapProcess,
  type ExitInfo,
  type WorkerProcess,
} from './xsnapProcess.js';
import { defaultZygoteCache, type ZygoteCache } from './zygote.js';

/** SwingSet's per-delivery compute limit for metered vats. */
export const DEFAULT_COMPUTE_LIMIT = 100_000_000;

// xsnap exit codes for meter faults, and how SwingSet reports each one.
const METER_FAULTS: ReadonlyMap<number, string> = new Map([
  [17, 'Compute meter exceeded'],
  [12, 'Stack meter exceeded'],
  [11, 'Allocate meter exceeded'],
]);

export interface XsnapWorkerOptions {
  vatID: string;
  /** Human name, used in the process name, console prefix and errors. */
  vatName?: string;
  /** Metered vats get `computeLimit` per delivery; unmetered vats none. Default true. */
  metered?: boolean;
  computeLimit?: number;
  /** Pipelined syscalls (default true); false sends every syscall at once. */
  batchSyscalls?: boolean;
  /** Where vat console output goes; default: the kernel's console, prefixed. */
  onConsole?: VatConsoleSink;
  /** Use the debug build of xsnap-worker. */
  debug?: boolean;
  stdout?: 'ignore' | 'inherit';
  stderr?: 'ignore' | 'inherit';
  /**
   * How long a delivery may go without a word from the worker (a syscall
   * or its reply) before the worker counts as hung: it is killed, and the
   * delivery fails with WORKER_DEAD, like a worker that died. Default: wait
   * forever, as SwingSet does. Wall-clock time decides only that this
   * machine's worker is broken, never what the vat computes.
   */
  hangTimeoutMs?: number;
}

export type XsnapStart =
  | {
      from: 'bundles';
      lockdownBundle: NestedEvaluateBundle;
      supervisorBundle: NestedEvaluateBundle;
      /** [lockdownID, supervisorID], if known (saves hashing the bundles for the zygote key). */
      bundleIDs?: readonly [string, string];
      vatBundle: VatBundle;
      liveSlotsOptions?: LiveSlotsOptions;
      /**
       * Where the base snapshot of the two bundles comes from (zygote.ts):
       * default the process-wide cache; `false` evaluates the bundles in
       * this worker instead (slower, and the heap keeps xsnap's small
       * growth step). The vat behaves identically either way.
       */
      zygotes?: ZygoteCache | false;
      /** Free heap slots made before the vat arrives; default DEFAULT_HEAP_ROOM_SLOTS. */
      heapRoomSlots?: number;
      /** Slots per heap growth, with a zygote; default DEFAULT_HEAP_INCREMENT_SLOTS. */
      heapIncrementSlots?: number;
    }
  | { from: 'snapshot'; snapshot: AsyncIterable<Uint8Array>; description?: string };

export interface XsnapWorkerStats {
  deliveries: number;
  /** Deliveries re-executed through `replay` (not counted in `deliveries`). */
  replayed: number;
  /** Round trips: one per command plus one per worker query. */
  roundTrips: number;
  syscalls: number;
}

export interface XsnapVatWorker extends VatWorker {
  readonly kind: 'xsnap';
  /** OS process id of the current worker process (changes on restart). */
  readonly pid: number | undefined;
  makeSnapshot(snapPos: number, snapStore: SnapStoreLike, restartWorker?: boolean): Promise<SnapshotReport>;
  replay(requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]>;
  stats(): XsnapWorkerStats;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function* bytesOnce(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

const defaultConsoleSink: VatConsoleSink = entry => {
  const level = entry.level === 'debug' || entry.level === 'info' ? 'log' : entry.level;
  const print = (console as unknown as Record<string, (...args: unknown[]) => void>)[level] ?? console.log;
  print(`${entry.vatName}:`, ...entry.args);
};

const describeExit = (info: ExitInfo | undefined): string => {
  if (info === undefined) return 'exited for an unknown reason';
  if (info.signal !== null) return `was killed by signal ${info.signal}`;
  return `exited with code ${info.code ?? 'unknown'}`;
};

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
  new Promise(resolve => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then(
      value => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });

export async function startXsnapVatWorker(options: XsnapWorkerOptions, start: XsnapStart): Promise<XsnapVatWorker> {
  const {
    vatID,
    vatName = vatID,
    metered = true,
    computeLimit = DEFAULT_COMPUTE_LIMIT,
    batchSyscalls = true,
    onConsole = defaultConsoleSink,
    debug = false,
    stdout = 'inherit',
    stderr = 'inherit',
    hangTimeoutMs,
  } = options;
  if (hangTimeoutMs !== undefined && (!Number.isSafeInteger(hangTimeoutMs) || hangTimeoutMs <= 0)) {
    throw new WorkerError('BAD_ARGUMENT', `vat ${vatID}: hangTimeoutMs must be a positive integer, not ${hangTimeoutMs}`);
  }
  if (!Number.isSafeInteger(computeLimit) || computeLimit <= 0 || computeLimit > SETUP_COMPUTE_LIMIT) {
    throw new WorkerError(
      'BAD_ARGUMENT',
      `vat ${vatID}: computeLimit must be an integer in 1..${SETUP_COMPUTE_LIMIT}, not ${computeLimit}`,
    );
  }
  const label = vatName === vatID ? vatID : `${vatID} (${vatName})`;
  const settings: DeliverySettings = { computeLimit: metered ? computeLimit : 0, batchSyscalls };

  const forwardConsole = (source: string, level: string, args: string[]): void =>
    onConsole({ vatID, vatName, source, level, args });

  // Per-delivery state; the worker only queries while a command runs.
  let pipeline: DeliveryPipeline | undefined;
  let current: WorkerProcess | undefined;
  let busy = false;
  let dead: string | undefined; // why the worker is unusable
  let lastDelivery = 'no delivery yet';
  const stats: XsnapWorkerStats = { deliveries: 0, replayed: 0, roundTrips: 0, syscalls: 0 };

  // Outside a delivery (setBundle) only console lines are expected.
  const idlePipeline = makeDeliveryPipeline(
    () => ['error', 'syscalls are only allowed during a delivery'],
    forwardConsole,
  );

  // The hang watchdog: armed while a delivery command runs, re-armed each
  // time the worker speaks. When it fires, the worker is killed, and the
  // command fails the way a dead worker's does.
  let watchdog: { timer: NodeJS.Timeout | undefined; proc: WorkerProcess } | undefined;
  let hung: string | undefined;
  const armWatchdog = (proc: WorkerProcess): void => {
    if (hangTimeoutMs === undefined) return;
    watchdog = { timer: undefined, proc };
    restartWatchdog();
  };
  const restartWatchdog = (): void => {
    if (watchdog === undefined) return;
    clearTimeout(watchdog.timer);
    const { proc } = watchdog;
    watchdog.timer = setTimeout(() => {
      hung = `worker stopped answering for ${hangTimeoutMs} ms during ${lastDelivery} and was killed`;
      proc.child?.kill('SIGKILL');
    }, hangTimeoutMs);
  };
  const disarmWatchdog = (): void => {
    if (watchdog !== undefined) clearTimeout(watchdog.timer);
    watchdog = undefined;
  };

  const handleCommand = async (request: Uint8Array): Promise<Uint8Array> => {
    restartWatchdog();
    stats.roundTrips += 1;
    const parsed = parseWorkerQuery(decoder.decode(request));
    if (!parsed.ok) {
      // A confused supervisor: answer, and let the delivery fail.
      return encoder.encode(JSON.stringify(['error', `bad worker query: ${parsed.problem}`]));
    }
    const result = (pipeline ?? idlePipeline).processItems(parsed.value[1]);
    return encoder.encode(JSON.stringify(result));
  };

  const spawnProcess = (snapshot?: { stream: AsyncIterable<Uint8Array>; description: string }) =>
    spawnXsnapProcess({
      name: `${vatID}:${vatName}`,
      handleCommand,
      metered,
      debug,
      stdout,
      stderr,
      ...(snapshot ? { snapshot } : {}),
    });

  const issue = async (proc: WorkerProcess, command: WorkerCommand, what: string = command[0]) => {
    stats.roundTrips += 1;
    return runCommand(proc, command, `vat ${label}: ${what}`);
  };

  const setBundle = async (proc: WorkerProcess, boot: Extract<XsnapStart, { from: 'bundles' }>) => {
    const { reply } = await issue(proc, ['setBundle', vatID, boot.vatBundle, boot.liveSlotsOptions ?? {}]);
    idlePipeline.processItems(reply[1]);
    if (reply[0] !== 'ready') {
      throw new WorkerError('WORKER_START', `vat ${label}: setBundle failed: ${reply[0] === 'failed' ? reply[2] : reply[0]}`);
    }
  };

  /** A fresh worker: the zygote's heap if there is a cache, else the bundles evaluated here. */
  const spawnFresh = async (boot: Extract<XsnapStart, { from: 'bundles' }>): Promise<WorkerProcess> => {
    const heapRoomSlots = insistHeapRoom(boot.heapRoomSlots ?? DEFAULT_HEAP_ROOM_SLOTS, `vat ${label}`);
    const zygotes = boot.zygotes ?? defaultZygoteCache();
    if (zygotes !== false) {
      const zygote = await zygotes
        .provide({
          lockdownBundle: boot.lockdownBundle,
          supervisorBundle: boot.supervisorBundle,
          ...(boot.bundleIDs ? { bundleIDs: boot.bundleIDs } : {}),
          heapRoomSlots,
          ...(boot.heapIncrementSlots === undefined ? {} : { heapIncrementSlots: boot.heapIncrementSlots }),
          debug,
        })
        .catch((err: unknown) => {
          const code = err instanceof WorkerError ? err.code : 'WORKER_START';
          throw new WorkerError(code, `vat ${label}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        });
      const proc = await spawnProcess({ stream: bytesOnce(zygote), description: `${vatID}-zygote` });
      await proc.xs.isReady();
      return proc;
    }
    const proc = await spawnProcess();
    idlePipeline.processItems(await bootSupervisor(proc, boot, heapRoomSlots, `vat ${label}`));
    return proc;
  };

  /** A process from a heap snapshot: ready only when the whole image arrived intact. */
  const spawnFromSnapshot = async (how: Extract<XsnapStart, { from: 'snapshot' }>): Promise<WorkerProcess> => {
    const description = how.description ?? `${vatID}-snapshot`;
    const feed = watchSnapshotFeed(how.snapshot);
    let proc: WorkerProcess | undefined;
    try {
      proc = await spawnProcess({ stream: feed.stream, description });
      await Promise.all([proc.xs.isReady(), feed.ended]);
      return proc;
    } catch (err) {
      await proc?.xs.terminate().catch(() => {});
      // A bad image is the cause even when the process noticed first.
      const imageFault = await feed.sourceFailure();
      const cause = imageFault ?? err;
      throw new WorkerError('WORKER_START', `vat ${label}: worker failed to start from snapshot ${description}: ${String(cause)}`, {
        cause,
      });
    }
  };

  const startProcess = async (how: XsnapStart): Promise<WorkerProcess> => {
    if (how.from === 'snapshot') return spawnFromSnapshot(how);
    let proc: WorkerProcess | undefined;
    try {
      proc = await spawnFresh(how);
      await setBundle(proc, how);
    } catch (err) {
      await proc?.xs.terminate().catch(() => {});
      if (err instanceof WorkerError) throw err;
      throw new WorkerError('WORKER_START', `vat ${label}: worker failed to start from ${how.from}: ${String(err)}`, {
        cause: err,
      });
    }
    return proc;
  };

  current = await startProcess(start);

  const insistUsable = (what: string): WorkerProcess => {
    if (dead !== undefined) {
      throw new WorkerError('WORKER_DEAD', `vat ${label}: cannot ${what}: ${dead}`);
    }
    if (busy) {
      throw new WorkerError('WORKER_BUSY', `vat ${label}: cannot ${what} while ${lastDelivery} is running`);
    }
    if (current === undefined) {
      throw new WorkerError('WORKER_DEAD', `vat ${label}: cannot ${what}: no worker process`);
    }
    return current;
  };

  // The worker failed during a command: a meter fault becomes an error
  // result (as in SwingSet); anything else rejects, naming what died.
  const explainFailure = async (proc: WorkerProcess, err: unknown): Promise<DeliveryResult> => {
    const exitInfo = proc.exitInfo ?? (await withTimeout(proc.exited, 2000));
    const meterFault = exitInfo?.code === null || exitInfo === undefined ? undefined : METER_FAULTS.get(exitInfo.code);
    if (meterFault !== undefined) {
      dead = `worker stopped by the meter (${meterFault}) during ${lastDelivery}`;
      return { status: 'error', error: meterFault };
    }
    if (exitInfo === undefined) {
      await proc.xs.terminate().catch(() => {});
    }
    dead = hung ?? `worker ${describeExit(exitInfo)} during ${lastDelivery}`;
    throw new WorkerError('WORKER_DEAD', `vat ${label}: ${dead}: ${String((err as Error)?.message ?? err)}`, {
      cause: err,
    });
  };

  /**
   * Runs one command for a delivery (or a replay batch). A worker that
   * dies yields explainFailure's verdict; one that answers nonsense is
   * killed, since it cannot be trusted with the vat.
   */
  const issueForDelivery = async (
    proc: WorkerProcess,
    command: WorkerCommand,
  ): Promise<{ ok: true; run: Awaited<ReturnType<typeof issue>> } | { ok: false; result: DeliveryResult }> => {
    armWatchdog(proc);
    try {
      return { ok: true, run: await issue(proc, command, lastDelivery) };
    } catch (err) {
      disarmWatchdog();
      if (err instanceof WorkerError && err.code === 'BAD_MESSAGE') {
        dead = `worker sent a malformed reply to ${lastDelivery}`;
        await proc.xs.terminate().catch(() => {});
        throw err;
      }
      return { ok: false, result: await explainFailure(proc, err) };
    } finally {
      disarmWatchdog();
    }
  };

  const outcomeResult = (outcome: DeliveryOutcome, metering: Pick<DeliveryResult, 'metering'>): DeliveryResult =>
    outcome[0] === 'ok' ? { status: 'ok', ...metering } : { status: 'error', error: outcome[1], ...metering };

  const deliver = async (delivery: VatDeliveryObject, syscallHandler: VatSyscallHandler): Promise<DeliveryResult> => {
    const proc = insistUsable(`deliver ${describeDelivery(delivery)}`);
    busy = true;
    stats.deliveries += 1;
    lastDelivery = `delivery #${stats.deliveries} (${describeDelivery(delivery)})`;
    const thisPipeline = makeDeliveryPipeline(syscallHandler, forwardConsole);
    pipeline = thisPipeline;
    try {
      const issued = await issueForDelivery(proc, ['deliver', delivery, settings]);
      if (!issued.ok) return issued.result;
      const { reply: answer, meterUsage } = issued.run;
      thisPipeline.processItems(answer[1]);
      stats.syscalls += thisPipeline.syscallCount();
      const handlerError = thisPipeline.handlerError();
      if (handlerError !== undefined) {
        throw handlerError;
      }
      const compute = meterUsage.compute;
      const metering = typeof compute === 'number' ? { metering: { computrons: compute } } : {};
      const failure = thisPipeline.failure();
      if (failure !== undefined) {
        return { status: 'error', error: describeSyscallFailure(failure), ...metering };
      }
      if (answer[0] === 'delivered') return outcomeResult(answer[2], metering);
      return { status: 'error', error: answer[0] === 'failed' ? answer[2] : `unexpected reply ${answer[0]}`, ...metering };
    } finally {
      pipeline = undefined;
      busy = false;
    }
  };

  // Replay mode (docs/worker-protocol.md): all the deliveries in one
  // command; the worker answers their syscalls from the recorded results.
  const replay = async (requests: readonly ReplayRequest[]): Promise<ReplayedDelivery[]> => {
    const first = requests[0];
    if (first === undefined) return [];
    const proc = insistUsable(`replay ${describeDelivery(first.delivery)}`);
    busy = true;
    const from = stats.deliveries + stats.replayed + 1;
    stats.replayed += requests.length;
    lastDelivery =
      requests.length === 1
        ? `replayed delivery #${from} (${describeDelivery(first.delivery)})`
        : `replayed deliveries #${from}-#${from + requests.length - 1}`;
    // No syscall may reach the kernel; console lines still do.
    pipeline = makeDeliveryPipeline(() => ['error', 'a replayed delivery cannot reach the kernel'], forwardConsole);
    try {
      const items = requests.map(({ delivery, results }) => [delivery, results] as [VatDeliveryObject, typeof results]);
      const issued = await issueForDelivery(proc, ['replay', items, settings]);
      if (!issued.ok) {
        // A meter fault mid-batch: every delivery of the batch reports it.
        return requests.map(() => ({ syscalls: [], result: issued.result }));
      }
      const answer = issued.run.reply;
      pipeline.processItems(answer[1]);
      if (answer[0] === 'failed' && isUnknownCommand(answer[2], 'replay')) {
        // an older supervisor bundle: it ran nothing; the caller replays another way
        throw new WorkerError('UNSUPPORTED', `vat ${label}: this worker's supervisor bundle has no replay mode`);
      }
      if (answer[0] !== 'replayed' || answer[2].length !== requests.length) {
        const why = answer[0] === 'failed' ? answer[2] : `unexpected reply ${answer[0]}`;
        throw new WorkerError('BAD_MESSAGE', `vat ${label}: ${lastDelivery} failed: ${why}`);
      }
      return answer[2].map(([syscalls, outcome, computrons]) => ({
        syscalls,
        result: outcomeResult(outcome, { metering: { computrons } }),
      }));
    } finally {
      pipeline = undefined;
      busy = false;
    }
  };

  const makeSnapshot = async (
    snapPos: number,
    snapStore: SnapStoreLike,
    restartWorker = false,
  ): Promise<SnapshotReport> => {
    const proc = insistUsable('make a snapshot');
    if (!Number.isSafeInteger(snapPos) || snapPos < 0) {
      throw new WorkerError('BAD_ARGUMENT', `vat ${label}: snapPos must be a non-negative integer, not ${snapPos}`);
    }
    busy = true;
    const started = performance.now();
    try {
      const stream = proc.xs.makeSnapshotStream(`${vatID}-${snapPos}`);
      if (!restartWorker) {
        const saved = await snapStore.saveSnapshot(vatID, snapPos, stream);
        const save = (performance.now() - started) / 1000;
        return { ...saved, snapPos, restarted: false, seconds: { save } };
      }
      // Save and restart from the same bytes at once.
      const [toStore, toWorker] = teeAsyncIterable(stream);
      const secondsSince = (): number => (performance.now() - started) / 1000;
      let save = 0;
      let restart = 0;
      const savedP = snapStore.saveSnapshot(vatID, snapPos, toStore).then(saved => {
        save = secondsSince();
        return saved;
      });
      const nextP = startProcess({ from: 'snapshot', snapshot: toWorker, description: `${vatID}-${snapPos}` }).then(
        next => {
          restart = secondsSince();
          return next;
        },
      );
      const [savedR, nextR] = await Promise.allSettled([savedP, nextP]);
      if (savedR.status === 'rejected' || nextR.status === 'rejected') {
        if (nextR.status === 'fulfilled') await nextR.value.xs.terminate().catch(() => {});
        const why = savedR.status === 'rejected' ? savedR.reason : (nextR as PromiseRejectedResult).reason;
        throw new WorkerError('SNAPSHOT', `vat ${label}: snapshot at ${snapPos} failed: ${String(why)}`, {
          cause: why,
        });
      }
      current = nextR.value;
      await proc.xs.close().catch(() => {});
      return { ...savedR.value, snapPos, restarted: true, seconds: { save, restart } };
    } catch (err) {
      if (err instanceof WorkerError) throw err;
      throw new WorkerError('SNAPSHOT', `vat ${label}: snapshot at ${snapPos} failed: ${String(err)}`, { cause: err });
    } finally {
      busy = false;
    }
  };

  const shutdown = async (): Promise<void> => {
    const proc = current;
    current = undefined;
    dead ??= 'worker was shut down';
    if (proc === undefined) return;
    if (busy || proc.exitInfo !== undefined) {
      await proc.xs.terminate().catch(() => {});
      return;
    }
    await proc.xs.close().catch(() => {});
    // close() waits for the baton; a wedged worker gets killed
    if ((await withTimeout(proc.exited, 5000)) === undefined) {
      await proc.xs.terminate().catch(() => {});
    }
  };

  return {
    vatID,
    kind: 'xsnap',
    get pid() {
      return current?.child?.pid;
    },
    deliver,
    replay,
    makeSnapshot,
    shutdown,
    stats: () => ({ ...stats }),
  };
}
