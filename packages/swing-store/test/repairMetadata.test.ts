// repairMetadata: restore span/snapshot rows lost to agoric-sdk #8025 from a
// trusted export, refusing anything that contradicts what the store holds.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

import { SwingStoreError } from '../src/errors.js';
import { makeSwingStoreExporter } from '../src/exporter.js';
import { openSwingStore } from '../src/swingStore.js';
import { buildSampleStore, makeTempDir, readExport, removeDir } from './stateSyncFixture.js';

let root = '';
let source = '';

test.before(async () => {
  root = makeTempDir('repair-metadata');
  source = path.join(root, 'source');
  await buildSampleStore(source);
});

test.after.always(() => removeDir(root));

let counter = 0;
/** A copy of the sample store with `damage` applied straight to its SQL. */
function damagedCopy(damage: string): string {
  counter += 1;
  const dir = path.join(root, `copy-${counter}`);
  fs.cpSync(source, dir, { recursive: true });
  const db = new Database(path.join(dir, 'swingstore.sqlite'));
  db.exec(damage);
  db.close();
  return dir;
}

test('restores missing historical span and snapshot records', async (t) => {
  const dir = damagedCopy(`
    DELETE FROM transcriptSpans WHERE vatID = 'v1' AND isCurrent IS NULL;
    DELETE FROM snapshots WHERE vatID = 'v1' AND inUse IS NULL;
    DELETE FROM transcriptSpans WHERE vatID = 'v3';
  `);
  const expected = await readExport(makeSwingStoreExporter(source));
  const before = await readExport(makeSwingStoreExporter(dir));
  t.true(before.exportData.length < expected.exportData.length, 'the damage removed records');

  const store = openSwingStore(dir);
  const exporter = makeSwingStoreExporter(source);
  await store.hostStorage.repairMetadata(exporter);
  await store.hostStorage.commit();
  await store.hostStorage.close();
  t.is(t.throws(() => exporter.getHostKV('host.height'), { instanceOf: SwingStoreError })?.code, 'CLOSED', 'exporter was closed');

  const after = await readExport(makeSwingStoreExporter(dir, { artifactMode: 'archival' }));
  t.deepEqual(after.exportData, expected.exportData);
  t.true(after.artifactNames.includes('transcript.v1.0.5'), 'restored spans find their surviving items');
});

test('ignores kv entries and leaves the transaction for the host to commit', async (t) => {
  const dir = damagedCopy(`UPDATE kvStore SET value = 'local edit' WHERE key = 'kernel.version'`);
  const store = openSwingStore(dir);
  await store.hostStorage.repairMetadata(makeSwingStoreExporter(source));
  t.is(store.hostStorage.kvStore.get('kernel.version'), 'local edit');
  await store.hostStorage.close();
});

test('refuses records that contradict the store', async (t) => {
  const cases = [
    { damage: `UPDATE transcriptSpans SET hash = '${'0'.repeat(64)}' WHERE vatID = 'v2' AND startPos = 0`, key: 'transcript.v2.0' },
    { damage: `UPDATE transcriptSpans SET incarnation = 7 WHERE vatID = 'v1' AND isCurrent = 1`, key: 'transcript.v1.current' },
    { damage: `UPDATE snapshots SET hash = '${'1'.repeat(64)}' WHERE vatID = 'v2'`, key: 'snapshot.v2.2' },
    { damage: `DELETE FROM bundles`, key: 'bundle.b0-' },
  ];
  for (const { damage, key } of cases) {
    const store = openSwingStore(damagedCopy(damage));
    const error = await t.throwsAsync(store.hostStorage.repairMetadata(makeSwingStoreExporter(source)), {
      instanceOf: SwingStoreError,
    });
    t.is(error?.code, 'BAD_EXPORT_DATA', damage);
    t.true(error?.message.includes(key), `${error?.message} names ${key}`);
    await store.hostStorage.close();
  }
});

test('fails the operational check if a current span lost its items', async (t) => {
  const store = openSwingStore(damagedCopy(`DELETE FROM transcriptItems WHERE vatID = 'v2' AND position = 4`));
  const error = await t.throwsAsync(store.hostStorage.repairMetadata(makeSwingStoreExporter(source)), {
    instanceOf: SwingStoreError,
  });
  t.is(error?.code, 'INCOMPLETE');
  t.regex(error?.message ?? '', /v2/);
  await store.hostStorage.close();
});
