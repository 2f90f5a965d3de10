// One xsnap-worker process: spawning it (fresh or from a heap snapshot)
// with its exit tracked, and booting the supervisor into a fresh one.
// Shared by the vat worker manager (xsnapWorker.ts) and the base-snapshot
// cache (zygote.ts).
import { xsnap, type XSnap } from '@agoric/xsnap';
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { WorkerError } from './errors.js';
import { parseCommandReply, type CommandReply, type WorkerCommand } from './protocol.js';
import type { NestedEvaluateBundle } from './types.js';

/** Bound for setup commands of metered workers (XS takes a C int). */
export const SETUP_COMPUTE_LIMIT = 2 ** 31 - 1;
/** Largest message the worker may send up (SwingSet uses the same). */
const NETSTRING_MAX_CHUNK_SIZE = 12_000_000;


export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running xsnap process and what we know about its exit. */
export interface WorkerProcess {
  xs: XSnap;
  child: ChildProcess | undefined;
  exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
}

export interface SpawnSettings {
  /** Process name (shown by ps); must not start with '-'. */
  name: string;
  /** Answers the worker's queries while a command runs. */
  handleCommand: (request: Uint8Array) => Promise<Uint8Array>;
  metered: boolean;
  debug: boolean;
  stdout: 'ignore' | 'inherit';
  stderr: 'ignore' | 'inherit';
  snapshot?: { stream: AsyncIterable<Uint8Array>; description: string };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function spawnXsnapProcess(settings: SpawnSettings): Promise<WorkerProcess> {
  let child: ChildProcess | undefined;
  let resolveExit: (info: ExitInfo) => void = () => {};
  const exited = new Promise<ExitInfo>(resolve => {
    resolveExit = resolve;
  });
  const record: Partial<WorkerProcess> = { exited, exitInfo: undefined };
  // Wrap spawn to learn the pid and the exit code or signal.
  const spawn = (command: string, args: readonly string[], spawnOptions: SpawnOptions): ChildProcess => {
    child = nodeSpawn(command, args, spawnOptions);
    // A worker that exits while a pipe to it is busy (it gave up on a bad
    // snapshot, it crashed) resets that pipe. xsnap does not listen for
    // errors on every one of them (the snapshot pipe, the command pipe), and
    // an unheard socket error would crash this process; the exit is what
    // gets reported, through `exited` and xsnap's own rejections.
    for (const stream of child.stdio) stream?.on('error', () => {});
    child.once('exit', (code, signal) => {
      const info = { code, signal };
      record.exitInfo = info;
      resolveExit(info);
    });
    return child;
  };
  const { snapshot } = settings;
  const xs = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fs.promises },
    name: settings.name.replace(/^-+/, ''),
    handleCommand: settings.handleCommand,
    debug: settings.debug,
    netstringMaxChunkSize: NETSTRING_MAX_CHUNK_SIZE,
    // A non-zero -l switches XS's meter check on. The real per-delivery
    // limit is set by the supervisor (resetMeter) at the start of each
    // delivery; this one only bounds setup commands (bundle evaluation,
    // setBundle). Unmetered vats get no check at all, as in SwingSet.
    meteringLimit: settings.metered ? SETUP_COMPUTE_LIMIT : 0,
    stdout: settings.stdout,
    stderr: settings.stderr,
    ...(snapshot ? { snapshotStream: snapshot.stream, snapshotDescription: snapshot.description } : {}),
  });
  return Object.assign(record, { xs, child }) as WorkerProcess;
}

export interface CommandRun {
  reply: CommandReply;
  meterUsage: { compute: number | null };
}

/** Send one command; the reply is parsed and checked (BAD_MESSAGE if not). */
export async function runCommand(proc: WorkerProcess, command: WorkerCommand, label: string): Promise<CommandRun> {
  const run = await proc.xs.issueCommand(encoder.encode(JSON.stringify(command)));
  const parsed = parseCommandReply(decoder.decode(run.reply));
  if (!parsed.ok) {
    throw new WorkerError('BAD_MESSAGE', `${label}: bad reply to ${command[0]}: ${parsed.problem}`);
  }
  return { reply: parsed.value, meterUsage: run.meterUsage };
}

export interface SupervisorBundles {
  lockdownBundle: NestedEvaluateBundle;
  supervisorBundle: NestedEvaluateBundle;
}

/**
 * Evaluate the lockdown and supervisor bundles in a fresh worker, then
 * make `heapRoomSlots` of room. Returns the console items of the growHeap
 * reply (the caller forwards them).
 */
export async function bootSupervisor(
  proc: WorkerProcess,
  bundles: SupervisorBundles,
  heapRoomSlots: number,
  label: string,
): Promise<CommandReply[1]> {
  for (const [which, bundle] of [
    ['lockdown', bundles.lockdownBundle],
    ['supervisor', bundles.supervisorBundle],
  ] as const) {
    if (bundle.moduleFormat !== 'nestedEvaluate') {
      throw new WorkerError('BAD_BUNDLE', `${label}: ${which} bundle must be nestedEvaluate`);
    }
    // A nestedEvaluate bundle is a function expression; calling it runs it.
    await proc.xs.evaluate(`(${bundle.source}\n)()`);
  }
  if (heapRoomSlots === 0) return [];
  const { reply } = await runCommand(proc, ['growHeap', heapRoomSlots], label);
  // A supervisor bundle older than growHeap (a vat keeps its bundles until
  // upgraded) just goes without the room: the same bundles, the same heap.
  if (reply[0] === 'failed' && isUnknownCommand(reply[2], 'growHeap')) return reply[1];
  if (reply[0] !== 'ready') {
    throw new WorkerError('WORKER_START', `${label}: growHeap failed: ${reply[0] === 'failed' ? reply[2] : reply[0]}`);
  }
  return reply[1];
}

/** True when a 'failed' reply says the supervisor does not know `command` (an older bundle). */
export const isUnknownCommand = (message: string, command: string): boolean =>
  message.includes(`unknown command ${JSON.stringify(command)}`);

export const insistHeapRoom = (slots: number, label: string): number => {
  if (!Number.isSafeInteger(slots) || slots < 0 || slots > 64 * 1024 * 1024) {
    throw new WorkerError('BAD_ARGUMENT', `${label}: heapRoomSlots must be an integer in 0..${64 * 1024 * 1024}, not ${slots}`);
  }
  return slots;
};
