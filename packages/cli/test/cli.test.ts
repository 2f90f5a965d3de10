// The crankshaft binary, spawned for real, on one small store made by a real
// kernel run (xsnap workers, on-disk SQLite): run, inspect, transcript,
// replay (intact and tampered), export/import round trip, slog summary and
// trace, and the one-line errors. The store is made once and only read
// afterwards (tampering happens on a copy).
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { InspectReport, VatDetail } from '../src/inspectReport.js';
import type { ReplayReport } from '../src/commands/replay.js';
import type { RunReport } from '../src/commands/run.js';
import type { SlogSummary } from '../src/slogSummary.js';
import type { TraceFile } from '../src/traceEvents.js';
import { directoryDigest, linkedBin, makeTempDir, parseJSON, runCli, workloadConfig, type CliResult } from './helpers.js';

const work = makeTempDir('crankshaft-cli');
const store = path.join(work, 'store');
const slog = path.join(work, 'slog.jsonl');
let firstRun: CliResult | undefined;

test.before(async () => {
  firstRun = await runCli(['run', workloadConfig, '--store', store, '--slog', slog, '--keep-snapshots', '--json']);
});
test.after.always(() => fs.rmSync(work, { recursive: true, force: true }));

const storeRun = (): RunReport => {
  if (!firstRun || firstRun.code !== 0) throw Error(`crankshaft run failed: ${firstRun?.stderr ?? 'not run'}`);
  return parseJSON<RunReport>(firstRun);
};

/** A copy of the store, so a test can damage it. */
function copyStore(name: string): string {
  const copy = path.join(work, name);
  fs.cpSync(store, copy, { recursive: true });
  return copy;
}

test.serial('run initializes the store and reports cranks, deliveries, the activity hash and the bootstrap result', async t => {
  const report = storeRun();
  t.true(report.initialized);
  t.true(report.quiescent);
  t.true(report.cranks > 50);
  const byName = Object.fromEntries(report.deliveries.map(d => [d.name, d.deliveries]));
  // 12 pings, count, startVat and the GC/BOYD deliveries; both workers alike.
  t.true((byName['alice'] ?? 0) >= 14);
  t.is(byName['alice'], byName['bob']);
  t.regex(report.activityhash, /^[0-9a-f]{64}$/);
  t.deepEqual(report.bootstrap, { kpid: report.bootstrap?.kpid as string, status: 'fulfilled', value: 'alice=12 bob=12' });
  t.true(fs.existsSync(slog));
});

test.serial('run reopens an existing store; the activity hash carries over when nothing is left to do', async t => {
  const first = storeRun();
  const again = await runCli(['run', workloadConfig, '--store', copyStore('rerun'), '--policy', 'crank:5', '--json']);
  t.is(again.code, 0, again.stderr);
  const report = parseJSON<RunReport>(again);
  t.false(report.initialized);
  t.is(report.cranks, 0);
  t.is(report.activityhash, first.activityhash);
  t.is(report.bootstrap?.value, 'alice=12 bob=12');
});

test.serial('inspect shows vats, spans, snapshots, kernel tables and store size, and changes nothing', async t => {
  const before = directoryDigest(store);
  const result = await runCli(['inspect', store, '--json']);
  t.is(result.code, 0, result.stderr);
  const report = parseJSON<InspectReport>(result);
  t.deepEqual(
    report.vats.map(v => [v.vatID, v.name, v.managerType, v.status, v.incarnation]),
    [
      ['v1', 'bootstrap', 'xsnap', 'alive', 0],
      ['v2', 'vatAdmin', 'xsnap', 'alive', 0],
      // comms and vattp are built in by default, as in SwingSet; comms runs on a local worker as SwingSet runs it
      ['v3', 'comms', 'local', 'alive', 0],
      ['v4', 'vattp', 'xsnap', 'alive', 0],
      ['v5', 'timer', 'xsnap', 'alive', 0],
      ['v6', 'alice', 'xsnap', 'alive', 0],
      ['v7', 'bob', 'xsnap', 'alive', 0],
    ],
  );
  const alice = report.vats[5];
  t.truthy(alice?.lastSnapshot);
  t.is(alice?.currentSpanStart, (alice?.lastSnapshot?.snapPos ?? -2) + 1, 'the current span starts after the last snapshot');
  t.true((alice?.heapSize ?? 0) > 1_000_000);
  t.true((alice?.vatstoreEntries ?? 0) > 0);
  t.true(alice !== undefined && alice.spans > 2, 'snapshotInterval 10 gave several spans');
  t.is(report.kernel.runQueueLength, 0);
  t.true(report.kernel.crankNumber > 0);
  t.true(report.store.tables.some(row => row.table === 'transcriptItems' && row.bytes > 0));
  t.true(report.store.fileBytes > 0);

  const text = await runCli(['inspect', store]);
  t.is(text.code, 0);
  t.regex(text.stdout, /│ v6\s+│ alice\s+│ xsnap/);
  t.is(directoryDigest(store), before, 'inspect opened the store read-only');
});

test.serial('inspect --vat lists the spans and snapshots of one vat', async t => {
  const result = await runCli(['inspect', store, '--vat', 'alice', '--json']);
  t.is(result.code, 0, result.stderr);
  const detail = parseJSON<VatDetail>(result);
  t.is(detail.vatID, 'v6');
  t.deepEqual(detail.spanList[0] && [detail.spanList[0].startPos, detail.spanList[0].isCurrent], [0, false]);
  t.is(detail.spanList.filter(s => s.isCurrent).length, 1);
  t.true(detail.snapshots.length >= 2 && detail.snapshots.every(s => s.kept), '--keep-snapshots kept every blob');
});

test.serial('transcript prints entries as JSON lines or readable lines', async t => {
  const json = await runCli(['transcript', store, 'v6', '--span', '0', '--json']);
  t.is(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map(line => JSON.parse(line) as { position: number; entry: { d: [string] } });
  t.deepEqual(lines.map(l => l.position), [0, 1, 2, 3, 4]);
  t.is(lines[0]?.entry.d[0], 'initialize-worker');
  t.is(lines[4]?.entry.d[0], 'save-snapshot');
  const readable = await runCli(['transcript', store, 'alice', '--from', '5', '--to', '8']);
  t.is(readable.code, 0, readable.stderr);
  t.regex(readable.stdout, /^\s+5 {2}load-snapshot /m);
  t.regex(readable.stdout, /message o\+0\.ping\(\d+\) -> p-\d+/);
  t.regex(readable.stdout, /sc\d+ vatstoreSet /);
});

test.serial('replay of the intact store matches every span and exits 0', async t => {
  const before = directoryDigest(store);
  const result = await runCli(['replay', store, '--spans', 'all', '--jobs', '2', '--json']);
  t.is(result.code, 0, result.stdout + result.stderr);
  const report = parseJSON<ReplayReport>(result);
  t.true(report.ok);
  t.is(report.skipped, 0);
  t.true(report.spans.length > 10);
  t.true(report.spans.every(s => s.status === 'ok'));
  t.true(report.replayedDeliveries > 50);
  t.is(directoryDigest(store), before, 'replay opened the store read-only');
});

test.serial('replay of a store with one altered transcript item names that vat, span and position', async t => {
  const copy = copyStore('tampered');
  // The first ping of bob's second span gets a forged vatstoreSet.
  const db = new Database(path.join(copy, 'swingstore.sqlite'));
  const span = db
    .prepare<[], { startPos: number; endPos: number }>("SELECT startPos, endPos FROM transcriptSpans WHERE vatID = 'v7' ORDER BY startPos LIMIT 1 OFFSET 1")
    .get();
  if (!span) throw Error('bob has no second span');
  const rows = db
    .prepare<[number, number], { position: number; item: string }>("SELECT position, item FROM transcriptItems WHERE vatID = 'v7' AND position >= ? AND position < ? ORDER BY position")
    .all(span.startPos, span.endPos);
  let tampered: number | undefined;
  for (const row of rows) {
    const entry = JSON.parse(row.item) as { sc: { s: unknown[] }[] };
    const call = entry.sc.find(c => c.s[0] === 'vatstoreSet');
    if (!call) continue;
    call.s[2] = 'forged';
    db.prepare("UPDATE transcriptItems SET item = ? WHERE vatID = 'v7' AND position = ?").run(JSON.stringify(entry), row.position);
    tampered = row.position;
    break;
  }
  db.close();
  if (tampered === undefined) throw Error('no delivery with a vatstoreSet in that span');

  const result = await runCli(['replay', copy, '--spans', 'all', '--json']);
  t.is(result.code, 1);
  const report = parseJSON<ReplayReport>(result);
  t.false(report.ok);
  const bad = report.spans.filter(s => s.status !== 'ok');
  t.deepEqual(
    bad.map(s => [s.vatID, s.startPos, s.endPos, s.status, s.divergence?.deliveryNum, s.divergence?.kind]),
    [['v7', span.startPos, span.endPos, 'diverged', tampered, 'wrong']],
  );
  t.is((bad[0]?.divergence?.expected as unknown[] | undefined)?.[2], 'forged');

  const text = await runCli(['replay', copy, '--vat', 'bob', '--spans', 'all']);
  t.is(text.code, 1);
  t.true(
    text.stdout.includes(`v7 (bob) span [${span.startPos}, ${span.endPos}) incarnation 0: first divergence at delivery d${tampered}, wrong syscall`),
    text.stdout,
  );
  t.regex(text.stdout, /expected \(transcript\)\s+│ actual \(replay\)/);
  t.regex(text.stdout, /"forged"/);
});

test.serial('export then import round-trips: inspect shows the same figures on both', async t => {
  const exportDir = path.join(work, 'export');
  const imported = path.join(work, 'imported');
  const exported = await runCli(['export', store, exportDir, '--mode', 'archival']);
  t.is(exported.code, 0, exported.stderr);
  t.true(fs.existsSync(path.join(exportDir, 'export-manifest.json')));
  const done = await runCli(['import', exportDir, imported]);
  t.is(done.code, 0, done.stderr);
  t.regex(done.stdout, /^imported .* \(archival\): \d+ artifacts/m);

  const original = parseJSON<InspectReport>(await runCli(['inspect', store, '--json']));
  const copy = parseJSON<InspectReport>(await runCli(['inspect', imported, '--json']));
  t.deepEqual(copy.vats, original.vats);
  // Node-local stats are not state-sync data; everything else matches.
  const { localStats: _a, ...originalKernel } = original.kernel;
  const { localStats: _b, ...copyKernel } = copy.kernel;
  t.deepEqual(copyKernel, originalKernel);

  // And the imported kernel replays like the original.
  const replay = await runCli(['replay', imported, '--vat', 'alice', '--json']);
  t.is(replay.code, 0, replay.stdout);
});

test.serial('import refuses a corrupt artifact with one line and creates no store', async t => {
  const exportDir = path.join(work, 'export-corrupt');
  t.is((await runCli(['export', store, exportDir])).code, 0);
  const manifest = JSON.parse(fs.readFileSync(path.join(exportDir, 'export-manifest.json'), 'utf8')) as { artifacts: { file: string }[] };
  const victim = manifest.artifacts.find(a => a.file.startsWith('transcript.'));
  if (!victim) throw Error('no transcript artifact');
  const file = path.join(exportDir, victim.file);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"status":"ok"', '"status":"error"'));
  const target = path.join(work, 'never');
  const result = await runCli(['import', exportDir, target]);
  t.is(result.code, 2);
  const lines = result.stderr.trim().split('\n');
  t.regex(lines[lines.length - 1] ?? '', new RegExp(`^crankshaft: .*${victim.file.replace(/\./g, '\\.')}`));
  t.false(fs.existsSync(target));
});

test.serial('slog --trace writes Chrome trace events, one per delivery; the summary counts them too', async t => {
  const deliveries = fs
    .readFileSync(slog, 'utf8')
    .trim()
    .split('\n')
    .map(line => JSON.parse(line) as { type: string; replay?: boolean; vatID?: string })
    .filter(r => r.type === 'deliver' && r.replay !== true);
  const out = path.join(work, 'trace.json');
  const result = await runCli(['slog', slog, '--trace', out]);
  t.is(result.code, 0, result.stderr);
  const trace = JSON.parse(fs.readFileSync(out, 'utf8')) as TraceFile;
  t.true(Array.isArray(trace.traceEvents));
  for (const event of trace.traceEvents) {
    t.true(typeof event.name === 'string' && typeof event.ph === 'string' && typeof event.ts === 'number');
    t.true(typeof event.pid === 'number' && typeof event.tid === 'number');
  }
  const deliveryEvents = trace.traceEvents.filter(e => e.cat === 'delivery');
  t.is(deliveryEvents.length, deliveries.length);
  t.true(deliveryEvents.every(e => e.ph === 'X' && typeof e.dur === 'number'));
  t.true(trace.traceEvents.some(e => e.cat === 'crank'));

  const summary = parseJSON<SlogSummary>(await runCli(['slog', slog, '--summary', '--json']));
  t.is(summary.totals.deliveries, deliveries.length);
  const alicePings = summary.perMethod.find(m => m.vatID === 'v6' && m.method === 'ping');
  t.is(alicePings?.deliveries, 12);
  const oneVat = parseJSON<SlogSummary>(await runCli(['slog', slog, '--vat', 'v6', '--json']));
  t.deepEqual(oneVat.perVat.map(v => v.vatID), ['v6']);
});

test.serial('errors are one line naming the thing and the reason, with a non-zero exit', async t => {
  const lastLine = (r: CliResult): string => r.stderr.trim().split('\n').pop() ?? '';
  const missing = await runCli(['inspect', path.join(work, 'nope')]);
  t.is(missing.code, 2);
  t.is(lastLine(missing), `crankshaft: store ${path.join(work, 'nope')}: does not exist`);

  const notStore = makeTempDir('crankshaft-not-a-store');
  fs.writeFileSync(path.join(notStore, 'hello.txt'), 'hi');
  const wrong = await runCli(['replay', notStore]);
  t.is(wrong.code, 2);
  t.regex(lastLine(wrong), /^crankshaft: store .*: is not a Crankshaft store/);
  const runInto = await runCli(['run', workloadConfig, '--store', notStore]);
  t.is(runInto.code, 2);
  t.regex(lastLine(runInto), /is not a Crankshaft store/);
  t.deepEqual(fs.readdirSync(notStore), ['hello.txt'], 'nothing was created');
  fs.rmSync(notStore, { recursive: true, force: true });

  const unknownVat = await runCli(['transcript', store, 'v99']);
  t.is(unknownVat.code, 2);
  t.regex(lastLine(unknownVat), /^crankshaft: vat v99: is not in this kernel/);
  const badPolicy = await runCli(['run', workloadConfig, '--policy', 'forever']);
  t.is(badPolicy.code, 2);
  t.regex(lastLine(badPolicy), /^crankshaft: --policy forever: must be crank:N or computron:N/);
});

test.serial('the linked bin runs (what npx crankshaft starts)', async t => {
  const help = await runCli(['--help'], { executable: linkedBin });
  t.is(help.code, 0, help.stderr);
  for (const command of ['run', 'inspect', 'transcript', 'replay', 'export', 'import', 'slog']) {
    t.regex(help.stdout, new RegExp(`^  ${command} `, 'm'));
  }
});
