import '@endo/init/debug.js';
// The CLI's pure parts: which spans replay can take and why not, the slog
// summary and trace events, delivery text, the export manifest parser,
// policies, stat rows and digit grouping.
import test from 'ava';
import type { SnapshotDescription, SpanDescription } from '@crankshaft/swing-store';
import { CliError, errorLine } from '../src/cliErrors.js';
import { describeDelivery, describeSyscall, deliveryLabel } from '../src/deliveryText.js';
import { statTableRows } from '../src/inspectReport.js';
import { prefixUpperBound } from '../src/kernelFacts.js';
import { formatBytes, groupDigits } from '../src/output.js';
import { planReplay, skipReason, type VatSpans } from '../src/replayPlan.js';
import { parsePolicy } from '../src/runPolicy.js';
import { collectSlog, summarizeSlog, type SlogRecordLike } from '../src/slogSummary.js';
import { parseExportDataLine, parseManifest } from '../src/stateSyncDir.js';
import { buildTrace } from '../src/traceEvents.js';

const span = (startPos: number, endPos: number, isCurrent: boolean, storedItems = endPos - startPos): SpanDescription => ({
  startPos,
  endPos,
  hash: `h${startPos}`,
  incarnation: 0,
  isCurrent,
  storedItems,
});
const snap = (snapPos: number, kept: boolean, inUse = false): SnapshotDescription => ({ snapPos, hash: `s${snapPos}`, inUse, kept });

function vat(spans: SpanDescription[], snapshots: SnapshotDescription[], firsts: Record<number, string>, alive = true): VatSpans {
  return { vatID: 'v1', name: 'one', alive, spans, snapshots, firstEntryType: startPos => firsts[startPos] };
}

test('skipReason: replayable spans, pruned snapshots, pruned items, terminated vats', t => {
  const firsts = { 0: 'initialize-worker', 5: 'load-snapshot', 14: 'load-snapshot' };
  const v = vat([span(0, 5, false), span(5, 14, false), span(14, 20, true)], [snap(4, false), snap(13, true, true)], firsts);
  t.is(skipReason(v, span(0, 5, false)), undefined, 'the first span starts from the bundle');
  t.regex(skipReason(v, span(5, 14, false)) ?? '', /starting snapshot \(position 4\) was pruned: .*--keep-snapshots/);
  t.is(skipReason(v, span(14, 20, true)), undefined, 'the in-use snapshot is kept');
  t.regex(skipReason(v, span(5, 14, false, 0)) ?? '', /only 0 of its 9 items are stored/);
  t.is(skipReason(vat([span(0, 3, true)], [], { 0: 'message' }), span(0, 3, true)), 'it starts with message, not initialize-worker or load-snapshot');
  t.is(skipReason(vat([], [], {}, false), span(0, 3, true)), 'the vat is terminated');
});

test('planReplay picks current, historical or all spans and drops empty ones', t => {
  const v = vat([span(0, 5, false), span(5, 9, false), span(9, 9, true)], [snap(4, true, true)], { 0: 'initialize-worker', 5: 'load-snapshot' });
  t.deepEqual(planReplay([v], 'current'), [], 'an empty current span has nothing to check');
  t.deepEqual(planReplay([v], 'historical').map(p => [p.startPos, p.skip]), [
    [0, undefined],
    [5, undefined],
  ]);
  t.is(planReplay([v], 'all').length, 2);
});

const records: SlogRecordLike[] = [
  { type: 'create-vat', vatID: 'v1', name: 'bootstrap' },
  { type: 'crank-start', crankNum: 0, crankType: 'delivery', messageType: 'send', monotime: 10 },
  { type: 'deliver', vatID: 'v1', deliveryNum: 2, crankNum: 0, replay: false, vd: ['message', 'o+0', { methargs: { body: '#["ping",[1]]', slots: [] }, result: 'p-60' }], monotime: 10.001 },
  { type: 'deliver-result', vatID: 'v1', deliveryNum: 2, replay: false, dr: ['ok', null, { compute: 500 }], seconds: 0.004 },
  { type: 'crank-finish', crankNum: 0, monotime: 10.006 },
  { type: 'deliver', vatID: 'v2', deliveryNum: 7, crankNum: 1, replay: false, vd: ['notify', [['p-61', { state: 'fulfilled' }]]], monotime: 11 },
  { type: 'deliver-result', vatID: 'v2', deliveryNum: 7, replay: false, dr: ['ok', null, { compute: 100 }], seconds: 0.002 },
  { type: 'deliver', vatID: 'v1', deliveryNum: 3, replay: false, vd: ['message', 'o+0', { methargs: { body: '#["ping",[2]]', slots: [] }, result: null }], monotime: 12 },
  { type: 'deliver-result', vatID: 'v1', deliveryNum: 3, replay: false, dr: ['error', 'boom', null], seconds: 0.008 },
  { type: 'deliver', vatID: 'v1', deliveryNum: 2, replay: true, vd: ['message', 'o+0', { methargs: { body: '#["ping",[1]]', slots: [] }, result: 'p-60' }], monotime: 20 },
  { type: 'deliver-result', vatID: 'v1', deliveryNum: 2, replay: true, dr: ['ok', null, { compute: 500 }], seconds: 0.001 },
];

test('summarizeSlog: per vat, per method, slowest; replays counted apart', t => {
  const summary = summarizeSlog(collectSlog(records), { slowest: 2 });
  t.deepEqual(summary.totals, { deliveries: 3, seconds: 0.014, computrons: 600, cranks: 1, replayedDeliveries: 1 });
  t.deepEqual(summary.perVat.map(v => [v.vatID, v.name, v.deliveries, v.computrons]), [
    ['v1', 'bootstrap', 2, 500],
    ['v2', 'v2', 1, 100],
  ]);
  t.deepEqual(summary.perMethod.map(m => [m.vatID, m.method, m.deliveries, m.meanSeconds]), [
    ['v1', 'ping', 2, 0.006],
    ['v2', 'notify', 1, 0.002],
  ]);
  t.deepEqual(summary.slowest.map(d => [d.vatID, d.deliveryNum, d.status]), [
    ['v1', 3, 'error'],
    ['v1', 2, 'ok'],
  ]);
  t.deepEqual(summarizeSlog(collectSlog(records), { vatID: 'v2' }).perVat.map(v => v.vatID), ['v2']);
});

test('buildTrace: one complete event per delivery on its vat track, cranks on track 0', t => {
  const trace = buildTrace(collectSlog(records));
  const deliveries = trace.traceEvents.filter(e => e.cat === 'delivery');
  t.is(deliveries.length, 3);
  t.is(trace.traceEvents.filter(e => e.cat === 'replay').length, 1);
  t.deepEqual(deliveries[0], {
    name: 'v1 ping',
    cat: 'delivery',
    ph: 'X',
    ts: 10_001_000,
    dur: 4000,
    pid: 1,
    tid: 1,
    args: { vatID: 'v1', deliveryNum: 2, crankNum: 0, status: 'ok', computrons: 500 },
  });
  const crank = trace.traceEvents.find(e => e.cat === 'crank');
  t.deepEqual([crank?.ts, crank?.dur, crank?.tid], [10_000_000, 6000, 0]);
  t.true(trace.traceEvents.some(e => e.ph === 'M' && e.tid === 1 && (e.args as { name: string }).name === 'v1 bootstrap'));
  t.is(buildTrace(collectSlog(records), { vatID: 'v2' }).traceEvents.filter(e => e.cat === 'crank').length, 0);
});

test('delivery and syscall text', t => {
  const ping = ['message', 'o+0', { methargs: { body: '#["ping",[1,"a"]]', slots: [] }, result: 'p-60' }];
  t.is(describeDelivery(ping), 'message o+0.ping(1,"a") -> p-60');
  t.is(deliveryLabel(ping), 'ping');
  t.is(deliveryLabel(['bringOutYourDead']), 'bringOutYourDead');
  t.is(describeDelivery(['notify', [['p-61', {}], ['p-62', {}]]]), 'notify p-61 p-62');
  t.is(describeDelivery(['load-snapshot', { snapshotID: 'abcdef0123456789abcdef' }]), 'load-snapshot abcdef012345678…');
  t.is(describeSyscall(['vatstoreGet', 'k'], ['ok', 'v']), 'vatstoreGet "k" -> ok "v"');
  t.is(describeSyscall(['vatstoreSet', 'k', 'v'], ['ok', null]), 'vatstoreSet "k" "v" -> ok');
});

test('parseManifest and export-data lines refuse damage with the thing and the reason', t => {
  const good = {
    format: 'crankshaft-state-sync',
    version: 1,
    artifactMode: 'operational',
    exportData: 'export-data.jsonl',
    exportDataEntries: 2,
    artifacts: [{ name: 'transcript.v1.0.5', file: 'transcript.v1.0.5', bytes: 10, sha256: 'a'.repeat(64) }],
  };
  t.deepEqual(parseManifest(JSON.stringify(good), 'm.json'), good as never);
  t.throws(() => parseManifest('{', 'm.json'), { instanceOf: CliError, message: 'export manifest m.json: is not JSON (corrupt artifact directory?)' });
  t.throws(() => parseManifest(JSON.stringify({ ...good, artifactMode: 'everything' }), 'm.json'), { message: /unknown artifactMode "everything"/ });
  const badFile = { ...good, artifacts: [{ ...good.artifacts[0], name: '../etc/passwd', file: '../etc/passwd' }] };
  t.throws(() => parseManifest(JSON.stringify(badFile), 'm.json'), { message: /cannot be a file name/ });
  t.deepEqual(parseExportDataLine('["kv.a","1"]', 'f:1'), ['kv.a', '1']);
  t.deepEqual(parseExportDataLine('["kv.a",null]', 'f:1'), ['kv.a', null]);
  t.throws(() => parseExportDataLine('["kv.a",1]', 'f:2'), { message: 'export data f:2: is not a [key, value] pair' });
});

test('policies, key ranges, stats rows, numbers and error lines', t => {
  t.deepEqual(parsePolicy('crank:5'), { kind: 'crank', limit: 5 });
  t.deepEqual(parsePolicy('computron:65000000'), { kind: 'computron', limit: 65_000_000n });
  t.throws(() => parsePolicy('crank:0'), { message: /must be crank:N or computron:N/ });
  t.throws(() => parsePolicy('wall:3'), { message: /must be crank:N or computron:N/ });
  t.is(prefixUpperBound('v1.c.'), 'v1.c/');
  t.deepEqual(statTableRows({ runQueueLength: 0, runQueueLengthUp: 5, runQueueLengthDown: 5, runQueueLengthMax: 3, syscalls: 9 }), [
    ['runQueueLength', 0, 5, 5, 3],
    ['syscalls', 9, '', '', ''],
  ]);
  t.is(groupDigits(65420679), '65,420,679');
  t.is(groupDigits(-1234), '-1,234');
  t.is(groupDigits(999), '999');
  t.is(formatBytes(512), '512 B');
  t.is(formatBytes(10.4 * 1024 * 1024), '10.4 MiB');
  t.is(errorLine(new CliError('store /x', 'does not exist')), 'crankshaft: store /x: does not exist');
  t.is(errorLine(Object.assign(new Error('bad thing\nmore detail'), { code: 'NO_SPAN' })), 'crankshaft: NO_SPAN: bad thing');
});
