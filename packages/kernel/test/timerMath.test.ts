// The timer device's and timer vat's pure helpers (vats/timer-math.ts).
import test from 'ava';
import * as math from '../vats/timer/timer-math.js';
import type { Deadline } from '../vats/timer/timer-math.js';

test('toNat accepts non-negative bigints and safe integers only', t => {
  t.is(math.toNat(5, 'x'), 5n);
  t.is(math.toNat(7n, 'x'), 7n);
  t.throws(() => math.toNat(-1, 'poll(time)'), { message: 'poll(time) must be a non-negative integer, got -1' });
  t.throws(() => math.toNat(1.5, 'x'), { instanceOf: RangeError });
  t.throws(() => math.toNat(-3n, 'x'), { message: /got -3/ });
  t.throws(() => math.toNat('3', 'x'), { message: /got string/ });
});

test('measureInterval places now on the start + k*interval grid', t => {
  // start 10, interval 10: before the start, on a grid point, between points
  t.deepEqual(math.measureInterval(10n, 10n, 0n), { next: { time: 10n, count: 1n } });
  t.deepEqual(math.measureInterval(10n, 10n, 9n), { next: { time: 10n, count: 1n } });
  t.deepEqual(math.measureInterval(10n, 10n, 10n), { latest: { time: 10n, count: 1n }, next: { time: 20n, count: 2n } });
  t.deepEqual(math.measureInterval(10n, 10n, 19n), { latest: { time: 10n, count: 1n }, next: { time: 20n, count: 2n } });
  t.deepEqual(math.measureInterval(10n, 10n, 30n), { latest: { time: 30n, count: 3n }, next: { time: 40n, count: 4n } });
  // exact for values past 2**53, where float math would drift
  const big = 2n ** 60n;
  t.deepEqual(math.measureInterval(0n, 3n, big).next.time % 3n, 0n);
  t.throws(() => math.measureInterval(0n, 0n, 5n), { message: /interval must be positive/ });
});

test('nextRepeaterTime is strictly after, never before the start', t => {
  const repeater = { startTime: 12n, interval: 5n };
  t.is(math.nextRepeaterTime(repeater, 0n), 12n);
  t.is(math.nextRepeaterTime(repeater, 12n), 17n);
  t.is(math.nextRepeaterTime(repeater, 16n), 17n);
  t.is(math.nextRepeaterTime(repeater, 17n), 22n);
});

test('deadlines stay sorted, one entry per time, in insertion order', t => {
  let deadlines: Deadline<{ handler: string; index?: number }>[] = [];
  deadlines = math.insertDeadline(deadlines, 30n, { handler: 'a' });
  deadlines = math.insertDeadline(deadlines, 10n, { handler: 'b' });
  deadlines = math.insertDeadline(deadlines, 30n, { handler: 'c', index: 0 });
  deadlines = math.insertDeadline(deadlines, 20n, { handler: 'a' });
  t.deepEqual(deadlines, [
    { time: 10n, handlers: [{ handler: 'b' }] },
    { time: 20n, handlers: [{ handler: 'a' }] },
    { time: 30n, handlers: [{ handler: 'a' }, { handler: 'c', index: 0 }] },
  ]);

  const { due, remaining } = math.dueDeadlines(deadlines, 20n);
  t.deepEqual(
    due.map(d => d.time),
    [10n, 20n],
  );
  t.deepEqual(
    remaining.map(d => d.time),
    [30n],
  );
  t.deepEqual(math.dueDeadlines(deadlines, 5n).due, []);
  t.is(math.dueDeadlines(deadlines, 99n).remaining.length, 0);

  const removed = math.removeHandler(deadlines, 'a');
  t.deepEqual(removed.times, [20n, 30n]);
  t.deepEqual(removed.remaining, [
    { time: 10n, handlers: [{ handler: 'b' }] },
    { time: 30n, handlers: [{ handler: 'c', index: 0 }] },
  ]);
  t.deepEqual(math.removeHandler(deadlines, 'nobody').times, []);
  // the input is never modified
  t.is(deadlines.length, 3);
});
