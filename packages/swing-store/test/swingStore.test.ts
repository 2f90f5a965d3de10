import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { initSwingStore, isSwingStore, openSwingStore } from '../src/swingStore.js';
import type { ExportDataEntry, SwingStore, SwingStoreOptions } from '../src/types.js';

const codeIs = (code: string): object => ({ code });
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function tempDir(t: { teardown(fn: () => void): void }, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a temp dir with a recording exportCallback; closed at teardown. */
function makeStore(
  t: { teardown(fn: () => void | Promise<void>): void },
  label: string,
  options: SwingStoreOptions = {},
): { store: SwingStore; dbDir: string; batches: ExportDataEntry[][] } {
  const dbDir = path.join(tempDir(t, label), 'store');
  const batches: ExportDataEntry[][] = [];
  const store = initSwingStore(dbDir, { exportCallback: entries => batches.push(entries), ...options });
  t.teardown(() => store.hostStorage.close());
  return { store, dbDir, batches };
}

test('init creates swingstore.sqlite in WAL mode with synchronous=full', async t => {
  const { store, dbDir } = makeStore(t, 'ss-init');
  t.true(fs.existsSync(path.join(dbDir, 'swingstore.sqlite')));
  t.true(isSwingStore(dbDir));
  t.false(isSwingStore(path.join(dbDir, 'nope')));
  t.false(isSwingStore(path.dirname(dbDir)));
  const db = store.debug.getDatabase();
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  t.is(db.pragma('synchronous', { simple: true }), 2);
  t.true(store.hostStorage.diskUsage() > 0);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  for (const table of ['kvStore', 'pendingExports', 'transcriptItems', 'transcriptSpans']) {
    t.true(tables.includes(table), table);
  }
  t.true(
    db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'currentTranscriptIndex'").pluck().get() === 1,
  );
  t.false(db.inTransaction, 'schema creation was committed');
});

test('unsafeFastMode turns journaling off', async t => {
  const { store } = makeStore(t, 'ss-fast', { unsafeFastMode: true });
  const db = store.debug.getDatabase();
  t.is(db.pragma('journal_mode', { simple: true }), 'off');
  t.is(db.pragma('synchronous', { simple: true }), 1);
});

test('crankhash and activityhash follow the documented byte stream', async t => {
  const { store } = makeStore(t, 'ss-hash');
  const k = store.kernelStorage;
  t.is(k.getActivityhash(), '');
  k.startCrank();
  k.kvStore.set('b', '2');
  k.kvStore.set('a', '1');
  k.kvStore.set('local.x', 'ignored');
  k.kvStore.delete('local.x');
  k.kvStore.delete('b');
  const first = k.emitCrankHashes();
  k.endCrank();
  const crankhash1 = sha256('add\nb\n2\nadd\na\n1\ndelete\nb\n');
  t.is(first.crankhash, crankhash1);
  t.is(first.activityhash, sha256(`activityhash\n\n${crankhash1}\n`));
  t.is(k.getActivityhash(), first.activityhash);
  t.is(k.kvStore.get('activityhash'), first.activityhash);

  k.startCrank();
  const second = k.emitCrankHashes(); // an empty crank still chains
  k.endCrank();
  t.is(second.crankhash, sha256(''));
  t.is(second.activityhash, sha256(`activityhash\n${first.activityhash}\n${sha256('')}\n`));
});

test('fixed vector: crankhash/activityhash of a small crank', async t => {
  // Same operations and result as @agoric/swing-store 0.10.0.
  const store = initSwingStore(null);
  t.teardown(() => store.hostStorage.close());
  const k = store.kernelStorage;
  k.kvStore.set('b', '2');
  k.kvStore.set('a', '1');
  k.kvStore.set('local.x', 'y');
  t.deepEqual(k.emitCrankHashes(), {
    crankhash: '5ff3166481509d5521ecdad2f20affeed987d2493d00856f4d9b0f8bd9553bb3',
    activityhash: '871827e9dcbca9d3f836b67728762167425fc38a32097d64011df8a4e2e79ad9',
  });
});

test('export callback: one sorted batch per flush, null deletes, local/host excluded', async t => {
  const { store, batches } = makeStore(t, 'ss-export');
  const { kernelStorage: k, hostStorage: h } = store;
  k.startCrank();
  k.kvStore.set('z', '1');
  k.kvStore.set('a', '1');
  k.kvStore.set('a', '2'); // collapses to the last value
  k.kvStore.set('m', 'doomed');
  k.kvStore.delete('m');
  k.kvStore.set('local.stats', '{}');
  h.kvStore.set('host.height', '7');
  k.transcriptStore.initTranscript('v1');
  t.deepEqual(batches, [], 'nothing is sent before the crank ends');
  k.endCrank();
  t.deepEqual(batches, [
    [
      ['kv.a', '2'],
      ['kv.m', null],
      ['kv.z', '1'],
      [
        'transcript.v1.current',
        `{"vatID":"v1","startPos":0,"endPos":0,"hash":"${sha256('start of transcript span')}","isCurrent":1,"incarnation":0}`,
      ],
    ],
  ]);
  k.startCrank();
  k.endCrank();
  await h.commit();
  t.is(batches.length, 1, 'empty flushes make no call');
  // Host-side writes between cranks are flushed at commit.
  k.kvStore.set('outside', 'crank');
  await h.commit();
  t.deepEqual(batches[1], [['kv.outside', 'crank']]);
  const pending = store.debug.getDatabase().prepare('SELECT COUNT(*) FROM pendingExports').pluck().get();
  t.is(pending, 0);
});

test('rollbackCrank undoes kv, transcript and pending exports but not the crankhash', async t => {
  const { store, batches } = makeStore(t, 'ss-rollback');
  const { kernelStorage: k, hostStorage: h } = store;
  k.transcriptStore.initTranscript('v1');
  k.kvStore.set('before', '1');
  await h.commit();
  batches.length = 0;

  k.startCrank();
  k.establishCrankSavepoint('start');
  k.kvStore.set('kept', 'yes');
  k.establishCrankSavepoint('deliver');
  k.kvStore.set('dropped', 'no');
  k.kvStore.delete('before');
  k.transcriptStore.addItem('v1', 'aborted delivery');
  k.rollbackCrank('deliver');
  t.is(k.kvStore.get('dropped'), undefined);
  t.is(k.kvStore.get('before'), '1');
  t.is(k.transcriptStore.getCurrentSpanBounds('v1').endPos, 0);
  k.transcriptStore.addItem('v1', 'retry');
  const { crankhash } = k.emitCrankHashes();
  k.endCrank();
  // The hasher saw the rolled-back writes too.
  t.is(crankhash, sha256('add\nkept\nyes\nadd\ndropped\nno\ndelete\nbefore\n'));
  t.deepEqual(
    batches[0]?.map(([key]) => key),
    ['kv.activityhash', 'kv.kept', 'transcript.v1.current'],
  );
  t.deepEqual([...k.transcriptStore.readSpan('v1')], ['retry']);

  k.startCrank();
  k.establishCrankSavepoint('start');
  k.kvStore.set('whole', 'crank');
  k.rollbackCrank('start');
  k.endCrank();
  t.false(k.kvStore.has('whole'));
  t.is(batches.length, 1);
});

test('crank state errors', async t => {
  const store = initSwingStore(null);
  t.teardown(() => store.hostStorage.close());
  const k = store.kernelStorage;
  t.throws(() => k.establishCrankSavepoint('x'), codeIs('CRANK_STATE'));
  t.throws(() => k.rollbackCrank('x'), codeIs('CRANK_STATE'));
  t.throws(() => k.endCrank(), codeIs('CRANK_STATE'));
  k.startCrank();
  t.throws(() => k.startCrank(), codeIs('CRANK_STATE'));
  k.establishCrankSavepoint('start');
  t.throws(() => k.rollbackCrank('unknown'), codeIs('CRANK_STATE'));
  await t.throwsAsync(store.hostStorage.commit(), codeIs('CRANK_STATE'));
  k.endCrank();
  await store.hostStorage.commit();
});

test('only commit() commits: savepoints and endCrank do not; close discards', async t => {
  const { store, dbDir } = makeStore(t, 'ss-commit');
  const { kernelStorage: k, hostStorage: h } = store;
  k.kvStore.set('committed', '1');
  k.transcriptStore.initTranscript('v1');
  k.transcriptStore.addItem('v1', 'one');
  h.kvStore.set('host.height', '1');
  await h.commit();

  // A savepoint established outside any transaction must not autocommit.
  k.startCrank();
  k.establishCrankSavepoint('start');
  k.kvStore.set('uncommitted', '1');
  k.transcriptStore.addItem('v1', 'two');
  k.endCrank();
  k.kvStore.set('committed', 'changed');
  await h.close();
  await h.close(); // idempotent
  await t.throwsAsync(h.commit(), codeIs('CLOSED'));
  t.throws(() => k.kvStore.get('committed'), codeIs('CLOSED'));
  t.throws(() => k.kvStore.set('x', 'y'), codeIs('CLOSED'));

  const reopened = openSwingStore(dbDir);
  t.teardown(() => reopened.hostStorage.close());
  const rk = reopened.kernelStorage;
  t.is(rk.kvStore.get('committed'), '1');
  t.is(rk.kvStore.get('uncommitted'), undefined);
  t.is(reopened.hostStorage.kvStore.get('host.height'), '1');
  t.deepEqual([...rk.transcriptStore.readSpan('v1')], ['one']);
});

test('facets: host kvStore writes host keys only; kernel refuses them', async t => {
  const store = initSwingStore(null);
  t.teardown(() => store.hostStorage.close());
  const { kernelStorage: k, hostStorage: h } = store;
  t.throws(() => k.kvStore.set('host.x', '1'), codeIs('BAD_KEY'));
  t.throws(() => k.kvStore.delete('host.x'), codeIs('BAD_KEY'));
  t.throws(() => h.kvStore.set('kernel.x', '1'), codeIs('BAD_KEY'));
  h.kvStore.set('host.x', '1');
  t.is(k.kvStore.get('host.x'), '1');
  const transcriptMethods = Object.keys(k.transcriptStore).sort();
  t.deepEqual(transcriptMethods, [
    'addItem',
    'deleteVatTranscripts',
    'getCurrentSpanBounds',
    'initTranscript',
    'readSpan',
    'rolloverIncarnation',
    'rolloverSpan',
    'stopUsingTranscript',
  ]);
  t.false('exportSpan' in k.transcriptStore);
  t.true('exportSpan' in store.internal.transcriptStore);
  t.deepEqual(Object.keys(k.bundleStore).sort(), ['addBundle', 'deleteBundle', 'getBundle', 'hasBundle']);
});

test('a 254 x "€" key survives commit and reopen', async t => {
  const { store, dbDir } = makeStore(t, 'ss-bigkey');
  const key = '€'.repeat(254);
  store.kernelStorage.kvStore.set(key, 'v');
  await store.hostStorage.commit();
  await store.hostStorage.close();
  const reopened = openSwingStore(dbDir);
  t.teardown(() => reopened.hostStorage.close());
  t.is(reopened.kernelStorage.kvStore.get(key), 'v');
});

test('openSwingStore refuses things that are not a swing-store', async t => {
  const dir = tempDir(t, 'ss-garbage');
  const garbageDir = path.join(dir, 'garbage');
  fs.mkdirSync(garbageDir);
  fs.writeFileSync(path.join(garbageDir, 'swingstore.sqlite'), Buffer.alloc(8192, 0x5a));
  const err = t.throws(() => openSwingStore(garbageDir), codeIs('NOT_A_SWING_STORE'));
  t.regex(err?.message ?? '', /swingstore\.sqlite.*not a SQLite database/);
  t.true(isSwingStore(garbageDir), 'isSwingStore only looks for the file');

  const otherDir = path.join(dir, 'other-app');
  fs.mkdirSync(otherDir);
  const other = new Database(path.join(otherDir, 'swingstore.sqlite'));
  other.exec('CREATE TABLE accounts (id INTEGER)');
  other.close();
  t.throws(() => openSwingStore(otherDir), { code: 'NOT_A_SWING_STORE', message: /no kvStore table/ } as object);

  const plainFile = path.join(dir, 'plain-file');
  fs.writeFileSync(plainFile, 'hello');
  t.throws(() => openSwingStore(plainFile), { code: 'NOT_A_SWING_STORE', message: /not a directory/ } as object);
  t.throws(() => openSwingStore(plainFile, { asFile: true }), codeIs('NOT_A_SWING_STORE'));
  t.is(fs.readFileSync(plainFile, 'utf8'), 'hello', 'the refused file is untouched');
});

test('initSwingStore wipes an existing store; openSwingStore creates a missing one', async t => {
  const dir = tempDir(t, 'ss-reset');
  const dbDir = path.join(dir, 'store');
  const created = openSwingStore(dbDir);
  created.kernelStorage.kvStore.set('old', '1');
  await created.hostStorage.commit();
  await created.hostStorage.close();
  fs.writeFileSync(path.join(dbDir, 'stray'), 'x');

  const fresh = initSwingStore(dbDir);
  t.teardown(() => fresh.hostStorage.close());
  t.is(fresh.kernelStorage.kvStore.get('old'), undefined);
  t.false(fs.existsSync(path.join(dbDir, 'stray')));
});

test('asFile stores the DB at the given path', async t => {
  const dir = tempDir(t, 'ss-asfile');
  const file = path.join(dir, 'my.sqlite');
  const store = initSwingStore(file, { asFile: true });
  store.kernelStorage.kvStore.set('k', 'v');
  await store.hostStorage.commit();
  t.is(store.internal.dirPath, null);
  t.true(store.internal.asFile);
  await store.hostStorage.close();
  const reopened = openSwingStore(file, { asFile: true });
  t.teardown(() => reopened.hostStorage.close());
  t.is(reopened.kernelStorage.kvStore.get('k'), 'v');
});

test('in-memory store: works, serializes, reports zero disk usage', async t => {
  const store = initSwingStore(null);
  t.teardown(() => store.hostStorage.close());
  store.kernelStorage.kvStore.set('k', 'v');
  store.kernelStorage.transcriptStore.initTranscript('v1');
  store.kernelStorage.transcriptStore.addItem('v1', 'i0');
  await store.hostStorage.commit();
  t.is(store.hostStorage.diskUsage(), 0);
  t.is(store.internal.dirPath, null);
  const image = store.debug.serialize();
  const copy = new Database(image);
  t.teardown(() => copy.close());
  t.is(copy.prepare("SELECT value FROM kvStore WHERE key = 'k'").pluck().get(), 'v');
  t.deepEqual(store.debug.dump(), {
    kvEntries: { k: 'v' },
    transcripts: { v1: { 0: 'i0' } },
    snapshots: {},
    bundles: {},
  });

  const { store: onDisk } = makeStore(t, 'ss-serialize');
  t.throws(() => onDisk.debug.serialize(), codeIs('BAD_ARGUMENT'));
});

test('traceFile records kv mutations', async t => {
  const dir = tempDir(t, 'ss-trace');
  const traceFile = path.join(dir, 'trace.txt');
  const store = initSwingStore(path.join(dir, 'store'), { traceFile });
  store.kernelStorage.kvStore.set('a', '1');
  store.kernelStorage.kvStore.delete('a');
  await store.hostStorage.close();
  t.is(fs.readFileSync(traceFile, 'utf8'), 'set a 1\ndel a\n');
});

test('readonly open reads committed data and refuses writes', async t => {
  const { store, dbDir } = makeStore(t, 'ss-readonly');
  store.kernelStorage.kvStore.set('k', 'v');
  await store.hostStorage.commit();
  const reader = openSwingStore(dbDir, { readonly: true });
  t.teardown(() => reader.hostStorage.close());
  t.is(reader.kernelStorage.kvStore.get('k'), 'v');
  t.throws(() => reader.kernelStorage.kvStore.set('k', 'w'), codeIs('READ_ONLY'));
  t.throws(() => reader.kernelStorage.transcriptStore.initTranscript('v1'), codeIs('READ_ONLY'));
  t.is(reader.kernelStorage.kvStore.get('k'), 'v');
  t.throws(() => openSwingStore(path.join(dbDir, 'missing'), { readonly: true }), codeIs('NOT_A_SWING_STORE'));
});

test('a second writer is refused at its first write (BEGIN IMMEDIATE)', async t => {
  const { store, dbDir } = makeStore(t, 'ss-lock');
  const second = openSwingStore(dbDir);
  t.teardown(() => second.hostStorage.close());
  second.debug.getDatabase().pragma('busy_timeout = 0');
  store.kernelStorage.kvStore.set('k', 'v'); // takes the write lock until commit
  t.is(second.kernelStorage.kvStore.get('k'), undefined, 'readers still see the committed state');
  t.throws(() => second.kernelStorage.kvStore.set('k', 'w'), { any: true, message: /locked|busy/i });
  await store.hostStorage.commit();
  t.is(second.kernelStorage.kvStore.get('k'), 'v');
});
