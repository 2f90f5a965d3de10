// Unit tests of the differential test's normalization and comparison: the
// normalizations must remove only what they claim to, and refuse when they
// could hide a real difference.
import test from 'ava';
import {
  compareSides,
  firstDifference,
  normalizeEntry,
  stripBootstrapArgs,
  type NormalizedEntry,
  type SideTranscripts,
} from './differential/compare.js';
import { parseTranscriptItem } from './differential/transcripts.js';

const bootstrapBody = (vats: Record<string, string>, devices: Record<string, string>): string =>
  `#${JSON.stringify(['bootstrap', [vats, devices]])}`;

test('stripBootstrapArgs removes trailing built-in slots only', t => {
  const methargs = {
    body: bootstrapBody(
      { alice: '$0.Alleged: root', bob: '$1.Alleged: root', bootstrap: '$2.Alleged: root', timer: '$3.Alleged: root', vatAdmin: '$4.Alleged: root' },
      { vatAdmin: '$5.Alleged: device' },
    ),
    slots: ['o-50', 'o-51', 'o+0', 'o-52', 'o-53', 'd-70'],
  };
  const stripped = stripBootstrapArgs(methargs, ['timer', 'vatAdmin'], ['vatAdmin']);
  t.deepEqual(stripped, {
    body: bootstrapBody({ alice: '$0.Alleged: root', bob: '$1.Alleged: root', bootstrap: '$2.Alleged: root' }, {}),
    slots: ['o-50', 'o-51', 'o+0'],
  });
});

test('stripBootstrapArgs refuses a built-in slot that is not trailing', t => {
  const methargs = {
    body: bootstrapBody({ alice: '$0.Alleged: root', vatAdmin: '$1.Alleged: root', zed: '$2.Alleged: root' }, {}),
    slots: ['o-50', 'o-51', 'o-52'],
  };
  t.throws(() => stripBootstrapArgs(methargs, ['vatAdmin'], []), { message: /not a trailing slot/ });
});

test('stripBootstrapArgs refuses non-bootstrap data', t => {
  t.throws(() => stripBootstrapArgs({ body: '#["run",[]]', slots: [] }, ['vatAdmin'], []), {
    message: /not a bootstrap message/,
  });
});

test('normalizeEntry keeps the vat bundle and worker type, drops worker bundles and snapshot hashes', t => {
  const init = normalizeEntry({
    pos: 0,
    d: ['initialize-worker', { source: { bundleID: 'b1-abc' }, workerOptions: { type: 'xsnap', bundleIDs: ['b0-1', 'b0-2'] } }],
    sc: [],
  });
  t.deepEqual(init.d, ['initialize-worker', { source: { bundleID: 'b1-abc' }, workerOptions: { type: 'xsnap' } }]);
  const load = normalizeEntry({ pos: 5, d: ['load-snapshot', { snapshotID: 'ff' }], sc: [] });
  t.deepEqual(load.d, ['load-snapshot']);
  const message: NormalizedEntry = { pos: 6, d: ['message', 'o+0', { methargs: { body: '#[]', slots: [] }, result: null }], sc: [] };
  t.deepEqual(normalizeEntry(message), message);
});

test('firstDifference reports length, delivery and syscall differences', t => {
  const entry = (pos: number, method: string, syscalls: unknown[] = []): NormalizedEntry => ({
    pos,
    d: ['message', 'o+0', { methargs: { body: `#["${method}",[]]`, slots: [] }, result: null }],
    sc: syscalls.map(s => ({ s, r: ['ok', null] })),
  });
  t.is(firstDifference('v', [entry(0, 'a')], [entry(0, 'a')]), undefined);
  t.regex(firstDifference('v', [entry(0, 'a')], [entry(0, 'a'), entry(1, 'b')])?.reason ?? '', /length differs/);
  t.regex(firstDifference('v', [entry(0, 'a')], [entry(0, 'b')])?.reason ?? '', /delivery d differs/);
  t.regex(
    firstDifference('v', [entry(0, 'a', [['subscribe', 'p+5']])], [entry(0, 'a', [['subscribe', 'p+6']])])?.reason ?? '',
    /syscall 0 differs/,
  );
  t.regex(firstDifference('v', [entry(0, 'a', [])], [entry(0, 'a', [['subscribe', 'p+5']])])?.reason ?? '', /syscall count/);
});

test('compareSides strips only the built-ins ours lacks, and notices missing vats', t => {
  const boot = (withBuiltins: boolean): NormalizedEntry => ({
    pos: 6,
    d: [
      'message',
      'o+0',
      {
        methargs: withBuiltins
          ? { body: bootstrapBody({ alice: '$0.Alleged: root', vatAdmin: '$1.Alleged: root' }, { vatAdmin: '$2.Alleged: device' }), slots: ['o-50', 'o-51', 'd-70'] }
          : { body: bootstrapBody({ alice: '$0.Alleged: root' }, {}), slots: ['o-50'] },
        result: 'p-60',
      },
    ],
    sc: [],
  });
  const side = (withBuiltins: boolean, vats: string[]): SideTranscripts => ({
    builtinVats: withBuiltins ? ['vatAdmin'] : [],
    builtinDevices: withBuiltins ? ['vatAdmin'] : [],
    bootstrapVat: 'bootstrap',
    vats: Object.fromEntries(vats.map(name => [name, { vatID: 'v1', entries: name === 'bootstrap' ? [boot(withBuiltins)] : [] }])),
  });
  t.deepEqual(compareSides(side(false, ['bootstrap']), side(true, ['bootstrap'])), []);
  // Once ours has the built-ins too, nothing is stripped and both must carry them.
  t.deepEqual(compareSides(side(true, ['bootstrap']), side(true, ['bootstrap'])), []);
  t.is(compareSides(side(true, ['bootstrap']), side(false, ['bootstrap'])).length, 1);
  t.deepEqual(
    compareSides(side(false, ['bootstrap']), side(true, ['bootstrap', 'bob'])).map(d => d.reason),
    ['vat present only in reference'],
  );
});

test('parseTranscriptItem keeps d and sc and drops results', t => {
  const entry = parseTranscriptItem(
    3,
    JSON.stringify({ d: ['bringOutYourDead'], sc: [{ s: ['dropImports', ['o-50']], r: ['ok', null] }], r: { status: 'ok', metering: { computrons: 7 } } }),
  );
  t.deepEqual(entry, { pos: 3, d: ['bringOutYourDead'], sc: [{ s: ['dropImports', ['o-50']], r: ['ok', null] }] });
  t.throws(() => parseTranscriptItem(0, '{"r":{}}'), { message: /lacks d\/sc/ });
});
