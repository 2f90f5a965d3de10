import test from 'ava';
import { computeSpanHash, initialSpanHash } from '../src/hasher.js';
import { makeTranscriptStore } from '../src/transcriptStore.js';
import { spanRecordJSON } from '../src/transcriptFormats.js';
import { makeTestDB } from './helpers/db.js';

const codeIs = (code: string): object => ({ code });
const rec = (vatID: string, startPos: number, endPos: number, items: string[] | string, isCurrent: 0 | 1, incarnation = 0): string =>
  spanRecordJSON({
    vatID,
    startPos,
    endPos,
    hash: typeof items === 'string' ? items : computeSpanHash(items),
    isCurrent,
    incarnation,
  });

test('init, addItem, bounds, readSpan and the hash vectors', t => {
  const tdb = makeTestDB('ts-basic');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  ts.initTranscript('st1');
  t.deepEqual(ts.getCurrentSpanBounds('st1'), { startPos: 0, endPos: 0, hash: initialSpanHash, incarnation: 0 });
  t.deepEqual([...ts.readSpan('st1')], []);
  t.deepEqual(tdb.takeExports(), [['transcript.st1.current', rec('st1', 0, 0, [], 1)]]);

  ts.addItem('st1', 'zeroth');
  const zeroth = ts.getCurrentSpanBounds('st1');
  t.is(zeroth.endPos, 1);
  t.true(zeroth.hash.startsWith('92d0cf6e'));
  t.deepEqual(tdb.takeExports(), [
    [
      'transcript.st1.current',
      `{"vatID":"st1","startPos":0,"endPos":1,"hash":"${zeroth.hash}","isCurrent":1,"incarnation":0}`,
    ],
  ]);

  ts.initTranscript('st2');
  for (const item of ['oneth', 'twoth', 'threeth', 'fourst']) ts.addItem('st2', item);
  const four = ts.getCurrentSpanBounds('st2');
  t.is(four.endPos, 4);
  t.true(four.hash.startsWith('45de7ae9'));
  t.true(four.hash.endsWith('ebf1'));
  t.deepEqual([...ts.readSpan('st2')], ['oneth', 'twoth', 'threeth', 'fourst']);
  t.deepEqual([...ts.readSpan('st2', 0)], ['oneth', 'twoth', 'threeth', 'fourst']);

  t.throws(() => ts.getCurrentSpanBounds('nope'), codeIs('NO_TRANSCRIPT'));
  t.throws(() => ts.readSpan('nope'), codeIs('NO_TRANSCRIPT'));
  t.throws(() => ts.readSpan('st2', 1), codeIs('NO_SPAN'));
  t.throws(() => ts.readSpan('st2', -1), codeIs('BAD_ARGUMENT'));
  t.throws(() => ts.addItem('nope', 'x'), codeIs('NO_TRANSCRIPT'));
  t.throws(() => ts.addItem('st2', 'two\nlines'), codeIs('BAD_ARGUMENT'));
  t.throws(() => ts.initTranscript('st2'), codeIs('BAD_ARGUMENT'));
  t.throws(() => ts.initTranscript('v.1'), codeIs('BAD_ARGUMENT'));
});

test('long spans read back completely (paged reads)', t => {
  const tdb = makeTestDB('ts-long');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  ts.initTranscript('v1');
  const items = Array.from({ length: 1234 }, (_, i) => JSON.stringify({ d: ['message', i] }));
  for (const item of items) ts.addItem('v1', item);
  const reader = ts.readSpan('v1');
  const first = reader.next();
  // Writing while a reader is suspended must be possible.
  ts.addItem('v1', 'later');
  t.deepEqual([first.value, ...reader], items);
  t.is(ts.getCurrentSpanBounds('v1').hash, computeSpanHash([...items, 'later']));
});

test('rolloverSpan and rolloverIncarnation', async t => {
  const tdb = makeTestDB('ts-rollover');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  ts.initTranscript('v1');
  ts.addItem('v1', 'a');
  ts.addItem('v1', 'b');
  tdb.takeExports();

  t.is(await ts.rolloverSpan('v1'), 0);
  t.deepEqual(ts.getCurrentSpanBounds('v1'), { startPos: 2, endPos: 2, hash: initialSpanHash, incarnation: 0 });
  t.deepEqual(tdb.takeExports(), [
    ['transcript.v1.0', rec('v1', 0, 2, ['a', 'b'], 0)],
    ['transcript.v1.current', rec('v1', 2, 2, [], 1)],
  ]);
  ts.addItem('v1', 'c');
  t.is(ts.getCurrentSpanBounds('v1').hash, computeSpanHash(['c']), 'each span restarts its chain');

  t.is(await ts.rolloverIncarnation('v1'), 1);
  t.deepEqual(ts.getCurrentSpanBounds('v1'), { startPos: 3, endPos: 3, hash: initialSpanHash, incarnation: 1 });
  ts.addItem('v1', 'd');
  t.is(await ts.rolloverSpan('v1'), 1);
  // An empty span cannot be rolled over: nothing changes.
  tdb.takeExports();
  await t.throwsAsync(ts.rolloverIncarnation('v1'), codeIs('BAD_ARGUMENT'));
  t.deepEqual(tdb.takeExports(), []);
  t.deepEqual(ts.getCurrentSpanBounds('v1'), { startPos: 4, endPos: 4, hash: initialSpanHash, incarnation: 1 });

  // Positions are global to the vat; historical spans stay readable.
  t.deepEqual([...ts.readSpan('v1', 0)], ['a', 'b']);
  t.deepEqual([...ts.readSpan('v1', 2)], ['c']);
  t.deepEqual([...ts.readSpan('v1', 3)], ['d']);
  t.deepEqual([...ts.readSpan('v1', 4)], []);
  t.deepEqual(
    [...ts.readFullVatTranscript('v1')].map(row => [row.position, row.item]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ],
  );
  const incarnations = tdb.db
    .prepare('SELECT position, incarnation FROM transcriptItems WHERE vatID = ? ORDER BY position')
    .raw()
    .all('v1');
  t.deepEqual(incarnations, [
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 1],
  ]);
  await t.throwsAsync(ts.rolloverSpan('nope'), codeIs('NO_TRANSCRIPT'));
});

test('isCurrent is stored as 1 or NULL', async t => {
  const tdb = makeTestDB('ts-null');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  ts.initTranscript('v1');
  ts.addItem('v1', 'a');
  await ts.rolloverSpan('v1');
  const rows = tdb.db.prepare('SELECT startPos, isCurrent FROM transcriptSpans ORDER BY startPos').raw().all();
  t.deepEqual(rows, [
    [0, null],
    [1, 1],
  ]);
  const violation = ((): unknown => {
    try {
      tdb.db.prepare("UPDATE transcriptSpans SET isCurrent = 0 WHERE vatID = 'v1'").run();
      return undefined;
    } catch (err) {
      return err;
    }
  })();
  t.is((violation as { code?: string } | undefined)?.code, 'SQLITE_CONSTRAINT_CHECK');
});

test('keepTranscripts: false deletes only the closed span items', async t => {
  const tdb = makeTestDB('ts-nokeep');
  t.teardown(tdb.cleanup);
  const keeping = makeTranscriptStore(tdb.ctx, { keepTranscripts: true });
  keeping.initTranscript('v1');
  keeping.addItem('v1', 'a');
  await keeping.rolloverSpan('v1'); // span [0,1) kept

  const pruning = makeTranscriptStore(tdb.ctx, { keepTranscripts: false });
  pruning.addItem('v1', 'b');
  pruning.addItem('v1', 'c');
  await pruning.rolloverSpan('v1'); // span [1,3) items dropped
  pruning.addItem('v1', 'd');

  t.deepEqual([...pruning.readSpan('v1', 0)], ['a'], 'older leftovers are left alone');
  t.throws(() => [...pruning.readSpan('v1', 1)], codeIs('INCOMPLETE_SPAN'));
  t.deepEqual([...pruning.readSpan('v1')], ['d'], 'the current span is intact');
  // The metadata (and its hash) survives pruning.
  t.deepEqual(tdb.takeExports().find(([key]) => key === 'transcript.v1.1'), [
    'transcript.v1.1',
    rec('v1', 1, 3, ['b', 'c'], 0),
  ]);
});

test('archiveTranscript gets each closed span; DB work is synchronous', async t => {
  const tdb = makeTestDB('ts-archive');
  t.teardown(tdb.cleanup);
  const archived: Array<[string, string]> = [];
  let release: () => void = () => {};
  const gate = new Promise<void>(resolve => {
    release = resolve;
  });
  const ts = makeTranscriptStore(tdb.ctx, {
    keepTranscripts: false,
    archiveTranscript: async (name, entries) => {
      archived.push([name, Buffer.concat(entries).toString()]);
      await gate;
    },
  });
  ts.initTranscript('v1');
  ts.addItem('v1', 'a');
  ts.addItem('v1', '€');
  const rolled = ts.rolloverSpan('v1');
  // Before the hook settles, the new span already exists.
  t.deepEqual(ts.getCurrentSpanBounds('v1'), { startPos: 2, endPos: 2, hash: initialSpanHash, incarnation: 0 });
  let settled = false;
  void rolled.then(() => {
    settled = true;
  });
  await Promise.resolve();
  t.false(settled, 'rolloverSpan waits for the archive hook');
  release();
  t.is(await rolled, 0);
  t.deepEqual(archived, [['transcript.v1.0.2', 'a\n€\n']]);

  ts.addItem('v1', 'z');
  await ts.stopUsingTranscript('v1');
  t.deepEqual(archived[1], ['transcript.v1.2.3', 'z\n']);

  const failing = makeTranscriptStore(tdb.ctx, {
    archiveTranscript: () => {
      throw Error('disk full');
    },
  });
  failing.initTranscript('v2');
  failing.addItem('v2', 'x');
  await t.throwsAsync(failing.rolloverSpan('v2'), { message: 'disk full' });
});

test('stopUsingTranscript is idempotent and retires the current record', async t => {
  const tdb = makeTestDB('ts-stop');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  ts.initTranscript('v1');
  ts.addItem('v1', 'a');
  tdb.takeExports();
  await ts.stopUsingTranscript('v1');
  t.deepEqual(tdb.takeExports(), [
    ['transcript.v1.0', rec('v1', 0, 1, ['a'], 0)],
    ['transcript.v1.current', null],
  ]);
  t.throws(() => ts.getCurrentSpanBounds('v1'), codeIs('NO_TRANSCRIPT'));
  t.deepEqual([...ts.readSpan('v1', 0)], ['a']);
  await ts.stopUsingTranscript('v1');
  await ts.stopUsingTranscript('never-existed');
  t.deepEqual(tdb.takeExports(), []);
});

async function makeFourSpans(ts: ReturnType<typeof makeTranscriptStore>, vatID: string): Promise<void> {
  ts.initTranscript(vatID);
  for (let span = 0; span < 4; span += 1) {
    ts.addItem(vatID, `item ${span}a`);
    ts.addItem(vatID, `item ${span}b`);
    if (span < 3) await ts.rolloverSpan(vatID);
  }
}

test('budgeted deleteVatTranscripts deletes newest spans first', async t => {
  const tdb = makeTestDB('ts-delete');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  await makeFourSpans(ts, 'v1');
  await makeFourSpans(ts, 'v2');
  await ts.stopUsingTranscript('v1');
  tdb.takeExports();
  const spansOf = (vatID: string): number[] =>
    tdb.db.prepare('SELECT startPos FROM transcriptSpans WHERE vatID = ? ORDER BY startPos').pluck().all(vatID) as number[];
  const itemCount = (vatID: string): unknown =>
    tdb.db.prepare('SELECT COUNT(*) FROM transcriptItems WHERE vatID = ?').pluck().get(vatID);

  t.deepEqual(ts.deleteVatTranscripts('v1', 1), { done: false, cleanups: 1 });
  t.deepEqual(spansOf('v1'), [0, 2, 4]);
  t.is(itemCount('v1'), 6);
  t.deepEqual(tdb.takeExports(), [['transcript.v1.6', null]]);

  t.deepEqual(ts.deleteVatTranscripts('v1', 2), { done: false, cleanups: 2 });
  t.deepEqual(spansOf('v1'), [0]);
  t.deepEqual(tdb.takeExports(), [
    ['transcript.v1.2', null],
    ['transcript.v1.4', null],
  ]);
  t.deepEqual(ts.deleteVatTranscripts('v1', 5), { done: true, cleanups: 1 });
  t.is(itemCount('v1'), 0);
  t.deepEqual(tdb.takeExports(), [['transcript.v1.0', null]]);
  t.deepEqual(ts.deleteVatTranscripts('v1', 5), { done: true, cleanups: 0 }, 'safe to call after done');

  // Without stopUsingTranscript first, the current span goes first.
  t.deepEqual(ts.deleteVatTranscripts('v2', 1), { done: false, cleanups: 1 });
  t.deepEqual(tdb.takeExports(), [['transcript.v2.current', null]]);
  t.throws(() => ts.getCurrentSpanBounds('v2'), codeIs('NO_TRANSCRIPT'));

  t.throws(() => ts.deleteVatTranscripts('v2', 0), codeIs('BAD_ARGUMENT'));
  t.throws(() => ts.deleteVatTranscripts('v2', 1.5), codeIs('BAD_ARGUMENT'));
});

test('unbudgeted deleteVatTranscripts removes everything at once', async t => {
  const tdb = makeTestDB('ts-delete-all');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  await makeFourSpans(ts, 'v1');
  await makeFourSpans(ts, 'v2');
  tdb.takeExports();
  t.deepEqual(ts.deleteVatTranscripts('v1'), { done: true, cleanups: 4 });
  t.deepEqual(tdb.takeExports(), [
    ['transcript.v1.0', null],
    ['transcript.v1.2', null],
    ['transcript.v1.4', null],
    ['transcript.v1.current', null],
  ]);
  t.deepEqual(ts.dumpTranscripts(true), {
    v2: Object.fromEntries(
      ['0a', '0b', '1a', '1b', '2a', '2b', '3a', '3b'].map((suffix, position) => [position, `item ${suffix}`]),
    ),
  });
  t.deepEqual(ts.dumpTranscripts(false), { v2: { 6: 'item 3a', 7: 'item 3b' } });
});
