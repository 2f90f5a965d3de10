// The read-only queries tools use: every span of a vat with its stored item
// count, every snapshot row with whether its blob was kept, and loading any
// kept snapshot by position.
import test from 'ava';
import { createHash } from 'node:crypto';
import { computeSpanHash } from '../src/hasher.js';
import { makeSnapStore } from '../src/snapStore.js';
import { makeTranscriptStore } from '../src/transcriptStore.js';
import { chunksOf, makeTestDB, readAll } from './helpers/db.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('describeVatSpans lists historical and current spans with stored item counts', async t => {
  const tdb = makeTestDB('tool-spans');
  t.teardown(tdb.cleanup);
  const keeping = makeTranscriptStore(tdb.ctx, { keepTranscripts: true });
  keeping.initTranscript('v1');
  keeping.addItem('v1', 'a');
  keeping.addItem('v1', 'b');
  await keeping.rolloverSpan('v1'); // [0,2) kept
  const pruning = makeTranscriptStore(tdb.ctx, { keepTranscripts: false });
  pruning.addItem('v1', 'c');
  await pruning.rolloverIncarnation('v1'); // [2,3) items dropped
  pruning.addItem('v1', 'd');

  t.deepEqual(pruning.describeVatSpans('v1'), [
    { startPos: 0, endPos: 2, hash: computeSpanHash(['a', 'b']), incarnation: 0, isCurrent: false, storedItems: 2 },
    { startPos: 2, endPos: 3, hash: computeSpanHash(['c']), incarnation: 0, isCurrent: false, storedItems: 0 },
    { startPos: 3, endPos: 4, hash: computeSpanHash(['d']), incarnation: 1, isCurrent: true, storedItems: 1 },
  ]);
  t.deepEqual(pruning.describeVatSpans('v9'), [], 'a vat without a transcript has no spans');
});

test('describeVatSnapshots and loadSnapshotAt: kept and pruned rows', async t => {
  const tdb = makeTestDB('tool-snaps');
  t.teardown(tdb.cleanup);
  const first = Buffer.from('first heap image '.repeat(100));
  const second = Buffer.from('second heap image '.repeat(100));
  const third = Buffer.from('third heap image '.repeat(100));

  const keeping = makeSnapStore(tdb.ctx, { keepSnapshots: true });
  await keeping.saveSnapshot('v1', 4, chunksOf(first));
  await keeping.saveSnapshot('v1', 13, chunksOf(second)); // snapshot 4 retired, blob kept
  const pruning = makeSnapStore(tdb.ctx, { keepSnapshots: false });
  await pruning.saveSnapshot('v1', 22, chunksOf(third)); // snapshot 13 retired and pruned

  const described = pruning.describeVatSnapshots('v1');
  t.deepEqual(
    described.map(({ snapPos, hash, inUse, kept, uncompressedSize }) => ({ snapPos, hash, inUse, kept, uncompressedSize })),
    [
      { snapPos: 4, hash: sha256(first), inUse: false, kept: true, uncompressedSize: first.length },
      { snapPos: 13, hash: sha256(second), inUse: false, kept: false, uncompressedSize: second.length },
      { snapPos: 22, hash: sha256(third), inUse: true, kept: true, uncompressedSize: third.length },
    ],
  );
  t.true(described.every(row => typeof row.compressedSize === 'number' && row.compressedSize > 0));

  t.deepEqual(await readAll(pruning.loadSnapshotAt('v1', 4)), first, 'a kept historical image loads');
  t.deepEqual(await readAll(pruning.loadSnapshotAt('v1', 22)), third, 'the in-use image loads');
  await t.throwsAsync(readAll(pruning.loadSnapshotAt('v1', 13)), { code: 'NO_SNAPSHOT', message: /at snapPos 13 was pruned/ });
  await t.throwsAsync(readAll(pruning.loadSnapshotAt('v1', 5)), { code: 'NO_SNAPSHOT', message: /no snapshot .* at snapPos 5 was ever recorded/ });
});
