// Base worker snapshots ("zygotes"). Most of a fresh xsnap worker's start
// is evaluating the lockdown and supervisor bundles (about a second). A
// zygote is a heap snapshot of a worker taken right after that (and after
// its heap room is made), before any vat arrives; further fresh workers
// for the same bundles start from it instead.
//
// The zygote's creation record also asks for a larger heap growth step
// (xsHeapTuning.ts), which workers started from it keep for life.
//
// One zygote per (lockdown bundle ID, supervisor bundle ID, heap room,
// growth step, xsnap-worker binary). Kept in memory; with `dir`, also on
// disk, so a new process starts warm. Building is deterministic (same
// inputs, same XS: same bytes), and a vat started from a zygote makes
// exactly the syscalls (and gets the same computrons) as one booted from
// the bundles: the test suite checks both.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { computeB0BundleID } from './bundleIDs.js';
import { WorkerError } from './errors.js';
import { DEFAULT_HEAP_INCREMENT_SLOTS, isValidHeapIncrement, setSnapshotHeapIncrement } from './xsHeapTuning.js';
import {
  bootSupervisor,
  insistHeapRoom,
  spawnXsnapProcess,
  type SupervisorBundles,
  type WorkerProcess,
} from './xsnapProcess.js';

export interface ZygoteRequest extends SupervisorBundles {
  /** [lockdownID, supervisorID] if the caller knows them (else computed). */
  bundleIDs?: readonly [string, string];
  heapRoomSlots: number;
  /** Slots per heap growth for workers started from it; default DEFAULT_HEAP_INCREMENT_SLOTS. */
  heapIncrementSlots?: number;
  debug?: boolean;
}

export interface ZygoteStats {
  /** Zygotes built by booting the bundles. */
  built: number;
  /** Zygotes read from the disk cache. */
  loaded: number;
  /** Requests served from memory. */
  hits: number;
}

export interface ZygoteCache {
  /** The base snapshot for these bundles; built (or read from disk) on first use. */
  provide(request: ZygoteRequest): Promise<Uint8Array>;
  stats(): ZygoteStats;
}

export interface ZygoteCacheOptions {
  /** Directory for the on-disk cache; memory only when absent. */
  dir?: string;
}

interface DiskRecord {
  key: string;
  sha256: string;
  size: number;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const binaryHashes = new Map<boolean, string>();
/** Identity of the xsnap-worker binary in use (release or debug build). */
function xsnapBinaryHash(debug: boolean): string {
  let known = binaryHashes.get(debug);
  if (known === undefined) {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve('@agoric/xsnap/package.json'));
    const platform = process.platform === 'darwin' ? 'mac' : 'lin';
    const binary = path.join(packageDir, 'xsnap-native', 'xsnap', 'build', 'bin', platform, debug ? 'debug' : 'release', 'xsnap-worker');
    known = sha256(fs.readFileSync(binary));
    binaryHashes.set(debug, known);
  }
  return known;
}

const bundleIDMemo = new WeakMap<object, string>();
const idOf = (bundle: SupervisorBundles['lockdownBundle']): string => {
  let id = bundleIDMemo.get(bundle);
  if (id === undefined) {
    id = computeB0BundleID(bundle);
    bundleIDMemo.set(bundle, id);
  }
  return id;
};

/** The cache key: everything the zygote's bytes depend on. */
export function zygoteKey(request: ZygoteRequest): string {
  const [lockdownID, supervisorID] = request.bundleIDs ?? [idOf(request.lockdownBundle), idOf(request.supervisorBundle)];
  const debug = request.debug ?? false;
  const increment = request.heapIncrementSlots ?? DEFAULT_HEAP_INCREMENT_SLOTS;
  if (!isValidHeapIncrement(increment)) {
    throw new WorkerError('BAD_ARGUMENT', `zygote: heapIncrementSlots must be an integer in 131072..16777216, not ${increment}`);
  }
  return [
    'zygote-v1',
    lockdownID,
    supervisorID,
    `room=${insistHeapRoom(request.heapRoomSlots, 'zygote')}`,
    `increment=${increment}`,
    `xsnap=${xsnapBinaryHash(debug)}`,
  ].join('\n');
}

/** Boots the bundles in a fresh worker and snapshots it. */
export async function buildZygote(request: ZygoteRequest): Promise<Uint8Array> {
  const label = 'zygote';
  let proc: WorkerProcess | undefined;
  try {
    proc = await spawnXsnapProcess({
      name: 'zygote',
      // Nothing runs that could query the kernel; answer anyway.
      handleCommand: async () => new TextEncoder().encode('["ok",null]'),
      metered: true,
      debug: request.debug ?? false,
      stdout: 'ignore',
      stderr: 'inherit',
    });
    await bootSupervisor(proc, request, request.heapRoomSlots, label);
    const chunks: Uint8Array[] = [];
    for await (const chunk of proc.xs.makeSnapshotStream('zygote')) chunks.push(chunk);
    const snapshot = Buffer.concat(chunks);
    const increment = request.heapIncrementSlots ?? DEFAULT_HEAP_INCREMENT_SLOTS;
    // An xsnap whose snapshot layout we do not recognise keeps its own step
    // (readSnapshotHeapIncrement tells which one a zygote has).
    const patched = setSnapshotHeapIncrement(snapshot, increment);
    return patched.ok ? patched.bytes : snapshot;
  } catch (err) {
    if (err instanceof WorkerError) throw err;
    throw new WorkerError('WORKER_START', `could not build a base worker snapshot: ${String(err)}`, { cause: err });
  } finally {
    await proc?.xs.close().catch(() => proc?.xs.terminate().catch(() => {}));
  }
}

export function makeZygoteCache(options: ZygoteCacheOptions = {}): ZygoteCache {
  const { dir } = options;
  const inMemory = new Map<string, Promise<Uint8Array>>();
  const stats: ZygoteStats = { built: 0, loaded: 0, hits: 0 };

  const fileBase = (key: string): string => path.join(dir ?? '.', `zygote-${sha256(key).slice(0, 32)}`);

  const readFromDisk = (key: string): Uint8Array | undefined => {
    if (dir === undefined) return undefined;
    const base = fileBase(key);
    try {
      const record = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')) as Partial<DiskRecord>;
      if (record.key !== key) return undefined;
      const bytes = fs.readFileSync(`${base}.xss`);
      // a torn or altered file is ignored (and rebuilt)
      if (bytes.length !== record.size || sha256(bytes) !== record.sha256) return undefined;
      return bytes;
    } catch {
      return undefined;
    }
  };

  const writeToDisk = (key: string, bytes: Uint8Array): void => {
    if (dir === undefined) return;
    const base = fileBase(key);
    const temp = `${base}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${temp}.xss`, bytes);
      fs.renameSync(`${temp}.xss`, `${base}.xss`);
      const record: DiskRecord = { key, sha256: sha256(bytes), size: bytes.length };
      fs.writeFileSync(`${temp}.json`, JSON.stringify(record));
      fs.renameSync(`${temp}.json`, `${base}.json`);
    } catch {
      // the disk cache is an optimisation: a failed write costs a rebuild later
    }
  };

  return {
    provide(request) {
      const key = zygoteKey(request);
      const known = inMemory.get(key);
      if (known !== undefined) {
        stats.hits += 1;
        return known;
      }
      const made = (async () => {
        const fromDisk = readFromDisk(key);
        if (fromDisk !== undefined) {
          stats.loaded += 1;
          return fromDisk;
        }
        const bytes = await buildZygote(request);
        stats.built += 1;
        writeToDisk(key, bytes);
        return bytes;
      })();
      inMemory.set(key, made);
      // a failed build is not cached: the next request tries again
      made.catch(() => inMemory.delete(key));
      return made;
    },
    stats: () => ({ ...stats }),
  };
}

let processCache: ZygoteCache | undefined;
/**
 * One cache per process, shared by every worker starter that does not bring
 * its own: in memory, and also on disk in `$CRANKSHAFT_ZYGOTE_CACHE` when
 * that is set (the test runner sets it so test files share their zygotes).
 */
export function defaultZygoteCache(): ZygoteCache {
  const dir = process.env['CRANKSHAFT_ZYGOTE_CACHE'];
  processCache ??= makeZygoteCache(dir ? { dir } : {});
  return processCache;
}
