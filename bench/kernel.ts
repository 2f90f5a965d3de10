// Kernel benchmark: each workload on the reference (@agoric/swingset-vat)
// and on Crankshaft, each side in its own child process, one after the
// other (never concurrently, so they do not share the CPU). Prints one JSON
// line per workload with both results and ours/reference ratios.
//
//   node bench/dist/kernel.js
//
// Environment: BENCH_WORKLOADS (comma list of pingpong, pingpong-snapshots,
// burst, burst-small, local-burst, startup, restart, local-pingpong;
// default all),
// BENCH_SIDES (default "reference,ours"), and the sizes BENCH_PINGPONG_N
// (2000), BENCH_BURST_N (2000), BENCH_BURST_SMALL_N (250; with burst it
// shows how burst time grows), BENCH_STARTUP_VATS (5), BENCH_RESTART_SPAN
// (1000), BENCH_LOCAL_N (2000), BENCH_SNAPSHOT_INTERVAL (200).
//
// Timed parts: pingpong/burst time alice's one call (bootstrap excluded);
// startup times a fresh store through bootstrap with warm bundle caches;
// restart times reopen + controller + one call against a current span of
// about BENCH_RESTART_SPAN deliveries per vat; local-pingpong uses local
// workers and splits the time into inside deliveries (slog deliver-result
// seconds) and outside them (the kernel's overhead).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sizesFromEnv, WORKLOADS, type Side, type WorkloadName, type WorkloadResult } from './kernel/workloads.js';

const execFileAsync = promisify(execFile);
const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const drivers: Record<Side, string> = {
  reference: path.join(benchDir, 'kernel', 'drive-reference.js'),
  ours: path.join(benchDir, 'dist', 'kernel', 'drive-ours.js'),
};

const list = (raw: string | undefined, all: readonly string[]): string[] =>
  raw === undefined || raw === '' ? [...all] : raw.split(',').map(s => s.trim()).filter(Boolean);

async function runSide(side: Side, workload: WorkloadName): Promise<WorkloadResult | { side: Side; workload: WorkloadName; error: string }> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [drivers[side], workload], {
      maxBuffer: 1 << 26,
      env: process.env,
    });
    const line = stdout.split('\n').find(l => l.startsWith('BENCH-RESULT '));
    if (line === undefined) throw Error(`no result line in output: ${stdout.slice(-2000)}`);
    return JSON.parse(line.slice('BENCH-RESULT '.length)) as WorkloadResult;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    return { side, workload, error: (stderr ?? (error as Error).message).slice(-2000) };
  }
}

/** ours/reference for throughput-like fields, reference/ours ("× faster") for times. */
function ratios(ours: WorkloadResult, reference: WorkloadResult): Record<string, number> {
  const out: Record<string, number> = {};
  const round = (x: number): number => Math.round(x * 100) / 100;
  if (ours.seconds > 0) out.speedup = round(reference.seconds / ours.seconds);
  if (typeof ours.deliveriesPerSecond === 'number' && typeof reference.deliveriesPerSecond === 'number') {
    out.deliveriesPerSecond = round(ours.deliveriesPerSecond / reference.deliveriesPerSecond);
  }
  for (const key of ['kernelOverheadMsPerDelivery', 'msPerReplayedEntry'] as const) {
    const a = ours[key];
    const b = reference[key];
    if (typeof a === 'number' && typeof b === 'number' && a > 0) out[`${key}Reduction`] = round(b / a);
  }
  return out;
}

const sides = list(process.env.BENCH_SIDES, ['reference', 'ours']) as Side[];
const workloads = list(process.env.BENCH_WORKLOADS, WORKLOADS) as WorkloadName[];
for (const workload of workloads) {
  if (!WORKLOADS.includes(workload)) throw Error(`unknown workload ${workload}`);
}
const sizes = sizesFromEnv();
for (const workload of workloads) {
  const results: Partial<Record<Side, Awaited<ReturnType<typeof runSide>>>> = {};
  for (const side of sides) results[side] = await runSide(side, workload);
  const { ours, reference } = results;
  const line: Record<string, unknown> = { bench: 'kernel', workload, sizes, reference, ours };
  if (ours !== undefined && reference !== undefined && !('error' in ours) && !('error' in reference)) {
    line.ratios = ratios(ours, reference);
  }
  console.log(JSON.stringify(line));
}
