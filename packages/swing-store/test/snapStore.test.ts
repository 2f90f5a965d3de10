import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SwingStoreError } from '../src/errors.js';
import { makeSnapStore } from '../src/snapStore.js';
import type { SnapStoreOptions } from '../src/snapStore.js';
import type { SnapStoreInternal } from '../src/types.js';
import { chunksOf, makeTestDB, readAll } from './helpers/db.js';
import type { TestDB } from './helpers/db.js';

const REFERENCE_HASH = 'e7dee7266896538616b630a5da40a90e007726a383e005a9c9c5dd0c2daf9329';

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Deterministic, partly compressible test data (no Math.random). */
function heapLike(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Every other 256-byte block is a run, like zeroed heap pages.
    out[i] = (i >> 8) % 2 === 0 ? x & 0xff : 0;
  }
  return out;
}

function setup(t: ExecutionContext, options: Partial<SnapStoreOptions> = {}): { tdb: TestDB; snapStore: SnapStoreInternal } {
  const tdb = makeTestDB('snapstore');
  t.teardown(() => tdb.cleanup());
  const snapStore = makeSnapStore(tdb.ctx, { keepSnapshots: false, ...options });
  return { tdb, snapStore };
}

const record = (vatID: string, snapPos: number, hash: string, inUse: 0 | 1): string =>
  `{"vatID":"${vatID}","snapPos":${snapPos},"hash":"${hash}","inUse":${inUse}}`;

type Row = { vatID: string; snapPos: number; inUse: number | null; compressedSnapshot: Buffer | null };
const rows = (tdb: TestDB): Row[] =>
  tdb.db
    .prepare<[], Row>('SELECT vatID, snapPos, inUse, compressedSnapshot FROM snapshots ORDER BY vatID, snapPos')
    .all();

async function expectCode(t: ExecutionContext, run: () => unknown, code: string, ...mentions: string[]): Promise<void> {
  const error = await t.throwsAsync(async () => {
    await run();
  });
  t.true(error instanceof SwingStoreError, `expected SwingStoreError, got ${String(error)}`);
  t.is((error as SwingStoreError).code, code as SwingStoreError['code'], error?.message);
  for (const text of mentions) t.true(error?.message.includes(text), `${JSON.stringify(text)} not in: ${error?.message}`);
}

test('reference vector: "snapshot data" hashes to e7dee726…9329; export notes are exact', async (t) => {
  const { tdb, snapStore } = setup(t);
  const result = await snapStore.saveSnapshot('v1', 5, chunksOf(bytes('snapshot data')));
  t.is(result.hash, REFERENCE_HASH);
  t.is(result.uncompressedSize, 13);
  t.is(result.archiveWriteSeconds, undefined);
  t.true(result.compressSeconds >= 0 && result.dbSaveSeconds >= 0);
  t.deepEqual(snapStore.getSnapshotInfo('v1'), {
    snapPos: 5,
    hash: REFERENCE_HASH,
    uncompressedSize: 13,
    compressedSize: result.compressedSize,
  });
  t.is(snapStore.getSnapshotInfo('v2'), undefined);
  t.deepEqual(tdb.takeExports(), [
    ['snapshot.v1.5', record('v1', 5, REFERENCE_HASH, 1)],
    ['snapshot.v1.current', 'snapshot.v1.5'],
  ]);
  t.true(tdb.db.inTransaction, 'saveSnapshot writes inside the txn opened by ensureTxn');
});

test('save/load round-trip stores zlib-default gzip and streams the image back', async (t) => {
  const { tdb, snapStore } = setup(t);
  const image = heapLike(3 * 1024 * 1024 + 17, 7);
  const result = await snapStore.saveSnapshot('v1', 3, chunksOf(image, 100_000));
  t.is(result.hash, sha256(image));
  t.is(result.uncompressedSize, image.length);

  const [row] = rows(tdb);
  const blob = row?.compressedSnapshot;
  t.truthy(blob);
  t.is(blob?.length, result.compressedSize);
  t.true(result.compressedSize < image.length);
  // Same bytes as a one-shot gzip with default options: level 6, no flushes.
  t.true(blob?.equals(gzipSync(image)));

  const loaded = await readAll(snapStore.loadSnapshot('v1'));
  t.true(loaded.equals(image));
  // The exporter's artifact is the uncompressed image too.
  t.true((await readAll(snapStore.exportSnapshot('snapshot.v1.3'))).equals(image));
});

test('one in-use snapshot per vat; the previous blob is dropped unless keepSnapshots', async (t) => {
  for (const keepSnapshots of [false, true]) {
    const { tdb, snapStore } = setup(t, { keepSnapshots });
    const first = await snapStore.saveSnapshot('v1', 5, chunksOf(bytes('first')));
    await snapStore.saveSnapshot('v2', 1, chunksOf(bytes('other vat')));
    tdb.takeExports();
    const second = await snapStore.saveSnapshot('v1', 10, chunksOf(bytes('second')));
    t.deepEqual(tdb.takeExports(), [
      ['snapshot.v1.10', record('v1', 10, second.hash, 1)],
      ['snapshot.v1.5', record('v1', 5, first.hash, 0)],
      ['snapshot.v1.current', 'snapshot.v1.10'],
    ]);
    const byKey = Object.fromEntries(rows(tdb).map((r) => [`${r.vatID}.${r.snapPos}`, r]));
    t.is(byKey['v1.5']?.inUse, null, 'not-in-use is SQL NULL, never 0');
    t.is(byKey['v1.10']?.inUse, 1);
    t.is(byKey['v2.1']?.inUse, 1);
    t.is(byKey['v1.5']?.compressedSnapshot === null, !keepSnapshots);
    t.is((await readAll(snapStore.loadSnapshot('v1'))).toString(), 'second');

    // Export records: in-use rows (each followed by its pointer), then history.
    t.deepEqual(
      [...snapStore.getExportRecords(true)],
      [
        ['snapshot.v1.10', record('v1', 10, second.hash, 1)],
        ['snapshot.v1.current', 'snapshot.v1.10'],
        ['snapshot.v2.1', record('v2', 1, sha256('other vat'), 1)],
        ['snapshot.v2.current', 'snapshot.v2.1'],
        ['snapshot.v1.5', record('v1', 5, first.hash, 0)],
      ],
    );
    t.is([...snapStore.getExportRecords(false)].length, 4);
    t.deepEqual([...snapStore.getArtifactNames('operational')], ['snapshot.v1.10', 'snapshot.v2.1']);
    t.deepEqual([...snapStore.getArtifactNames('archival')], ['snapshot.v1.10', 'snapshot.v2.1']);
    t.deepEqual(
      [...snapStore.getArtifactNames('debug')],
      keepSnapshots ? ['snapshot.v1.10', 'snapshot.v2.1', 'snapshot.v1.5'] : ['snapshot.v1.10', 'snapshot.v2.1'],
    );
    t.true(snapStore.hasHash('v1', first.hash), 'historical metadata is kept either way');
    t.deepEqual(
      [...snapStore.listAllSnapshots()].map((s) => [s.vatID, s.snapPos, s.inUse]),
      [
        ['v1', 5, 0],
        ['v1', 10, 1],
        ['v2', 1, 1],
      ],
    );
  }
});

test('stopUsingLastSnapshot is idempotent and makes the vat unloadable', async (t) => {
  const { tdb, snapStore } = setup(t);
  const { hash } = await snapStore.saveSnapshot('v1', 4, chunksOf(bytes('image')));
  tdb.takeExports();
  snapStore.stopUsingLastSnapshot('v1');
  t.deepEqual(tdb.takeExports(), [
    ['snapshot.v1.4', record('v1', 4, hash, 0)],
    ['snapshot.v1.current', null],
  ]);
  snapStore.stopUsingLastSnapshot('v1');
  snapStore.stopUsingLastSnapshot('never-had-one');
  t.deepEqual(tdb.takeExports(), []);
  t.deepEqual(rows(tdb).map((r) => [r.inUse, r.compressedSnapshot]), [[null, null]]);
  t.is(snapStore.getSnapshotInfo('v1'), undefined);
  await expectCode(t, () => readAll(snapStore.loadSnapshot('v1')), 'NO_SNAPSHOT', 'no snapshot available for vat "v1"');
  await expectCode(t, () => readAll(snapStore.loadSnapshot('v9')), 'NO_SNAPSHOT', '"v9"');
});

test('deleteVatSnapshots: budgeted deletion goes newest first and reports {done, cleanups}', async (t) => {
  const { tdb, snapStore } = setup(t, { keepSnapshots: true });
  for (const pos of [2, 4, 6]) await snapStore.saveSnapshot('v1', pos, chunksOf(bytes(`at ${pos}`)));
  await snapStore.saveSnapshot('v2', 3, chunksOf(bytes('bystander')));
  tdb.takeExports();

  t.throws(() => snapStore.deleteVatSnapshots('v1', 0), { instanceOf: SwingStoreError, message: /budget/ });
  t.deepEqual(snapStore.deleteVatSnapshots('v1', 2), { done: false, cleanups: 2 });
  t.deepEqual(tdb.takeExports(), [
    ['snapshot.v1.4', null],
    ['snapshot.v1.6', null],
    ['snapshot.v1.current', null],
  ]);
  t.deepEqual(rows(tdb).map((r) => `${r.vatID}.${r.snapPos}`), ['v1.2', 'v2.3']);

  t.deepEqual(snapStore.deleteVatSnapshots('v1', 2), { done: true, cleanups: 1 });
  t.deepEqual(tdb.takeExports(), [['snapshot.v1.2', null]], 'no in-use row, so no pointer deletion');
  t.deepEqual(snapStore.deleteVatSnapshots('v1', 2), { done: true, cleanups: 0 });

  // Unbounded deletion removes everything, pointer included.
  t.deepEqual(snapStore.deleteVatSnapshots('v2'), { done: true, cleanups: 1 });
  t.deepEqual(tdb.takeExports(), [
    ['snapshot.v2.3', null],
    ['snapshot.v2.current', null],
  ]);
  t.deepEqual(rows(tdb), []);
});

test('deleteAllUnusedSnapshots keeps only in-use rows', async (t) => {
  const { tdb, snapStore } = setup(t, { keepSnapshots: true });
  await snapStore.saveSnapshot('v1', 1, chunksOf(bytes('a')));
  await snapStore.saveSnapshot('v1', 2, chunksOf(bytes('b')));
  await snapStore.saveSnapshot('v2', 1, chunksOf(bytes('c')));
  snapStore.stopUsingLastSnapshot('v2');
  snapStore.deleteAllUnusedSnapshots();
  t.deepEqual(rows(tdb).map((r) => `${r.vatID}.${r.snapPos}`), ['v1.2']);
});

test('loadSnapshot detects a tampered blob by hash', async (t) => {
  const { tdb, snapStore } = setup(t);
  const { hash } = await snapStore.saveSnapshot('v7', 12, chunksOf(bytes('genuine image')));
  const forged = gzipSync(bytes('forged image!'));
  tdb.db.prepare('UPDATE snapshots SET compressedSnapshot = ? WHERE vatID = ?').run(forged, 'v7');
  await expectCode(
    t,
    () => readAll(snapStore.loadSnapshot('v7')),
    'SNAPSHOT_HASH_MISMATCH',
    '"v7"',
    'snapPos 12',
    hash,
    sha256('forged image!'),
  );
});

test('a truncated blob gives an error naming the vat, not a bare zlib error', async (t) => {
  const { tdb, snapStore } = setup(t);
  await snapStore.saveSnapshot('v3', 8, chunksOf(heapLike(200_000, 3)));
  const [row] = rows(tdb);
  const blob = row?.compressedSnapshot as Buffer;
  tdb.db.prepare('UPDATE snapshots SET compressedSnapshot = ? WHERE vatID = ?').run(blob.subarray(0, blob.length >> 1), 'v3');
  await expectCode(t, () => readAll(snapStore.loadSnapshot('v3')), 'CORRUPT_SNAPSHOT', '"v3"', 'snapPos 8');
  await expectCode(t, () => readAll(snapStore.exportSnapshot('snapshot.v3.8')), 'CORRUPT_SNAPSHOT', 'snapshot.v3.8');
});

test('archiveSnapshot receives the name and gzip bytes; a failing source saves nothing', async (t) => {
  const archived: Array<[string, Buffer]> = [];
  const { tdb, snapStore } = setup(t, {
    archiveSnapshot: async (name, data) => {
      archived.push([name, data]);
    },
  });
  const result = await snapStore.saveSnapshot('v1', 9, chunksOf(bytes('archive me')));
  t.is(typeof result.archiveWriteSeconds, 'number');
  t.is(archived.length, 1);
  t.is(archived[0]?.[0], 'snapshot.v1.9');
  t.is(gunzipSync(archived[0]?.[1] as Buffer).toString(), 'archive me');

  async function* broken(): AsyncGenerator<Uint8Array> {
    yield bytes('partial');
    throw Error('worker died');
  }
  tdb.takeExports();
  await t.throwsAsync(() => snapStore.saveSnapshot('v1', 20, broken()), { message: 'worker died' });
  t.deepEqual(tdb.takeExports(), []);
  t.is(snapStore.getSnapshotInfo('v1')?.snapPos, 9);
  await t.throwsAsync(() => snapStore.saveSnapshot('bad.vat', 1, chunksOf(bytes('x'))), { message: /invalid vatID/ });
  await t.throwsAsync(() => snapStore.saveSnapshot('v1', -1, chunksOf(bytes('x'))), { message: /invalid snapPos/ });
});

test('export -> import round-trip: records, artifacts, completeness', async (t) => {
  const source = setup(t, { keepSnapshots: true });
  const image = heapLike(500_000, 11);
  const old = await source.snapStore.saveSnapshot('v1', 5, chunksOf(bytes('old image')));
  const cur = await source.snapStore.saveSnapshot('v1', 9, chunksOf(image));

  for (const mode of ['operational', 'debug'] as const) {
    const { snapStore } = setup(t);
    for (const [key, value] of source.snapStore.getExportRecords(true)) {
      snapStore.importSnapshotRecord(key, value);
    }
    t.throws(() => snapStore.assertComplete('operational'), { message: 'current snapshots are pruned for vats v1' });
    for (const name of source.snapStore.getArtifactNames('debug')) {
      await snapStore.populateSnapshot(name, source.snapStore.exportSnapshot(name), mode);
    }
    t.notThrows(() => snapStore.assertComplete('operational'));
    t.deepEqual(snapStore.getSnapshotInfo('v1'), source.snapStore.getSnapshotInfo('v1'));
    t.is(snapStore.getSnapshotInfo('v1')?.hash, cur.hash);
    t.true((await readAll(snapStore.loadSnapshot('v1'))).equals(image));
    t.deepEqual([...snapStore.getExportRecords(true)], [...source.snapStore.getExportRecords(true)]);
    // Historical images are only taken by debug imports.
    t.deepEqual([...snapStore.getArtifactNames('debug')], mode === 'debug' ? ['snapshot.v1.9', 'snapshot.v1.5'] : ['snapshot.v1.9']);
    t.true(snapStore.hasHash('v1', old.hash));
  }
});

test('import rejects bad records and mismatching artifacts with errors naming them', async (t) => {
  const { snapStore } = setup(t);
  const hash = sha256('real');
  const key = 'snapshot.v1.5';
  const bad = async (k: string, value: string, ...mentions: string[]): Promise<void> =>
    expectCode(t, () => snapStore.importSnapshotRecord(k, value), 'BAD_EXPORT_DATA', k, ...mentions);
  await bad(key, 'not json', 'not JSON');
  await bad(key, '{"vatID":"v1","snapPos":5,"inUse":1}', 'missing hash');
  await bad(key, '{"vatID":"v1","snapPos":5,"hash":"abc","inUse":1}', 'hash');
  await bad(key, record('v2', 5, hash, 1), 'vatID');
  await bad(key, record('v1', 6, hash, 1), 'snapPos');
  await bad(key, `{"vatID":"v1","snapPos":5,"hash":"${hash}","inUse":2}`, 'inUse');
  await bad('snapshot.v1.x', record('v1', 5, hash, 1), 'non-numeric');
  await bad('snapshot.v1', record('v1', 5, hash, 1));

  snapStore.importSnapshotRecord('snapshot.v1.current', 'snapshot.v1.5');
  snapStore.importSnapshotRecord(key, record('v1', 5, hash, 1));
  await expectCode(t, () => snapStore.importSnapshotRecord(key, record('v1', 5, hash, 1)), 'DUPLICATE_RECORD', key);
  await expectCode(t, () => snapStore.importSnapshotRecord('snapshot.v1.6', record('v1', 6, hash, 1)), 'BAD_EXPORT_DATA', 'in-use');

  await expectCode(
    t,
    () => snapStore.populateSnapshot(key, chunksOf(bytes('fake')), 'operational'),
    'ARTIFACT_HASH_MISMATCH',
    key,
    hash,
    sha256('fake'),
  );
  await expectCode(t, () => snapStore.populateSnapshot('snapshot.v1.77', chunksOf(bytes('real')), 'operational'), 'BAD_ARTIFACT_NAME', 'snapshot.v1.77');
  await expectCode(t, () => snapStore.populateSnapshot('snapshot.v1', chunksOf(bytes('real')), 'operational'), 'BAD_ARTIFACT_NAME');
  await snapStore.populateSnapshot(key, chunksOf(bytes('real')), 'operational');
  t.is((await readAll(snapStore.loadSnapshot('v1'))).toString(), 'real');
  await expectCode(t, () => snapStore.exportSnapshot('snapshot.v1.6'), 'MISSING_ARTIFACT', 'snapshot.v1.6');
});

test('repairSnapshotRecord adds missing rows and rejects conflicting ones', async (t) => {
  const { tdb, snapStore } = setup(t);
  const { hash } = await snapStore.saveSnapshot('v1', 5, chunksOf(bytes('image')));
  snapStore.repairSnapshotRecord('snapshot.v1.5', record('v1', 5, hash, 1));
  snapStore.repairSnapshotRecord('snapshot.v1.current', 'snapshot.v1.5');
  await expectCode(t, () => snapStore.repairSnapshotRecord('snapshot.v1.5', record('v1', 5, hash, 0)), 'BAD_EXPORT_DATA', 'mismatch');
  await expectCode(t, () => snapStore.repairSnapshotRecord('snapshot.v1.5', record('v1', 5, sha256('x'), 1)), 'BAD_EXPORT_DATA', 'mismatch');
  snapStore.repairSnapshotRecord('snapshot.v1.2', record('v1', 2, sha256('older'), 0));
  t.deepEqual(rows(tdb).map((r) => [r.snapPos, r.inUse]), [
    [2, null],
    [5, 1],
  ]);
  t.notThrows(() => snapStore.assertComplete('replay'));
});
