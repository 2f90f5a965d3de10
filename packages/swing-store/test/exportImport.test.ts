// Export/import round trips across artifact modes and retention settings,
// plus the incremental export-data protocol (exportCallback).
import test from 'ava';
import type { ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

import { makeSwingStoreExporter } from '../src/exporter.js';
import { importSwingStore } from '../src/importer.js';
import { initSwingStore, openSwingStore } from '../src/swingStore.js';
import type { ArtifactMode, ExportDataEntry, SwingStoreExporter } from '../src/types.js';
import { SwingStoreError } from '../src/errors.js';
import {
  buildSampleStore,
  makeB0Bundle,
  makeB1Bundle,
  makeTempDir,
  readExport,
  removeDir,
} from './stateSyncFixture.js';
import type { MaterializedExport } from './stateSyncFixture.js';

const modes: ArtifactMode[] = ['operational', 'replay', 'archival', 'debug'];
const level = { operational: 0, replay: 1, archival: 2 } as const;
/** What an import in each mode requires (debug is checked as operational). */
const required: Record<ArtifactMode, number> = { operational: 0, replay: 1, archival: 2, debug: 0 };

interface SourceStore {
  dir: string;
  /** Completeness level each export mode provides; undefined: export fails. */
  provides: Record<ArtifactMode, number | undefined>;
  exports: Partial<Record<ArtifactMode, MaterializedExport>>;
}

const sources: Record<'kept' | 'pruned', SourceStore> = {
  // keepTranscripts (default) and keepSnapshots: everything stays.
  kept: {
    dir: '',
    provides: { operational: level.operational, replay: level.replay, archival: level.archival, debug: level.archival },
    exports: {},
  },
  // keepTranscripts false: only current spans survive, so v1's current
  // incarnation (which has a closed span) is no longer replayable.
  pruned: {
    dir: '',
    provides: { operational: level.operational, replay: undefined, archival: undefined, debug: level.operational },
    exports: {},
  },
};

let root = '';

test.before(async () => {
  root = makeTempDir('export-import');
  const bundles = [makeB0Bundle('1+1'), await makeB1Bundle()];
  sources.kept.dir = path.join(root, 'kept');
  sources.pruned.dir = path.join(root, 'pruned');
  await buildSampleStore(sources.kept.dir, { keepSnapshots: true, bundles });
  await buildSampleStore(sources.pruned.dir, { keepTranscripts: false, bundles });
  for (const source of Object.values(sources)) {
    for (const mode of modes) {
      if (source.provides[mode] !== undefined) {
        source.exports[mode] = await readExport(makeSwingStoreExporter(source.dir, { artifactMode: mode }));
      }
    }
  }
});

test.after.always(() => removeDir(root));

let destinationCounter = 0;
const freshDestination = (): string => path.join(root, `dst-${(destinationCounter += 1)}`);

test('export data does not depend on the artifact mode', (t) => {
  const { kept, pruned } = sources;
  const reference = kept.exports.operational?.exportData;
  t.truthy(reference);
  for (const mode of modes) {
    t.deepEqual(kept.exports[mode]?.exportData, reference, mode);
  }
  // Pruning drops items, never metadata.
  t.deepEqual(pruned.exports.operational?.exportData, reference);
});

test('export data lists consensus kv, snapshots, transcripts, bundles in order', (t) => {
  const exportData = sources.kept.exports.operational?.exportData ?? [];
  const keys = exportData.map(([key]) => key);
  const families = keys.map((key) => key.split('.')[0]);
  const firstOf = (family: string): number => families.indexOf(family);
  const lastOf = (family: string): number => families.lastIndexOf(family);
  t.true(lastOf('kv') < firstOf('snapshot'));
  t.true(lastOf('snapshot') < firstOf('transcript'));
  t.true(lastOf('transcript') < firstOf('bundle'));
  const kvKeys = keys.filter((key) => key.startsWith('kv.'));
  t.deepEqual(kvKeys, [...kvKeys].sort(), 'kv entries sorted by key');
  t.true(kvKeys.includes('kv.activityhash'));
  t.true(kvKeys.includes('kv.€.unicode'));
  t.false(kvKeys.includes('kv.v2.o.nextID'), 'deleted key is gone');
  t.false(keys.some((key) => key.startsWith('kv.local.') || key.startsWith('kv.host.')));
  t.true(keys.includes('transcript.v3.0'), 'terminated vat keeps its historical span record');
  t.false(keys.includes('transcript.v3.current'));
  const data = new Map(exportData);
  t.is(data.get('snapshot.v1.current'), 'snapshot.v1.10');
  t.regex(data.get('snapshot.v1.4') ?? '', /^\{"vatID":"v1","snapPos":4,"hash":"[0-9a-f]{64}","inUse":0\}$/);
  t.regex(
    data.get('transcript.v1.current') ?? '',
    /^\{"vatID":"v1","startPos":11,"endPos":13,"hash":"[0-9a-f]{64}","isCurrent":1,"incarnation":1\}$/,
  );
});

test('artifact names per mode', (t) => {
  const names = (source: SourceStore, mode: ArtifactMode): string[] =>
    (source.exports[mode]?.artifactNames ?? []).filter((name) => !name.startsWith('bundle.'));
  const current = ['snapshot.v1.10', 'snapshot.v2.2', 'transcript.v1.11.13', 'transcript.v2.3.5'];
  t.deepEqual(names(sources.kept, 'operational'), current);
  t.deepEqual(names(sources.kept, 'replay'), [
    'snapshot.v1.10',
    'snapshot.v2.2',
    'transcript.v1.8.11',
    'transcript.v1.11.13',
    'transcript.v2.0.3',
    'transcript.v2.3.5',
  ]);
  t.deepEqual(names(sources.kept, 'archival'), [
    'snapshot.v1.10',
    'snapshot.v2.2',
    'transcript.v1.0.5',
    'transcript.v1.5.8',
    'transcript.v1.8.11',
    'transcript.v1.11.13',
    'transcript.v2.0.3',
    'transcript.v2.3.5',
  ]);
  // debug: historical snapshots that kept their blobs, terminated vats too.
  t.deepEqual(names(sources.kept, 'debug'), [
    'snapshot.v1.10',
    'snapshot.v2.2',
    'snapshot.v1.4',
    'snapshot.v3.1',
    'transcript.v1.0.5',
    'transcript.v1.5.8',
    'transcript.v1.8.11',
    'transcript.v1.11.13',
    'transcript.v2.0.3',
    'transcript.v2.3.5',
    'transcript.v3.0.2',
  ]);
  t.deepEqual(names(sources.pruned, 'debug'), current);
  const bundleNames = (sources.kept.exports.operational?.artifactNames ?? []).filter((n) => n.startsWith('bundle.'));
  t.is(bundleNames.length, 2);
});

test('a store that cannot supply a mode refuses up front', (t) => {
  for (const mode of ['replay', 'archival'] as const) {
    const exporter = makeSwingStoreExporter(sources.pruned.dir, { artifactMode: mode });
    const error = t.throws(() => exporter.getArtifactNames(), { instanceOf: SwingStoreError });
    t.is(error?.code, 'INCOMPLETE', mode);
    t.regex(error?.message ?? '', /v1/);
    void exporter.close();
  }
});

async function roundTrip(
  t: ExecutionContext,
  sourceName: keyof typeof sources,
  exportMode: ArtifactMode,
  importMode: ArtifactMode,
): Promise<void> {
  const source = sources[sourceName];
  const exported = source.exports[exportMode];
  if (!exported) {
    t.is(source.provides[exportMode], undefined);
    t.pass('this store cannot export this mode (checked above)');
    return;
  }
  const provided = source.provides[exportMode] ?? -1;
  const destination = freshDestination();
  const attempt = importSwingStore(makeSwingStoreExporter(source.dir, { artifactMode: exportMode }), destination, {
    artifactMode: importMode,
  });
  if (provided < required[importMode]) {
    const error = await t.throwsAsync(attempt, { instanceOf: SwingStoreError });
    t.is(error?.code, 'MISSING_ARTIFACT');
    t.false(fs.existsSync(destination), 'failed import leaves no destination');
    return;
  }
  const { hostStorage } = await attempt;
  await hostStorage.commit();
  await hostStorage.close();

  const reexportMode = importMode;
  const again = await readExport(makeSwingStoreExporter(destination, { artifactMode: reexportMode }));
  t.deepEqual(again.exportData, exported.exportData, 'export data survives the round trip');
  // What the imported store can re-export: the import mode's artifacts, or
  // for debug everything it was given.
  const expected = importMode === 'debug' ? exported : source.exports[importMode];
  t.truthy(expected);
  t.deepEqual(again.artifactNames, expected?.artifactNames);
  t.deepEqual(again.artifacts, expected?.artifacts);
}

for (const sourceName of ['kept', 'pruned'] as const) {
  for (const exportMode of modes) {
    for (const importMode of modes) {
      test(`round trip: ${sourceName} store, export ${exportMode}, import ${importMode}`, roundTrip, sourceName, exportMode, importMode);
    }
  }
}

test('in-memory import holds the same data', async (t) => {
  const exported = sources.kept.exports.archival;
  const { hostStorage, debug } = await importSwingStore(
    makeSwingStoreExporter(sources.kept.dir, { artifactMode: 'archival' }),
    null,
    { artifactMode: 'archival' },
  );
  const dump = debug.dump();
  t.is(dump.kvEntries['kernel.version'], '1');
  t.is(dump.kvEntries['host.height'], undefined, 'host keys are not exported');
  t.deepEqual(Object.keys(dump.transcripts['v1'] ?? {}).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  t.truthy(exported);
  await hostStorage.close();
});

test('imported store works: snapshots load, spans read, bundles come back', async (t) => {
  const destination = freshDestination();
  const { hostStorage } = await importSwingStore(makeSwingStoreExporter(sources.kept.dir, { artifactMode: 'replay' }), destination, {
    artifactMode: 'replay',
  });
  await hostStorage.close();
  const original = openSwingStore(sources.kept.dir, { readonly: true });
  const imported = openSwingStore(destination, { readonly: true });
  try {
    const [k1, k2] = [original.kernelStorage, imported.kernelStorage];
    t.deepEqual(k2.transcriptStore.getCurrentSpanBounds('v1'), k1.transcriptStore.getCurrentSpanBounds('v1'));
    t.deepEqual([...k2.transcriptStore.readSpan('v1', 8)], [...k1.transcriptStore.readSpan('v1', 8)]);
    const chunks: Uint8Array[] = [];
    for await (const chunk of k2.snapStore.loadSnapshot('v1')) chunks.push(chunk);
    const loaded = Buffer.concat(chunks);
    t.is(loaded.length, 6000);
    t.deepEqual(k2.snapStore.getSnapshotInfo('v1'), k1.snapStore.getSnapshotInfo('v1'));
    const b1 = await makeB1Bundle();
    t.deepEqual(k2.bundleStore.getBundle(b1.bundleID), k1.bundleStore.getBundle(b1.bundleID));
    t.is(k2.getActivityhash(), k1.getActivityhash());
    t.is(imported.hostStorage.kvStore.get('host.height'), undefined);
  } finally {
    await original.hostStorage.close();
    await imported.hostStorage.close();
  }
});

test('import commits in chunks into a staging directory, then renames', async (t) => {
  const destination = freshDestination();
  const parent = path.dirname(destination);
  const inner = makeSwingStoreExporter(sources.kept.dir, { artifactMode: 'archival' });
  let observed: { stagingKvRows: number; destinationExists: boolean } | undefined;
  const kvEntries = (sources.kept.exports.archival?.exportData ?? []).filter(([key]) => key.startsWith('kv.')).length;
  const spying: SwingStoreExporter = {
    getHostKV: (key) => inner.getHostKV(key),
    getExportData: () => inner.getExportData(),
    getArtifactNames: () => inner.getArtifactNames(),
    getArtifact(name) {
      if (!observed) {
        const staging = fs
          .readdirSync(parent)
          .filter((entry) => entry.startsWith(`.${path.basename(destination)}.importing-`));
        t.is(staging.length, 1, 'one staging directory');
        const peek = new Database(path.join(parent, staging[0] ?? '', 'swingstore.sqlite'), { readonly: true });
        const stagingKvRows = peek.prepare<[], number>('SELECT count(*) FROM kvStore').pluck().get() ?? 0;
        peek.close();
        observed = { stagingKvRows, destinationExists: fs.existsSync(destination) };
      }
      return inner.getArtifact(name);
    },
    close: () => inner.close(),
  };
  const { hostStorage } = await importSwingStore(spying, destination, { artifactMode: 'archival', commitEveryBytes: 1 });
  await hostStorage.close();
  t.deepEqual(observed, { stagingKvRows: kvEntries, destinationExists: false }, 'kv rows were committed before artifacts');
  t.deepEqual(
    fs.readdirSync(parent).filter((entry) => entry.includes('.importing-')),
    [],
    'no staging directory left behind',
  );
  const again = await readExport(makeSwingStoreExporter(destination, { artifactMode: 'archival' }));
  t.deepEqual(again.artifacts, sources.kept.exports.archival?.artifacts);
});

test('a successful import replaces an existing store at the destination', async (t) => {
  const destination = freshDestination();
  const old = initSwingStore(destination);
  old.kernelStorage.kvStore.set('stale', 'yes');
  await old.hostStorage.commit();
  await old.hostStorage.close();
  const { hostStorage } = await importSwingStore(makeSwingStoreExporter(sources.kept.dir), destination);
  t.is(hostStorage.kvStore.get('stale'), undefined);
  t.is(hostStorage.kvStore.get('kernel.version'), '1');
  await hostStorage.close();
});

// ------------------------------------------------------ incremental export

function collectBatches(): { batches: ExportDataEntry[][]; callback: (entries: ExportDataEntry[]) => void } {
  const batches: ExportDataEntry[][] = [];
  return { batches, callback: (entries) => batches.push(entries.map(([k, v]) => [k, v])) };
}

test('export callback batches are sorted and replay to the full export data', async (t) => {
  const dir = makeTempDir('export-callback');
  t.teardown(() => removeDir(dir));
  const { batches, callback } = collectBatches();
  await buildSampleStore(dir, { exportCallback: callback });
  t.true(batches.length >= 3);
  const mirror = new Map<string, string>();
  for (const batch of batches) {
    t.true(batch.length > 0, 'no empty batches');
    const keys = batch.map(([key]) => key);
    t.deepEqual(keys, [...keys].sort(), 'batch sorted by key');
    t.is(new Set(keys).size, keys.length, 'one entry per key');
    for (const [key, value] of batch) {
      if (value === null) mirror.delete(key);
      else mirror.set(key, value);
    }
  }
  const full = await readExport(makeSwingStoreExporter(dir));
  const sorted = (entries: Iterable<[string, string]>): Array<[string, string]> =>
    [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  t.deepEqual(sorted(mirror), sorted(full.exportData));
});

test('export callback fires at endCrank and at commit, never for rolled-back work', async (t) => {
  const dir = makeTempDir('export-rollback');
  t.teardown(() => removeDir(dir));
  const { batches, callback } = collectBatches();
  const { kernelStorage: k, hostStorage, debug } = initSwingStore(dir, { exportCallback: callback });

  k.startCrank();
  k.kvStore.set('b', '2');
  k.kvStore.set('a', '1');
  k.transcriptStore.initTranscript('v1');
  k.establishCrankSavepoint('deliver');
  k.kvStore.set('doomed', 'x');
  k.kvStore.set('a', 'overwritten then rolled back');
  k.transcriptStore.addItem('v1', 'doomed item');
  k.rollbackCrank('deliver');
  t.is(batches.length, 0, 'nothing before endCrank');
  k.endCrank();
  t.is(batches.length, 1);
  const [firstBatch] = batches;
  t.deepEqual(
    firstBatch?.map(([key]) => key),
    ['kv.a', 'kv.b', 'transcript.v1.current'],
  );
  t.deepEqual(firstBatch?.[0], ['kv.a', '1']);
  t.regex(firstBatch?.[2]?.[1] ?? '', /"endPos":0/);
  const pending = debug.getDatabase().prepare<[], number>('SELECT count(*) FROM pendingExports').pluck();
  t.is(pending.get(), 0, 'no export debris after the crank');

  // Changes outside a crank are flushed by commit.
  k.kvStore.set('c', '3');
  k.kvStore.delete('b');
  t.is(batches.length, 1);
  await hostStorage.commit();
  t.deepEqual(batches[1], [
    ['kv.b', null],
    ['kv.c', '3'],
  ]);
  await hostStorage.commit();
  t.is(batches.length, 2, 'an empty flush calls nothing');
  await hostStorage.close();

  const exported = await readExport(makeSwingStoreExporter(dir));
  t.false(exported.exportData.some(([key]) => key === 'kv.doomed'));
});

test('exporter pins the state of its creation while a writer commits', async (t) => {
  const dir = makeTempDir('export-pin');
  t.teardown(() => removeDir(dir));
  const store = initSwingStore(dir);
  store.kernelStorage.kvStore.set('x', 'before');
  await store.hostStorage.commit();
  const exporter = makeSwingStoreExporter(dir);
  store.kernelStorage.kvStore.set('x', 'after');
  store.kernelStorage.kvStore.set('y', 'new');
  await store.hostStorage.commit();
  const exported = await readExport(exporter);
  t.deepEqual(exported.exportData, [['kv.x', 'before']]);
  await store.hostStorage.close();
});

test('exporter rejects bad arguments and non-host keys', async (t) => {
  t.is(t.throws(() => makeSwingStoreExporter(sources.kept.dir, { artifactMode: 'bogus' as ArtifactMode }))?.message.includes('bogus'), true);
  const missing = path.join(root, 'no-such-store');
  t.is((t.throws(() => makeSwingStoreExporter(missing)) as SwingStoreError).code, 'NOT_A_SWING_STORE');
  const exporter = makeSwingStoreExporter(sources.kept.dir);
  t.is(exporter.getHostKV('host.height'), '17');
  t.is((t.throws(() => exporter.getHostKV('kernel.version')) as SwingStoreError).code, 'BAD_KEY');
  t.is((t.throws(() => exporter.getArtifact('nonsense.x')) as SwingStoreError).code, 'BAD_ARTIFACT_NAME');
  const pruned = makeSwingStoreExporter(sources.pruned.dir, { artifactMode: 'debug' });
  const error = await t.throwsAsync(async () => {
    for await (const chunk of pruned.getArtifact('transcript.v1.0.5')) void chunk;
  });
  t.regex(error?.message ?? '', /transcript\.v1\.0\.5/);
  await pruned.close();
  await exporter.close();
  t.is((t.throws(() => exporter.getExportData()[Symbol.iterator]().next()) as SwingStoreError).code, 'CLOSED');
});
