// `crankshaft replay --jobs` benchmark: a store with 4 worker vats that
// received BENCH_CLI_DELIVERIES pings in all (default 10,000; xsnap workers,
// keepSnapshots, snapshotInterval 500, defaultReapInterval 1000), then the real binary replays every
// span of the 4 vats with --jobs 1 and with --jobs 2. Prints one JSON line
// with both wall times and the speedup.
//
// The store is built in-process with the host API: the host queues the
// pings (result policy 'ignore', so no vat is notified) and runs the kernel
// with a crank policy, committing between slices. That keeps the live run
// to one delivery per ping; a bootstrap vat sending them would also take a
// notify for each.
//
//   node bench/dist/cli.js
//
// Environment: BENCH_CLI_DELIVERIES (10000), BENCH_CLI_KEEP (keep the temp dir).
import '@endo/init';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openSwingStore } from '@crankshaft/swing-store';
import { crankCounter, initializeSwingset, makeSwingsetController } from '@crankshaft/kernel';

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(repo, 'packages', 'cli', 'bin', 'crankshaft.js');
const fixtures = path.join(repo, 'packages', 'cli', 'test', 'fixtures', 'workload');
const workers = ['alice', 'bob', 'carol', 'dave'];
const deliveries = Number(process.env['BENCH_CLI_DELIVERIES'] ?? 10_000);

async function crankshaft(args: string[]): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await execFileAsync(process.execPath, [bin, ...args], {
    env: { ...process.env, CI: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { seconds: (performance.now() - started) / 1000, stdout };
}

/** The store: 4 pinger vats, `rounds` pings each, committed every 500 cranks. */
async function buildStore(store: string, rounds: number): Promise<{ seconds: number; workerDeliveries: number }> {
  const started = performance.now();
  const config = {
    defaultManagerType: 'xsnap',
    snapshotInterval: 500,
    defaultReapInterval: 1000,
    vats: Object.fromEntries(workers.map(name => [name, { sourceSpec: path.join(fixtures, 'vat-pinger.js'), parameters: { label: name } }])),
  };
  const { kernelStorage, hostStorage } = openSwingStore(store, { keepSnapshots: true });
  await initializeSwingset(config, [], kernelStorage);
  await hostStorage.commit();
  let workerDeliveries = 0;
  const workerIDs = new Set<string>();
  const controller = await makeSwingsetController(kernelStorage, {}, {
    quiet: true,
    xsnapOutput: 'ignore',
    vatConsole: () => {},
    slogSender: record => {
      if (record.type === 'deliver' && record['replay'] !== true && workerIDs.has(String(record['vatID']))) workerDeliveries += 1;
    },
  });
  for (const name of workers) workerIDs.add(controller.vatNameToID(name));
  await controller.run();
  for (let i = 0; i < rounds; i += 1) {
    for (const name of workers) controller.queueToVatRoot(name, 'ping', [i], 'ignore');
  }
  while ((await controller.run(crankCounter(500, 0))) > 0) await hostStorage.commit();
  await hostStorage.commit();
  await controller.shutdown();
  await hostStorage.close();
  return { seconds: (performance.now() - started) / 1000, workerDeliveries };
}

interface ReplayJSON {
  ok: boolean;
  replayedDeliveries: number;
  spans: unknown[];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  try {
    const rounds = Math.ceil(deliveries / workers.length);
    const store = path.join(dir, 'store');
    const run = await buildStore(store, rounds);
    const { workerDeliveries } = run;

    const replay = async (jobs: number): Promise<{ seconds: number; report: ReplayJSON }> => {
      const { seconds, stdout } = await crankshaft(['replay', store, '--vat', ...workers, '--spans', 'all', '--jobs', String(jobs), '--json']);
      const report = JSON.parse(stdout) as ReplayJSON;
      if (!report.ok) throw Error(`replay --jobs ${jobs} found a mismatch`);
      return { seconds, report };
    };
    const one = await replay(1);
    const two = await replay(2);
    const line = {
      bench: 'cli-replay',
      vats: workers.length,
      pings: rounds * workers.length,
      workerDeliveries,
      spans: one.report.spans.length,
      replayedDeliveries: one.report.replayedDeliveries,
      runSeconds: Number(run.seconds.toFixed(2)),
      jobs1Seconds: Number(one.seconds.toFixed(2)),
      jobs2Seconds: Number(two.seconds.toFixed(2)),
      speedup: Number((one.seconds / two.seconds).toFixed(2)),
      cores: os.cpus().length,
    };
    console.log(JSON.stringify(line));
  } finally {
    if (!process.env['BENCH_CLI_KEEP']) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
