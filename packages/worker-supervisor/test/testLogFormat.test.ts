// testLog's rendering (consoleFormat.ts): the line format of SwingSet's
// kernel log, for both sides of the worker boundary.
import test from 'ava';
import { joinTestLogLine, renderTestLogArg } from '../src/consoleFormat.js';

test('strings pass through whole, even long ones', t => {
  const long = 'z'.repeat(60);
  t.is(renderTestLogArg(long, ''), long);
  t.is(renderTestLogArg('', 'null'), '');
});

test('other values render as JSON with bigints as numbers and long nested strings cut', t => {
  t.is(renderTestLogArg(7, ''), '7');
  t.is(renderTestLogArg(7n, ''), '7');
  t.is(renderTestLogArg(null, ''), 'null');
  t.is(renderTestLogArg({ a: [1n, 'short'] }, ''), '{"a":[1,"short"]}');
  const nested = `${'a'.repeat(15)}${'m'.repeat(10)}${'b'.repeat(15)}`; // exactly 40
  t.is(renderTestLogArg([nested], ''), `["${'a'.repeat(15)}...${'b'.repeat(15)}"]`);
  t.is(renderTestLogArg(['c'.repeat(39)], ''), `["${'c'.repeat(39)}"]`);
});

test('values with no JSON form: empty in the kernel realm, null across the boundary', t => {
  t.is(renderTestLogArg(undefined, ''), '');
  t.is(renderTestLogArg(undefined, 'null'), 'null');
  t.is(renderTestLogArg(() => 1, 'null'), 'null');
  t.is(renderTestLogArg([undefined], ''), '[null]');
});

test('cycles throw (into the calling vat, as in SwingSet)', t => {
  const cycle: { self?: unknown } = {};
  cycle.self = cycle;
  t.throws(() => renderTestLogArg(cycle, ''));
});

test('a line is the rendered arguments with no separator', t => {
  t.is(joinTestLogLine(['a', '1', 'b']), 'a1b');
  t.is(joinTestLogLine([]), '');
});
