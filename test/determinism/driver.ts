// The determinism workload, shared by test/determinism and bench/determinism.
// Four vats (a durable bank, a broker whose promises another vat settles, two
// clients that take and drop presences), snapshots every 7 deliveries, reap
// interval 2, driven by seeded host inputs. The host follows the contract in
// docs/host-api.md: its own progress lives in host.* keys of the swing-store,
// committed with the kernel's state, so after any stop it resumes from the
// last commit and redoes only what that commit did not cover.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  crankCounter,
  initializeSwingset,
  kunser,
  loadSwingsetConfigFile,
  makeSwingsetController,
  type SwingSetConfig,
  type SwingsetController,
} from '@crankshaft/kernel';
import { initSwingStore, openSwingStore, type SwingStore } from '@crankshaft/swing-store';

export type WorkerKind = 'xsnap' | 'local';

export interface WorkloadSpec {
  managerType: WorkerKind;
  seed: number;
  inputs: number;
  /** Warehouse bound; 1 evicts a worker at nearly every delivery. */
  maxVatsOnline?: number;
}

/** Where a host stops and reopens the store: after input `afterInput`'s step. */
export type StopPoint = 'between' | 'afterQueue' | 'midRun';
export interface Stop {
  input: number;
  at: StopPoint;
}

export interface HostInput {
  target: 'clientA' | 'clientB' | 'bank';
  method: string;
  args: unknown[];
}

export interface Fingerprint {
  activityhash: string;
  /** crankNum -> crankhash, for every crank the kernel ran. */
  crankHashes: Record<number, string>;
  /** Every kv entry but local.* (which is outside consensus). */
  kv: Record<string, string>;
  /** vatID -> position -> transcript item, every span. */
  transcripts: Record<string, Record<number, string>>;
  /** vatID -> "snapPos:hash:inUse" per snapshot. */
  snapshots: Record<string, string[]>;
}

const fixtureDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/determinism');

/** A small seeded PRNG (mulberry32): the same seed gives the same inputs everywhere. */
export function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENT_STEPS = ['open', 'open', 'pipeline', 'drop', 'receipt', 'forgetReceipts', 'deal', 'deal', 'brokenDeal', 'relay', 'withdraw'];

/** The host inputs for a seed: pure, so every run and every process agrees. */
export function hostInputs(seed: number, count: number): HostInput[] {
  const random = makeRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const inputs: HostInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const n = Math.floor(random() * 10);
    if (random() < 0.1) {
      inputs.push({ target: 'bank', method: 'close', args: [`${pick(['A', 'B'])}${n}`] });
    } else {
      inputs.push({ target: pick(['clientA', 'clientB'] as const), method: 'step', args: [pick(CLIENT_STEPS), n] });
    }
  }
  return inputs;
}

export async function loadWorkloadConfig(managerType: WorkerKind): Promise<SwingSetConfig> {
  const config = await loadSwingsetConfigFile(path.join(fixtureDir, 'config.json'));
  if (!config) throw Error(`no determinism config in ${fixtureDir}`);
  return { ...config, defaultManagerType: managerType };
}

interface Host {
  store: SwingStore;
  controller: SwingsetController;
}

export interface RunHooks {
  /** Called as each crank finishes (the child host reports progress with it). */
  onCrank?: (crankNum: number, crankhash: string) => void;
}

/**
 * Runs the workload in `dir` (fresh or resumed from what was committed
 * there), stopping and reopening the store at each of `stops`. Returns
 * the crank hashes this call saw; read the rest with fingerprintOf.
 */
export async function runWorkload(
  dir: string,
  spec: WorkloadSpec,
  stops: readonly Stop[] = [],
  hooks: RunHooks = {},
): Promise<Record<number, string>> {
  const config = await loadWorkloadConfig(spec.managerType);
  const inputs = hostInputs(spec.seed, spec.inputs);
  const crankHashes: Record<number, string> = {};
  const slogSender = (event: Record<string, unknown>): void => {
    if (event['type'] === 'crank-finish' && typeof event['crankNum'] === 'number') {
      crankHashes[event['crankNum']] = String(event['crankhash']);
      hooks.onCrank?.(event['crankNum'], String(event['crankhash']));
    }
  };

  const open = async (): Promise<Host> => {
    const fresh = !fs.existsSync(path.join(dir, 'swingstore.sqlite'));
    const store = fresh ? initSwingStore(dir) : openSwingStore(dir);
    const hostKV = store.hostStorage.kvStore;
    if (hostKV.get('host.bootstrapKpid') === undefined) {
      const kpid = await initializeSwingset(config, [], store.kernelStorage);
      hostKV.set('host.bootstrapKpid', String(kpid));
      await store.hostStorage.commit();
    }
    const controller = await makeSwingsetController(store.kernelStorage, {}, {
      quiet: true,
      vatConsole: () => {},
      xsnapOutput: 'ignore',
      slogSender: slogSender as never,
      ...(spec.maxVatsOnline === undefined ? {} : { warehousePolicy: { maxVatsOnline: spec.maxVatsOnline } }),
    });
    return { store, controller };
  };
  const close = async (host: Host): Promise<void> => {
    await host.controller.shutdown();
    await host.store.hostStorage.close();
  };

  let host = await open();
  const reopen = async (): Promise<void> => {
    await host.store.hostStorage.commit();
    await close(host);
    host = await open();
  };
  const stopAt = (input: number, at: StopPoint): boolean => stops.some(s => s.input === input && s.at === at);

  try {
    const hostKV = (): SwingStore['hostStorage']['kvStore'] => host.store.hostStorage.kvStore;
    if (hostKV().get('host.bootstrapped') === undefined) {
      await host.controller.run();
      const kpid = hostKV().get('host.bootstrapKpid') as string;
      hostKV().set('host.bootstrap', `${host.controller.kpStatus(kpid)} ${JSON.stringify(kunser(host.controller.kpResolution(kpid)))}`);
      hostKV().set('host.bootstrapped', '1');
      await host.store.hostStorage.commit();
    }
    for (let i = Number(hostKV().get('host.nextInput') ?? '0'); i < inputs.length; i += 1) {
      const input = inputs[i] as HostInput;
      // An input queued and committed before a stop is not queued again.
      const queued = JSON.parse(hostKV().get('host.queued') ?? 'null') as { input: number; kpid: string } | null;
      let kpid: string;
      if (queued !== null && queued.input === i) {
        kpid = queued.kpid;
      } else {
        kpid = host.controller.queueToVatRoot(input.target, input.method, input.args, 'ignore') as string;
        hostKV().set('host.queued', JSON.stringify({ input: i, kpid }));
      }
      if (stopAt(i, 'afterQueue')) await reopen();
      if (stopAt(i, 'midRun')) {
        await host.controller.run(crankCounter(3, 100));
        await reopen();
      }
      await host.controller.run();
      // Results are read in input order once settled; some settle later.
      const pending = JSON.parse(hostKV().get('host.pending') ?? '[]') as Array<{ input: number; kpid: string }>;
      pending.push({ input: i, kpid });
      const stillPending = [];
      for (const entry of pending) {
        const status = host.controller.kpStatus(entry.kpid);
        if (status === 'unresolved') {
          stillPending.push(entry);
        } else {
          const value = kunser(host.controller.kpResolution(entry.kpid));
          const shown = value instanceof Error ? `Error: ${value.message}` : JSON.stringify(value);
          hostKV().set(`host.result.${entry.input}`, `${status} ${shown}`);
        }
      }
      hostKV().set('host.pending', JSON.stringify(stillPending));
      hostKV().set('host.nextInput', String(i + 1));
      hostKV().delete('host.queued');
      await host.store.hostStorage.commit();
      if (stopAt(i, 'between')) await reopen();
    }
  } finally {
    await close(host);
  }
  return crankHashes;
}

/** Reads what the store in `dir` holds now (opened read-only). */
export function fingerprintOf(dir: string, crankHashes: Record<number, string>): Fingerprint {
  const store = openSwingStore(dir, { readonly: true });
  try {
    const dump = store.debug.dump(true);
    const kv: Record<string, string> = {};
    for (const key of Object.keys(dump.kvEntries).sort()) {
      if (!key.startsWith('local.')) kv[key] = dump.kvEntries[key] as string;
    }
    const snapshots: Record<string, string[]> = {};
    for (const [vatID, entries] of Object.entries(dump.snapshots)) {
      snapshots[vatID] = (entries as Array<{ snapPos: number; hash: string; inUse: number }>).map(
        e => `${e.snapPos}:${e.hash}:${e.inUse}`,
      );
    }
    return {
      activityhash: store.kernelStorage.getActivityhash(),
      crankHashes,
      kv,
      transcripts: dump.transcripts,
      snapshots,
    };
  } finally {
    void store.hostStorage.close();
  }
}

/** Human-readable differences, first `limit` of them; empty when identical. */
export function compareFingerprints(expected: Fingerprint, actual: Fingerprint, limit = 8): string[] {
  const out: string[] = [];
  const note = (line: string): void => {
    if (out.length < limit) out.push(line);
  };
  if (expected.activityhash !== actual.activityhash) note(`activityhash ${expected.activityhash} != ${actual.activityhash}`);
  const cranks = new Set([...Object.keys(expected.crankHashes), ...Object.keys(actual.crankHashes)].map(Number));
  for (const n of [...cranks].sort((a, b) => a - b)) {
    if (expected.crankHashes[n] !== actual.crankHashes[n]) {
      note(`crank ${n}: ${expected.crankHashes[n] ?? 'missing'} != ${actual.crankHashes[n] ?? 'missing'}`);
      break;
    }
  }
  const keys = new Set([...Object.keys(expected.kv), ...Object.keys(actual.kv)]);
  for (const key of [...keys].sort()) {
    if (expected.kv[key] !== actual.kv[key]) note(`kv ${key}: ${expected.kv[key] ?? '(absent)'} != ${actual.kv[key] ?? '(absent)'}`);
  }
  const vats = new Set([...Object.keys(expected.transcripts), ...Object.keys(actual.transcripts)]);
  for (const vatID of [...vats].sort()) {
    const a = expected.transcripts[vatID] ?? {};
    const b = actual.transcripts[vatID] ?? {};
    const positions = new Set([...Object.keys(a), ...Object.keys(b)].map(Number));
    for (const pos of [...positions].sort((x, y) => x - y)) {
      if (a[pos] !== b[pos]) {
        note(`transcript ${vatID}[${pos}]: ${a[pos] ?? '(absent)'} != ${b[pos] ?? '(absent)'}`);
        break;
      }
    }
  }
  const snapVats = new Set([...Object.keys(expected.snapshots), ...Object.keys(actual.snapshots)]);
  for (const vatID of [...snapVats].sort()) {
    const a = (expected.snapshots[vatID] ?? []).join(' ');
    const b = (actual.snapshots[vatID] ?? []).join(' ');
    if (a !== b) note(`snapshots ${vatID}: ${a} != ${b}`);
  }
  return out;
}

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.js');

/** Runs the child host once; with `killAtCrank`, SIGKILLs it once it reports that crank. Resolves how it ended. */
function runChild(dir: string, spec: WorkloadSpec, hashesFile: string, killAtCrank?: number): Promise<'done' | 'killed'> {
  const args = [childScript, dir, spec.managerType, String(spec.seed), String(spec.inputs), hashesFile];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', chunk => {
      stderr += String(chunk);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', line => {
      const m = /^crank (\d+)$/.exec(line);
      if (m && killAtCrank !== undefined && !killed && Number(m[1]) >= killAtCrank) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('done');
      else reject(Error(`determinism child host failed (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * Runs the workload in child processes, killing each with SIGKILL as it
 * reaches the next of `killAtCranks` (ascending crank numbers), and
 * resuming from the store each time until the workload completes.
 * Returns the fingerprint; `killed` says how many kills landed.
 */
export async function runWithKills(
  dir: string,
  spec: WorkloadSpec,
  killAtCranks: readonly number[],
): Promise<{ fingerprint: Fingerprint; killed: number }> {
  const hashesFile = path.join(dir, 'crank-hashes.txt');
  fs.mkdirSync(dir, { recursive: true });
  let killed = 0;
  for (const crank of killAtCranks) {
    if ((await runChild(dir, spec, hashesFile, crank)) === 'killed') killed += 1;
    else break;
  }
  if (killed === killAtCranks.length) await runChild(dir, spec, hashesFile);
  // A crank the killed host ran but never committed is run again: keep the last.
  const crankHashes: Record<number, string> = {};
  for (const line of fs.readFileSync(hashesFile, 'utf8').split('\n')) {
    const [num, hash] = line.split(' ');
    if (num && hash) crankHashes[Number(num)] = hash;
  }
  return { fingerprint: fingerprintOf(dir, crankHashes), killed };
}
