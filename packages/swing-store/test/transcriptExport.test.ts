import test from 'ava';
import { computeSpanHash } from '../src/hasher.js';
import { makeTranscriptStore } from '../src/transcriptStore.js';
import { spanRecordJSON } from '../src/transcriptFormats.js';
import type { ArtifactMode, TranscriptStoreInternal } from '../src/types.js';
import { chunksOf, makeTestDB, readAll } from './helpers/db.js';
import type { TestDB } from './helpers/db.js';

const codeIs = (code: string): object => ({ code });

/**
 * v1: incarnation 0 spans [0,2) [2,4), incarnation 1 spans [4,5) and current [5,7).
 * v2: one current span [0,1).
 * v3: terminated (stopUsingTranscript) with spans [0,1) [1,2).
 */
async function populateSource(ts: TranscriptStoreInternal): Promise<void> {
  ts.initTranscript('v1');
  ts.addItem('v1', 'start-worker');
  ts.addItem('v1', 'd1');
  await ts.rolloverSpan('v1');
  ts.addItem('v1', 'load-snapshot');
  ts.addItem('v1', 'd€');
  await ts.rolloverIncarnation('v1');
  ts.addItem('v1', 'start-worker');
  await ts.rolloverSpan('v1');
  ts.addItem('v1', 'load-snapshot');
  ts.addItem('v1', 'd5');
  ts.initTranscript('v2');
  ts.addItem('v2', 'only');
  ts.initTranscript('v3');
  ts.addItem('v3', 'x');
  await ts.rolloverSpan('v3');
  ts.addItem('v3', 'y');
  await ts.stopUsingTranscript('v3');
}

async function makeSource(t: { teardown(fn: () => void): void }, label: string): Promise<{ tdb: TestDB; ts: TranscriptStoreInternal }> {
  const tdb = makeTestDB(label);
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  await populateSource(ts);
  return { tdb, ts };
}

test('export records: every span, keyed by current-ness, exact JSON', async t => {
  const { ts } = await makeSource(t, 'tx-records');
  const records = [...ts.getExportRecords(true)];
  t.deepEqual(
    records.map(([key]) => key),
    [
      'transcript.v1.0',
      'transcript.v1.2',
      'transcript.v1.4',
      'transcript.v1.current',
      'transcript.v2.current',
      'transcript.v3.0',
      'transcript.v3.1',
    ],
  );
  t.deepEqual(records[2], [
    'transcript.v1.4',
    `{"vatID":"v1","startPos":4,"endPos":5,"hash":"${computeSpanHash(['start-worker'])}","isCurrent":0,"incarnation":1}`,
  ]);
  t.deepEqual(records[3], [
    'transcript.v1.current',
    `{"vatID":"v1","startPos":5,"endPos":7,"hash":"${computeSpanHash(['load-snapshot', 'd5'])}","isCurrent":1,"incarnation":1}`,
  ]);
  t.deepEqual(
    [...ts.getExportRecords(false)].map(([key]) => key),
    ['transcript.v1.current', 'transcript.v2.current'],
  );
});

test('artifact names per mode', async t => {
  const { tdb, ts } = await makeSource(t, 'tx-names');
  const names = (mode: ArtifactMode): string[] => [...ts.getArtifactNames(mode)];
  t.deepEqual(names('operational'), ['transcript.v1.5.7', 'transcript.v2.0.1']);
  t.deepEqual(names('replay'), ['transcript.v1.4.5', 'transcript.v1.5.7', 'transcript.v2.0.1']);
  t.deepEqual(names('archival'), [
    'transcript.v1.0.2',
    'transcript.v1.2.4',
    'transcript.v1.4.5',
    'transcript.v1.5.7',
    'transcript.v2.0.1',
  ]);
  // debug: terminated vats too, but only complete spans.
  tdb.db.prepare("DELETE FROM transcriptItems WHERE vatID = 'v1' AND position = 2").run();
  t.deepEqual(names('debug'), [
    'transcript.v1.0.2',
    'transcript.v1.4.5',
    'transcript.v1.5.7',
    'transcript.v2.0.1',
    'transcript.v3.0.1',
    'transcript.v3.1.2',
  ]);
  t.throws(() => names('bogus' as ArtifactMode), codeIs('BAD_MODE'));
});

test('exportSpan yields newline-terminated items', async t => {
  const { ts } = await makeSource(t, 'tx-bytes');
  t.is((await readAll(ts.exportSpan('transcript.v1.2.4'))).toString('utf8'), 'load-snapshot\nd€\n');
  t.is((await readAll(ts.exportSpan('transcript.v3.1.2'))).toString('utf8'), 'y\n');
  await t.throwsAsync(readAll(ts.exportSpan('transcript.v1.2.5')), codeIs('MISSING_ARTIFACT'));
  await t.throwsAsync(readAll(ts.exportSpan('transcript.v9.0.1')), codeIs('MISSING_ARTIFACT'));
  await t.throwsAsync(readAll(ts.exportSpan('transcript.v1.2')), codeIs('BAD_ARTIFACT_NAME'));
  await t.throwsAsync(readAll(ts.exportSpan('snapshot.v1.2.4')), codeIs('BAD_ARTIFACT_NAME'));
});

/** Copies records and the mode's artifacts from `source` into a fresh store. */
async function copyTranscripts(
  t: { teardown(fn: () => void): void },
  source: TranscriptStoreInternal,
  mode: ArtifactMode,
  chunkSize = 3,
): Promise<{ tdb: TestDB; ts: TranscriptStoreInternal }> {
  const tdb = makeTestDB(`tx-import-${mode}`);
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  for (const [key, value] of source.getExportRecords(true)) ts.importTranscriptSpanRecord(key, value);
  // Every span is offered; the mode decides which ones are stored.
  for (const name of source.getArtifactNames('debug')) {
    const bytes = await readAll(source.exportSpan(name));
    await ts.populateTranscriptSpan(name, chunksOf(bytes, chunkSize), mode);
  }
  return { tdb, ts };
}

test('import round trip per mode, with assertComplete', async t => {
  const { ts: source } = await makeSource(t, 'tx-roundtrip');
  const sourceRecords = [...source.getExportRecords(true)];

  for (const mode of ['operational', 'replay', 'archival', 'debug'] as const) {
    // 1-byte chunks split the 3-byte '€' across chunks.
    const { ts } = await copyTranscripts(t, source, mode, mode === 'archival' ? 1 : 5);
    t.deepEqual([...ts.getExportRecords(true)], sourceRecords, `${mode}: metadata copied exactly`);
    t.deepEqual(ts.getCurrentSpanBounds('v1'), source.getCurrentSpanBounds('v1'));
    ts.assertComplete('operational');
    const positions = (vatID: string): number[] => [...ts.readFullVatTranscript(vatID)].map(row => row.position);
    if (mode === 'operational') {
      t.deepEqual(positions('v1'), [5, 6]);
      t.throws(() => ts.assertComplete('replay'), codeIs('INCOMPLETE'));
      t.throws(() => ts.assertComplete('archival'), codeIs('INCOMPLETE'));
    } else if (mode === 'replay') {
      t.deepEqual(positions('v1'), [4, 5, 6]);
      ts.assertComplete('replay');
      t.throws(() => ts.assertComplete('archival'), codeIs('INCOMPLETE'));
    } else {
      t.deepEqual(positions('v1'), [0, 1, 2, 3, 4, 5, 6]);
      t.deepEqual([...ts.readSpan('v1', 2)], ['load-snapshot', 'd€']);
      ts.assertComplete('replay');
      ts.assertComplete('archival');
    }
    // archival/debug accept any span offered (an archival exporter would not
    // offer a terminated vat's spans); the others ignore them.
    t.deepEqual(positions('v3'), mode === 'archival' || mode === 'debug' ? [0, 1] : []);
    // Imported items keep their span's incarnation, so the vat can continue.
    ts.addItem('v1', 'd7');
    t.is(ts.getCurrentSpanBounds('v1').hash, computeSpanHash(['load-snapshot', 'd5', 'd7']));
  }
  t.throws(() => source.assertComplete('debug' as 'operational'), codeIs('BAD_MODE'));
});

test('populateTranscriptSpan rejects bad artifacts', async t => {
  const tdb = makeTestDB('tx-bad-artifacts');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  const hash = computeSpanHash(['a', 'b']);
  ts.importTranscriptSpanRecord('transcript.v1.current', spanRecordJSON({ vatID: 'v1', startPos: 0, endPos: 2, hash, isCurrent: 1, incarnation: 0 }));
  const feed = (name: string, text: string): Promise<void> =>
    ts.populateTranscriptSpan(name, chunksOf(Buffer.from(text)), 'operational');
  const clear = (): void => {
    tdb.db.prepare('DELETE FROM transcriptItems').run();
  };

  await t.throwsAsync(feed('transcript.v1.0.2', 'a\nB\n'), codeIs('ARTIFACT_HASH_MISMATCH'));
  clear();
  await t.throwsAsync(feed('transcript.v1.0.2', 'a\n'), codeIs('TRUNCATED_ARTIFACT'));
  clear();
  await t.throwsAsync(feed('transcript.v1.0.2', 'a\nb\nc\n'), codeIs('ARTIFACT_HASH_MISMATCH'));
  clear();
  await t.throwsAsync(feed('transcript.v1.0.3', 'a\nb\n'), codeIs('BAD_ARTIFACT_NAME'));
  await t.throwsAsync(feed('transcript.v2.0.2', 'a\nb\n'), codeIs('NO_SPAN'));
  await t.throwsAsync(feed('transcript.v1.x.2', 'a\nb\n'), codeIs('BAD_ARTIFACT_NAME'));
  await t.throwsAsync(ts.populateTranscriptSpan('transcript.v1.0.2', chunksOf(Buffer.from('a\nb\n')), 'fast' as ArtifactMode), codeIs('BAD_MODE'));
  clear();
  await feed('transcript.v1.0.2', 'a\nb');
  t.deepEqual([...ts.readSpan('v1')], ['a', 'b'], 'a final line without newline still counts');
  await t.throwsAsync(feed('transcript.v1.0.2', 'a\nb\n'), codeIs('DUPLICATE_RECORD'));
});

test('importTranscriptSpanRecord validates key against record', t => {
  const tdb = makeTestDB('tx-bad-records');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  const hash = computeSpanHash(['a']);
  const good = { vatID: 'v1', startPos: 3, endPos: 4, hash, isCurrent: 0 as const, incarnation: 0 };
  const bad = (key: string, value: unknown): void => {
    t.throws(() => ts.importTranscriptSpanRecord(key, typeof value === 'string' ? value : JSON.stringify(value)), codeIs('BAD_EXPORT_DATA'), key);
  };
  bad('transcript.v1.current', good); // current-ness mismatch
  bad('transcript.v1.4', good); // startPos mismatch
  bad('transcript.v2.3', good); // vatID mismatch
  bad('transcript.v1.3', { ...good, hash: undefined });
  bad('transcript.v1.3', { ...good, incarnation: undefined });
  bad('transcript.v1.3', { ...good, isCurrent: undefined });
  bad('transcript.v1.3', { ...good, endPos: 2 });
  bad('transcript.v1.3', 'not json');
  bad('transcript.v1', good);
  bad('transcript.v1.3.4', good);
  ts.importTranscriptSpanRecord('transcript.v1.3', JSON.stringify(good));
  t.throws(
    () => ts.importTranscriptSpanRecord('transcript.v1.3', JSON.stringify({ ...good, endPos: 5 })),
    codeIs('DUPLICATE_RECORD'),
  );
  ts.importTranscriptSpanRecord('transcript.v1.current', JSON.stringify({ ...good, startPos: 4, endPos: 4, isCurrent: 1 }));
  t.throws(
    () => ts.importTranscriptSpanRecord('transcript.v1.current', JSON.stringify({ ...good, startPos: 5, endPos: 5, isCurrent: 1 })),
    codeIs('DUPLICATE_RECORD'),
    'only one current span per vat',
  );
  t.deepEqual(tdb.takeExports(), [], 'imports are not re-exported');
});

test('repairTranscriptSpanRecord adds missing rows and rejects mismatches', async t => {
  const { ts: source } = await makeSource(t, 'tx-repair-src');
  const tdb = makeTestDB('tx-repair');
  t.teardown(tdb.cleanup);
  const ts = makeTranscriptStore(tdb.ctx);
  const records = [...source.getExportRecords(true)];
  // The damaged store knows only the current spans (agoric-sdk #8025).
  for (const [key, value] of records) {
    if (key.endsWith('.current')) ts.importTranscriptSpanRecord(key, value);
  }
  for (const [key, value] of records) ts.repairTranscriptSpanRecord(key, value);
  t.deepEqual([...ts.getExportRecords(true)], records);

  const [key, value] = records[0] as [string, string];
  const wrong = JSON.parse(value) as Record<string, unknown>;
  for (const change of [{ hash: computeSpanHash(['x']) }, { incarnation: 7 }, { endPos: 3 }]) {
    t.throws(() => ts.repairTranscriptSpanRecord(key, JSON.stringify({ ...wrong, ...change })), codeIs('BAD_EXPORT_DATA'));
  }
});
