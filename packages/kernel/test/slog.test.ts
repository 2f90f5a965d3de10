import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clistEvent,
  crankFinishProps,
  crankStartProps,
  makeSlogger,
  mergeFinishProps,
  serializeSlogRecord,
  SlogError,
  vatCleanupEvent,
  type SlogClock,
  type SlogRecord,
} from '../src/slog/slog.js';

const makeTempDir = (t: { teardown(fn: () => void): void }): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slog-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Wall clock at 1000.5 s, monotonic clock advancing 0.25 s per reading. */
const fakeClock = (): SlogClock => {
  let mono = 10;
  return {
    wallSeconds: () => 1000.5,
    monoSeconds: () => {
      mono += 0.25;
      return mono;
    },
  };
};

test('records go to the sender with time and monotime added', t => {
  const seen: SlogRecord[] = [];
  const slogger = makeSlogger({ slogSender: r => seen.push(r), clock: fakeClock() });
  t.true(slogger.enabled);
  slogger.write(clistEvent(4, 'import', 'v2', 'ko20', 'o-50'));
  t.deepEqual(seen, [
    { type: 'clist', crankNum: 4, mode: 'import', vatID: 'v2', kobj: 'ko20', vobj: 'o-50', time: 1000.5, monotime: 10.25 },
  ]);
});

test('a crank duration: start props carried to the finish, message removed, seconds added', t => {
  const seen: SlogRecord[] = [];
  const slogger = makeSlogger({ slogSender: r => seen.push(r), clock: fakeClock() });
  const message = { type: 'send', target: 'ko20' };
  const finish = slogger.startDuration(['crank-start', 'crank-finish'], crankStartProps('delivery', 7, message));
  finish(crankFinishProps('aa', 'bb'));
  finish(crankFinishProps('cc', 'dd')); // a second finish is ignored
  t.is(seen.length, 2);
  t.like(seen[0], { type: 'crank-start', crankType: 'delivery', crankNum: 7, messageType: 'send', message });
  const end = seen[1] as SlogRecord;
  t.like(end, { type: 'crank-finish', crankType: 'delivery', crankNum: 7, messageType: 'send', crankhash: 'aa', activityhash: 'bb', seconds: 0.5 });
  t.false('message' in end);
});

test('mergeFinishProps: finish props override, undefined ones delete', t => {
  t.deepEqual(mergeFinishProps({ a: 1, b: 2, c: 3 }, { b: 20, c: undefined, d: 4 }, 1.5), { a: 1, b: 20, d: 4, seconds: 1.5 });
});

test('serializeSlogRecord: bigints become numbers when exact, else strings', t => {
  const text = serializeSlogRecord({ type: 'x', small: 5n, huge: 2n ** 70n, gone: undefined, time: 1, monotime: 2 });
  t.deepEqual(JSON.parse(text), { type: 'x', small: 5, huge: (2n ** 70n).toString(), time: 1, monotime: 2 });
});

test('slogFile receives one JSON line per record, appended, flushed at crank-finish and close', t => {
  const dir = makeTempDir(t);
  const file = path.join(dir, 'sub', 'kernel.slog');
  const first = makeSlogger({ slogFile: file, clock: fakeClock() });
  first.write({ type: 'kernel-init-start' });
  t.false(fs.existsSync(file) && fs.readFileSync(file, 'utf8').length > 0, 'buffered until a crank ends');
  first.write({ type: 'crank-finish', crankNum: 0 });
  t.is(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
  first.write({ type: 'console', source: 'kernel', level: 'log', args: ['hi'] });
  first.close();
  t.throws(() => first.write({ type: 'late' }), { instanceOf: SlogError, message: /after close/ });

  const second = makeSlogger({ slogFile: file, clock: fakeClock() });
  second.write(vatCleanupEvent('v3', { exports: 2, imports: 0, kv: 5 }, 0.5));
  second.close();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map(line => JSON.parse(line) as SlogRecord);
  t.deepEqual(lines.map(r => r.type), ['kernel-init-start', 'crank-finish', 'console', 'vat-cleanup']);
  t.deepEqual(lines[3], { type: 'vat-cleanup', vatID: 'v3', work: { exports: 2, kv: 5 }, seconds: 0.5, time: 1000.5, monotime: 10.25 });
});

test('a slogger with neither file nor sender is disabled and silent', t => {
  const slogger = makeSlogger();
  t.false(slogger.enabled);
  slogger.write({ type: 'deliver' });
  slogger.startDuration(['a', 'b'])();
  slogger.close();
  t.pass();
});

test('an unwritable slog file is a coded error naming the file', t => {
  const dir = makeTempDir(t);
  const blocker = path.join(dir, 'file');
  fs.writeFileSync(blocker, '');
  t.throws(() => makeSlogger({ slogFile: path.join(blocker, 'x.slog') }), { instanceOf: SlogError, message: /cannot open slog file .*x\.slog/ });
});
