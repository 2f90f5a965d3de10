// `crankshaft replay --jobs` benchmark: a store made by `crankshaft run`
// (xsnap workers, --keep-snapshots) with 4 worker vats that received
// BENCH_CLI_DELIVERIES pings in all (default 10,000), then the real binary
// replays every span of the 4 vats with --jobs 1 and with --jobs 2. Prints
// one JSON line with both wall times and the speedup.
//
//   node bench/dist/cli.js
//
// Environment: BENCH_CLI_DELIVERIES (10000), BENCH_CLI_KEEP (keep the temp dir).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

interface ReplayJSON {
  ok: boolean;
  replayedDeliveries: number;
  spans: unknown[];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  try {
    const rounds = Math.ceil(deliveries / workers.length);
    const config = {
      bootstrap: 'bootstrap',
      defaultManagerType: 'xsnap',
      vats: {
        bootstrap: { sourceSpec: path.join(fixtures, 'bootstrap.js'), parameters: { rounds, workers } },
        ...Object.fromEntries(workers.map(name => [name, { sourceSpec: path.join(fixtures, 'vat-pinger.js'), parameters: { label: name } }])),
      },
    };
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const store = path.join(dir, 'store');
    const run = await crankshaft(['run', configFile, '--store', store, '--keep-snapshots', '--json']);
    const ran = JSON.parse(run.stdout) as { cranks: number; deliveries: { name: string; deliveries: number }[] };
    const workerDeliveries = ran.deliveries.filter(d => workers.includes(d.name)).reduce((sum, d) => sum + d.deliveries, 0);

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
