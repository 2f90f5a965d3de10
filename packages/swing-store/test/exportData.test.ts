// Unit tests of the pure state-sync format helpers.
import test from 'ava';

import { SwingStoreError } from '../src/errors.js';
import {
  artifactTag,
  checkExportDataEntry,
  collectExportData,
  exportDataTag,
  firstSegment,
  forEachOf,
  isConsensusKey,
  kvKeyOfExportKey,
  withSubject,
} from '../src/exportData.js';
import { assertArtifactMode, isArtifactMode } from '../src/assertComplete.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof SwingStoreError ? error.code : 'not coded';
  }
  return undefined;
};

test('key and name families', (t) => {
  t.is(firstSegment('transcript.v1.0.5'), 'transcript');
  t.is(firstSegment('nodot'), 'nodot');
  t.is(exportDataTag('kv.a.b'), 'kv');
  t.is(exportDataTag('bundle.b1-00'), 'bundle');
  t.is(codeOf(() => exportDataTag('kvx.a')), 'BAD_EXPORT_DATA');
  t.is(codeOf(() => exportDataTag('')), 'BAD_EXPORT_DATA');
  t.is(artifactTag('snapshot.v1.4'), 'snapshot');
  t.is(codeOf(() => artifactTag('kv.a')), 'BAD_ARTIFACT_NAME', 'kv entries are never artifacts');
});

test('consensus kv keys', (t) => {
  t.true(isConsensusKey('kernel.x'));
  t.true(isConsensusKey('hostile'), 'only the "host." prefix is special');
  t.false(isConsensusKey('host.x'));
  t.false(isConsensusKey('local.x'));
  t.is(kvKeyOfExportKey('kv.kernel.x'), 'kernel.x');
  t.is(kvKeyOfExportKey('kv.€'), '€');
  t.is(codeOf(() => kvKeyOfExportKey('kv.')), 'BAD_EXPORT_DATA');
  t.is(codeOf(() => kvKeyOfExportKey('kv.host.h')), 'BAD_EXPORT_DATA');
});

test('entries are validated at the boundary', (t) => {
  t.deepEqual(checkExportDataEntry(['k', 'v']), ['k', 'v']);
  t.deepEqual(checkExportDataEntry(['k', null]), ['k', null]);
  t.deepEqual(checkExportDataEntry(['k', undefined]), ['k', null]);
  t.deepEqual(checkExportDataEntry(['k']), ['k', null]);
  for (const bad of [null, 'k', [], ['k', 'v', 'extra'], [1, 'v'], ['k', 1], ['k', {}]]) {
    t.is(codeOf(() => checkExportDataEntry(bad)), 'BAD_EXPORT_DATA', JSON.stringify(bad));
  }
});

test('collectExportData: kv in order, metadata de-duplicated, nullish deletes', async (t) => {
  const seen: Array<[string, string | null]> = [];
  const metadata = await collectExportData(
    (async function* entries() {
      yield ['kv.a', '1'];
      yield ['snapshot.v1.2', 'first'];
      yield ['kv.a', null];
      yield ['snapshot.v1.2', 'second'];
      yield ['transcript.v1.0', 'gone'];
      yield ['transcript.v1.0', null];
      yield ['bundle.b0-1', 'b0-1'];
    })(),
    (key, value) => {
      seen.push([key, value]);
    },
  );
  t.deepEqual(seen, [
    ['a', '1'],
    ['a', null],
  ]);
  t.deepEqual([...metadata], [
    ['snapshot.v1.2', 'second'],
    ['bundle.b0-1', 'b0-1'],
  ]);
});

test('forEachOf walks sync iterables without awaiting each step', async (t) => {
  const order: string[] = [];
  const walking = forEachOf(['a', 'b'], (x) => {
    order.push(x);
  });
  order.push('after call');
  await walking;
  t.deepEqual(order, ['a', 'b', 'after call']);
  const asyncOrder: number[] = [];
  await forEachOf(
    (async function* numbers() {
      yield 1;
      yield 2;
    })(),
    async (n) => {
      asyncOrder.push(n);
    },
  );
  t.deepEqual(asyncOrder, [1, 2]);
});

test('withSubject names the subject once and keeps codes', (t) => {
  const plain = withSubject(new SyntaxError('Unexpected end'), 'BAD_EXPORT_DATA', 'export-data key', 'snapshot.v1.2');
  t.is(plain.code, 'BAD_EXPORT_DATA');
  t.is(plain.message, 'export-data key "snapshot.v1.2": Unexpected end');
  t.true(plain.cause instanceof SyntaxError);
  const coded = new SwingStoreError('NO_SPAN', 'no span for transcript.v1.0.5');
  t.is(withSubject(coded, 'BAD_ARTIFACT', 'artifact', 'transcript.v1.0.5'), coded, 'already named: unchanged');
  const renamed = withSubject(coded, 'BAD_ARTIFACT', 'artifact', 'snapshot.v9.1');
  t.is(renamed.code, 'NO_SPAN');
  t.true(renamed.message.startsWith('artifact "snapshot.v9.1": '));
});

test('artifact modes', (t) => {
  for (const mode of ['operational', 'replay', 'archival', 'debug']) t.true(isArtifactMode(mode));
  for (const mode of ['Operational', '', undefined, 3]) t.false(isArtifactMode(mode));
  t.is(codeOf(() => assertArtifactMode('full')), 'BAD_MODE');
});
