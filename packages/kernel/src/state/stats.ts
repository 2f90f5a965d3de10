// Kernel statistics. Counters only go up; gauges also keep Up/Down/Max
// companions. The queue-length gauges are consensus state (`kernelStats`,
// part of the crank hash); everything else is `local.kernelStats`. The
// in-RAM copy is reloaded from kv after a crank rollback.
import { KernelError } from '../shared/errors.js';
import { keys } from './kvSchema.js';
import type { KVStore } from './kv.js';

export const COUNTER_STATS = [
  'syscalls',
  'syscallSend',
  'syscallCallNow',
  'syscallSubscribe',
  'syscallResolve',
  'syscallExit',
  'syscallVatstoreGet',
  'syscallVatstoreSet',
  'syscallVatstoreGetNextKey',
  'syscallVatstoreDelete',
  'syscallDropImports',
  'dispatches',
  'dispatchDeliver',
  'dispatchNotify',
] as const;

export const GAUGE_STATS = [
  'kernelObjects',
  'kernelDevices',
  'kernelPromises',
  'kpUnresolved',
  'kpFulfilled',
  'kpRejected',
  'runQueueLength',
  'acceptanceQueueLength',
  'promiseQueuesLength',
  'clistEntries',
  'vats',
] as const;

export type CounterStat = (typeof COUNTER_STATS)[number];
export type GaugeStat = (typeof GAUGE_STATS)[number];
export type StatName = CounterStat | GaugeStat;

const CONSENSUS_GAUGES: ReadonlySet<string> = new Set(['runQueueLength', 'acceptanceQueueLength', 'promiseQueuesLength']);
/** The Up/Down/Max companion keys of each gauge, made once. */
const gaugeKeys: ReadonlyMap<string, { up: string; down: string; max: string }> = new Map(
  GAUGE_STATS.map(name => [name, { up: `${name}Up`, down: `${name}Down`, max: `${name}Max` }]),
);

type StatRecord = Record<string, number>;

function defaults(consensus: boolean): StatRecord {
  const out: StatRecord = {};
  for (const name of COUNTER_STATS) if (!consensus) out[name] = 0;
  for (const name of GAUGE_STATS) {
    if (CONSENSUS_GAUGES.has(name) !== consensus) continue;
    out[name] = 0;
    out[`${name}Up`] = 0;
    out[`${name}Down`] = 0;
    out[`${name}Max`] = 0;
  }
  return out;
}

export interface KernelStats {
  incStat(name: StatName, delta?: number): void;
  decStat(name: GaugeStat, delta?: number): void;
  /** Local and consensus stats merged (consensus wins). */
  getStats(consensusOnly?: boolean): Record<string, number>;
  initialize(): void;
  /**
   * Writes the records to kv (done at every crank-hash emission). The
   * consensus record is written when it changed; the local one (outside
   * consensus, informational) every LOCAL_SAVE_EVERY saves or when forced.
   * `force` never rewrites an unchanged consensus record.
   */
  save(force?: boolean): void;
  /** Reloads both records from kv (startup). */
  load(): void;
  /** Reloads the consensus record only (after a rollback; local counters keep counting). */
  reloadConsensus(): void;
}

const LOCAL_SAVE_EVERY = 32;

export function makeKernelStats(kv: KVStore): KernelStats {
  const consensusDefaults = defaults(true);
  const localDefaults = defaults(false);
  let consensus: StatRecord | undefined;
  let local: StatRecord | undefined;
  let savesSinceLocal = 0;

  const loadConsensus = (): void => {
    const stored = JSON.parse(kv.get(keys.kernelStats) ?? '{}') as StatRecord;
    consensus = { ...consensusDefaults };
    for (const [k, v] of Object.entries(stored)) if (k in consensusDefaults) consensus[k] = v;
  };

  const pick = (name: string): StatRecord => {
    if (!consensus || !local) throw new KernelError('BAD_STATE', 'kernel stats used before initialize/load');
    return name in consensus ? consensus : local;
  };

  return {
    incStat(name, delta = 1) {
      const rec = pick(name);
      const value = (rec[name] ?? 0) + delta;
      rec[name] = value;
      const companions = gaugeKeys.get(name);
      if (companions) {
        if (value > (rec[companions.max] ?? 0)) rec[companions.max] = value;
        rec[companions.up] = (rec[companions.up] ?? 0) + delta;
      }
    },
    decStat(name, delta = 1) {
      const companions = gaugeKeys.get(name);
      if (!companions) throw new KernelError('BAD_ARGUMENT', `${name} is not a gauge stat`);
      const rec = pick(name);
      rec[name] = (rec[name] ?? 0) - delta;
      rec[companions.down] = (rec[companions.down] ?? 0) + delta;
    },
    getStats(consensusOnly = false) {
      return { ...(consensusOnly ? {} : local), ...consensus };
    },
    initialize() {
      consensus = { ...consensusDefaults };
      local = { ...localDefaults };
    },
    save(force = false) {
      if (!consensus || !local) throw new KernelError('BAD_STATE', 'kernel stats saved before initialize/load');
      const consensusText = JSON.stringify(consensus);
      // Only a change is written, even when forced: a consensus write outside
      // a crank (the flush after run) would sit unhashed in the crank hasher
      // and be lost on restart, so a restarted kernel's activity hash would differ.
      if (consensusText !== kv.get(keys.kernelStats)) kv.set(keys.kernelStats, consensusText);
      savesSinceLocal += 1;
      if (force || savesSinceLocal >= LOCAL_SAVE_EVERY) {
        savesSinceLocal = 0;
        kv.set(keys.localKernelStats, JSON.stringify(local));
      }
    },
    load() {
      loadConsensus();
      const storedLocal = JSON.parse(kv.get(keys.localKernelStats) ?? '{}') as StatRecord;
      local = { ...localDefaults };
      for (const [k, v] of Object.entries(storedLocal)) if (k in localDefaults) local[k] = v;
    },
    reloadConsensus: () => loadConsensus(),
  };
}
