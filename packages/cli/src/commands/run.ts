// `crankshaft run <config.json | basedir>`: initializes a store on first use
// (or an in-memory one without --store), otherwise reopens it, runs the
// kernel, commits, and reports cranks, deliveries per vat, the activity
// hash and the bootstrap result.
import fs from 'node:fs';
import path from 'node:path';
import { isSwingStore, openSwingStore, initSwingStore, type SwingStore } from '@crankshaft/swing-store';
import {
  initializeSwingset,
  kunser,
  loadBasedir,
  loadSwingsetConfigFile,
  makeSwingsetController,
  type SwingSetConfig,
} from '@crankshaft/kernel';
import { CliError, messageOf } from '../cliErrors.js';
import { makeKernelFacts } from '../kernelFacts.js';
import type { Output } from '../output.js';
import { makePolicy, parsePolicy } from '../runPolicy.js';
import { kernelIsInitialized } from '../storeAccess.js';

export interface RunOptions {
  store?: string;
  slog?: string;
  policy?: string;
  untilQuiescent?: boolean;
  keepSnapshots?: boolean;
  vatOutput?: boolean;
}

/** Where the bootstrap result kpid is kept between runs (host keys are the host's own). */
export const BOOTSTRAP_KPID_KEY = 'host.crankshaft.bootstrapResult';

export interface RunReport {
  store: string | null;
  initialized: boolean;
  cranks: number;
  deliveries: { vatID: string; name: string; deliveries: number }[];
  activityhash: string;
  bootstrap: { kpid: string; status: string; value?: string } | null;
  quiescent: boolean;
}

async function loadConfig(configPath: string): Promise<SwingSetConfig> {
  if (!fs.existsSync(configPath)) throw new CliError(`config ${configPath}`, 'does not exist');
  try {
    if (fs.statSync(configPath).isDirectory()) return loadBasedir(configPath);
    const config = await loadSwingsetConfigFile(configPath);
    if (config === null) throw new CliError(`config ${configPath}`, 'does not exist');
    return config;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`config ${configPath}`, messageOf(err).split('\n')[0] ?? 'is invalid', { cause: err });
  }
}

function openRunStore(dir: string | undefined, keepSnapshots: boolean): SwingStore {
  if (dir === undefined) return initSwingStore(null);
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new CliError(`store ${dir}`, 'is not a directory');
    if (!isSwingStore(dir) && fs.readdirSync(dir).length > 0) {
      throw new CliError(`store ${dir}`, 'is not a Crankshaft store (a non-empty directory without swingstore.sqlite)');
    }
  }
  try {
    return openSwingStore(dir, { keepSnapshots });
  } catch (err) {
    throw new CliError(`store ${dir}`, `cannot be opened: ${messageOf(err)}`, { cause: err });
  }
}

/** The settled value as text (strings as they are, other data as JSON-ish). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Reads the bootstrap promise's state from the kernel's keys (no refcount change). */
function bootstrapResult(store: SwingStore, kpid: string): RunReport['bootstrap'] {
  const kv = store.kernelStorage.kvStore;
  const status = kv.get(`${kpid}.state`) ?? 'unknown';
  if (status !== 'fulfilled' && status !== 'rejected') return { kpid, status };
  const body = kv.get(`${kpid}.data.body`) ?? '#null';
  const slotsText = kv.get(`${kpid}.data.slots`) ?? '';
  const slots = slotsText === '' ? [] : slotsText.split(',');
  let value: string;
  try {
    value = describeValue(kunser({ body, slots }));
  } catch {
    value = body;
  }
  return { kpid, status, value };
}

export async function runCommand(configPath: string, options: RunOptions, out: Output): Promise<number> {
  const policy = options.policy === undefined ? undefined : parsePolicy(options.policy);
  const config = await loadConfig(configPath);
  const created = options.store !== undefined && !fs.existsSync(options.store);
  const store = openRunStore(options.store, options.keepSnapshots ?? false);
  const { kernelStorage, hostStorage } = store;
  try {
    let initialized = false;
    if (!kernelIsInitialized(store)) {
      out.note(`initializing a new kernel${options.store === undefined ? ' in memory' : ` in ${options.store}`} from ${configPath}`);
      try {
        const kpid = await initializeSwingset(config, [], kernelStorage);
        if (kpid !== undefined) hostStorage.kvStore.set(BOOTSTRAP_KPID_KEY, kpid);
        await hostStorage.commit();
      } catch (err) {
        // A store this command created and could not initialize is removed again.
        await hostStorage.close();
        if (created && options.store !== undefined) fs.rmSync(options.store, { recursive: true, force: true });
        throw new CliError(`config ${configPath}`, `cannot initialize a kernel: ${messageOf(err).split('\n')[0] ?? ''}`, { cause: err });
      }
      initialized = true;
    } else {
      out.note(`reopening the kernel in ${options.store ?? '?'} (the config is not read again)`);
    }
    const perVat = new Map<string, number>();
    let cranks = 0;
    const controller = await makeSwingsetController(kernelStorage, {}, {
      ...(options.slog === undefined ? {} : { slogFile: path.resolve(options.slog) }),
      slogSender: record => {
        if (record.type === 'crank-start') cranks += 1;
        else if (record.type === 'deliver' && record['replay'] !== true && typeof record['vatID'] === 'string') {
          perVat.set(record['vatID'], (perVat.get(record['vatID']) ?? 0) + 1);
        }
      },
      quiet: true,
      xsnapOutput: 'ignore',
      vatConsole: entry => {
        if (options.vatOutput !== false && !out.json) process.stderr.write(`${entry.vatName}: ${entry.args.map(String).join(' ')}\n`);
      },
    });
    let quiescent = false;
    try {
      const progress = out.progress('run', 0);
      if (policy === undefined) {
        await controller.run();
        quiescent = true;
      } else {
        // One slice of the policy, or slices until the queues are empty.
        for (;;) {
          const before = cranks;
          const ran = await controller.run(makePolicy(policy));
          await hostStorage.commit();
          progress.grow(cranks - before);
          progress.advance(cranks - before, `${cranks} cranks`);
          if (ran === 0) quiescent = true;
          if (!options.untilQuiescent || ran === 0) break;
        }
      }
      await hostStorage.commit();
      progress.done(`ran ${cranks} cranks`);
      const facts = makeKernelFacts(store);
      const names = new Map(facts.vats().map(v => [v.vatID, v.name]));
      const kpid = hostStorage.kvStore.get(BOOTSTRAP_KPID_KEY);
      const report: RunReport = {
        store: options.store ?? null,
        initialized,
        cranks,
        deliveries: [...perVat.entries()]
          .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
          .map(([vatID, deliveries]) => ({ vatID, name: names.get(vatID) ?? vatID, deliveries })),
        activityhash: controller.getActivityhash(),
        bootstrap: kpid === undefined ? null : bootstrapResult(store, kpid),
        quiescent,
      };
      out.result(report);
      out.line(`cranks: ${report.cranks}${quiescent ? ' (queues empty)' : ' (stopped by the policy)'}`);
      out.table(['vat', 'name', 'deliveries'], report.deliveries.map(d => [d.vatID, d.name, d.deliveries]));
      out.line(`activity hash: ${report.activityhash}`);
      if (report.bootstrap) {
        const b = report.bootstrap;
        out.line(`bootstrap result (${b.kpid}): ${b.status}${b.value === undefined ? '' : ` ${b.value}`}`);
      }
      return 0;
    } finally {
      await controller.shutdown();
    }
  } finally {
    await hostStorage.close();
  }
}
