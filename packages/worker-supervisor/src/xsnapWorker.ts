// Kernel-side manager for a vat in an xsnap worker process.
// Spawns the worker (from bundles or a heap snapshot), sends deliveries as
// commands, answers the worker's syscall queries, reports metering, writes
// heap snapshots, and turns worker death into clear errors.
import { xsnap, type XSnap } from '@agoric/xsnap';
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { makeDeliveryPipeline, describeSyscallFailure, type DeliveryPipeline } from './deliveryPipeline.js';
import { WorkerError } from './errors.js';
import {
  describeDelivery,
  parseCommandReply,
  parseWorkerQuery,
  type CommandReply,
  type DeliverySettings,
  type WorkerCommand,
} from './protocol.js';
import { teeAsyncIterable } from './teeStream.js';
import type {
  DeliveryResult,
  LiveSlotsOptions,
  NestedEvaluateBundle,
  SnapshotReport,
  SnapStoreLike,
  VatBundle,
  VatConsoleSink,
  VatDeliveryObject,
  VatSyscallHandler,
  VatWorker,
} from './types.js';

/** SwingSet's per-delivery compute limit for metered vats. */
export const DEFAULT_COMPUTE_LIMIT = 100_000_000;
/** Bound for setup commands of metered workers (XS takes a C int). */
const SETUP_COMPUTE_LIMIT = 2 ** 31 - 1;
/** Largest message the worker may send up (SwingSet uses the same). */
const NETSTRING_MAX_CHUNK_SIZE = 12_000_000;

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
}

export type XsnapStart =
  | {
      from: 'bundles';
      lockdownBundle: NestedEvaluateBundle;
      supervisorBundle: NestedEvaluateBundle;
      vatBundle: VatBundle;
      liveSlotsOptions?: LiveSlotsOptions;
    }
  | { from: 'snapshot'; snapshot: AsyncIterable<Uint8Array>; description?: string };

export interface XsnapWorkerStats {
  deliveries: number;
  /** Round trips: one per command plus one per worker query. */
  roundTrips: number;
  syscalls: number;
}

export interface XsnapVatWorker extends VatWorker {
  readonly kind: 'xsnap';
  /** OS process id of the current worker process (changes on restart). */
  readonly pid: number | undefined;
  makeSnapshot(snapPos: number, snapStore: SnapStoreLike, restartWorker?: boolean): Promise<SnapshotReport>;
  stats(): XsnapWorkerStats;
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running xsnap process and what we know about its exit. */
interface WorkerProcess {
  xs: XSnap;
  child: ChildProcess | undefined;
  exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
  } = options;
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
  const stats: XsnapWorkerStats = { deliveries: 0, roundTrips: 0, syscalls: 0 };

  // Outside a delivery (setBundle) only console lines are expected.
  const idlePipeline = makeDeliveryPipeline(
    () => ['error', 'syscalls are only allowed during a delivery'],
    forwardConsole,
  );

  const handleCommand = async (request: Uint8Array): Promise<Uint8Array> => {
    stats.roundTrips += 1;
    const parsed = parseWorkerQuery(decoder.decode(request));
    if (!parsed.ok) {
      // A confused supervisor: answer, and let the delivery fail.
      return encoder.encode(JSON.stringify(['error', `bad worker query: ${parsed.problem}`]));
    }
    const result = (pipeline ?? idlePipeline).processItems(parsed.value[1]);
    return encoder.encode(JSON.stringify(result));
  };

  const spawnProcess = async (snapshot?: {
    stream: AsyncIterable<Uint8Array>;
    description: string;
  }): Promise<WorkerProcess> => {
    let child: ChildProcess | undefined;
    let resolveExit: (info: ExitInfo) => void = () => {};
    const exited = new Promise<ExitInfo>(resolve => {
      resolveExit = resolve;
    });
    const record: Partial<WorkerProcess> = { exited, exitInfo: undefined };
    // Wrap spawn to learn the pid and the exit code or signal.
    const spawn = (command: string, args: readonly string[], spawnOptions: SpawnOptions): ChildProcess => {
      child = nodeSpawn(command, args, spawnOptions);
      child.once('exit', (code, signal) => {
        const info = { code, signal };
        record.exitInfo = info;
        resolveExit(info);
      });
      return child;
    };
    const xs = await xsnap({
      os: os.type(),
      spawn,
      fs: { ...fs, ...fs.promises },
      name: `${vatID}:${vatName}`.replace(/^-+/, ''),
      handleCommand,
      debug,
      netstringMaxChunkSize: NETSTRING_MAX_CHUNK_SIZE,
      // A non-zero -l switches XS's meter check on. The real per-delivery
      // limit is set by the supervisor (resetMeter) at the start of each
      // delivery; this one only bounds setup commands (bundle evaluation,
      // setBundle). Unmetered vats get no check at all, as in SwingSet.
      meteringLimit: metered ? SETUP_COMPUTE_LIMIT : 0,
      stdout,
      stderr,
      ...(snapshot ? { snapshotStream: snapshot.stream, snapshotDescription: snapshot.description } : {}),
    });
    return Object.assign(record, { xs, child }) as WorkerProcess;
  };

  const parseReply = (bytes: Uint8Array, what: string): CommandReply => {
    const parsed = parseCommandReply(decoder.decode(bytes));
    if (!parsed.ok) {
      throw new WorkerError('BAD_MESSAGE', `vat ${label}: bad reply to ${what}: ${parsed.problem}`);
    }
    return parsed.value;
  };

  const issue = async (proc: WorkerProcess, command: WorkerCommand) => {
    stats.roundTrips += 1;
    return proc.xs.issueCommand(encoder.encode(JSON.stringify(command)));
  };

  const bootFromBundles = async (proc: WorkerProcess, boot: Extract<XsnapStart, { from: 'bundles' }>) => {
    for (const [which, bundle] of [
      ['lockdown', boot.lockdownBundle],
      ['supervisor', boot.supervisorBundle],
    ] as const) {
      if (bundle.moduleFormat !== 'nestedEvaluate') {
        throw new WorkerError('BAD_BUNDLE', `vat ${label}: ${which} bundle must be nestedEvaluate`);
      }
      // A nestedEvaluate bundle is a function expression; calling it runs it.
      await proc.xs.evaluate(`(${bundle.source}\n)()`);
    }
    const { reply } = await issue(proc, ['setBundle', vatID, boot.vatBundle, boot.liveSlotsOptions ?? {}]);
    const answer = parseReply(reply, 'setBundle');
    idlePipeline.processItems(answer[1]);
    if (answer[0] !== 'ready') {
      throw new WorkerError('WORKER_START', `vat ${label}: setBundle failed: ${answer[0] === 'failed' ? answer[2] : answer[0]}`);
    }
  };

  const startProcess = async (how: XsnapStart): Promise<WorkerProcess> => {
    let proc: WorkerProcess;
    try {
      proc = await spawnProcess(
        how.from === 'snapshot'
          ? { stream: how.snapshot, description: how.description ?? `${vatID}-snapshot` }
          : undefined,
      );
    } catch (err) {
      throw new WorkerError('WORKER_START', `vat ${label}: could not spawn xsnap-worker: ${String(err)}`, {
        cause: err,
      });
    }
    try {
      if (how.from === 'bundles') {
        await bootFromBundles(proc, how);
      } else {
        await proc.xs.isReady();
      }
    } catch (err) {
      await proc.xs.terminate().catch(() => {});
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
    dead = `worker ${describeExit(exitInfo)} during ${lastDelivery}`;
    throw new WorkerError('WORKER_DEAD', `vat ${label}: ${dead}: ${String((err as Error)?.message ?? err)}`, {
      cause: err,
    });
  };

  const deliver = async (delivery: VatDeliveryObject, syscallHandler: VatSyscallHandler): Promise<DeliveryResult> => {
    const proc = insistUsable(`deliver ${describeDelivery(delivery)}`);
    busy = true;
    stats.deliveries += 1;
    lastDelivery = `delivery #${stats.deliveries} (${describeDelivery(delivery)})`;
    const thisPipeline = makeDeliveryPipeline(syscallHandler, forwardConsole);
    pipeline = thisPipeline;
    try {
      let run;
      try {
        run = await issue(proc, ['deliver', delivery, settings]);
      } catch (err) {
        return await explainFailure(proc, err);
      }
      let answer: CommandReply;
      try {
        answer = parseReply(run.reply, lastDelivery);
      } catch (err) {
        // a supervisor that speaks nonsense cannot be trusted with the vat
        dead = `worker sent a malformed reply to ${lastDelivery}`;
        await proc.xs.terminate().catch(() => {});
        throw err;
      }
      thisPipeline.processItems(answer[1]);
      stats.syscalls += thisPipeline.syscallCount();
      const handlerError = thisPipeline.handlerError();
      if (handlerError !== undefined) {
        throw handlerError;
      }
      const compute = run.meterUsage.compute;
      const metering = typeof compute === 'number' ? { metering: { computrons: compute } } : {};
      const failure = thisPipeline.failure();
      if (failure !== undefined) {
        return { status: 'error', error: describeSyscallFailure(failure), ...metering };
      }
      if (answer[0] === 'delivered') {
        const outcome = answer[2];
        return outcome[0] === 'ok'
          ? { status: 'ok', ...metering }
          : { status: 'error', error: outcome[1], ...metering };
      }
      return { status: 'error', error: answer[0] === 'failed' ? answer[2] : `unexpected reply ${answer[0]}`, ...metering };
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
    makeSnapshot,
    shutdown,
    stats: () => ({ ...stats }),
  };
}
