// Bad input to the importer: each case must fail with a coded error that
// names the offending key or artifact, and must leave the destination as it
// was (absent stays absent, an existing store stays byte-identical), with no
// staging directory left behind.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';

import { makeSwingStoreExporter } from '../src/exporter.js';
import { importSwingStore } from '../src/importer.js';
import { initSwingStore, openSwingStore } from '../src/swingStore.js';
import { SwingStoreError } from '../src/errors.js';
import type { SwingStoreErrorCode } from '../src/errors.js';
import type { ArtifactMode } from '../src/types.js';
import {
  buildSampleStore,
  makeB0Bundle,
  makeB1Bundle,
  makeTempDir,
  readExport,
  removeDir,
  serveExport,
  snapshotTree,
} from './stateSyncFixture.js';
import type { MaterializedExport, ServedExport } from './stateSyncFixture.js';

let root = '';
let operational: MaterializedExport;
let archival: MaterializedExport;
let b0Name = '';
let b1Name = '';

test.before(async () => {
  root = makeTempDir('import-errors');
  const source = path.join(root, 'source');
  const b0 = makeB0Bundle('40+2');
  const b1 = await makeB1Bundle();
  b0Name = `bundle.${b0.bundleID}`;
  b1Name = `bundle.${b1.bundleID}`;
  await buildSampleStore(source, { bundles: [b0, b1] });
  operational = await readExport(makeSwingStoreExporter(source, { artifactMode: 'operational' }));
  archival = await readExport(makeSwingStoreExporter(source, { artifactMode: 'archival' }));
});

test.after.always(() => removeDir(root));

/** A mutable copy of an export, for tampering. */
function copyOf(exported: MaterializedExport): ServedExport {
  return {
    exportData: exported.exportData.map(([key, value]) => [key, value]),
    artifactNames: [...exported.artifactNames],
    artifacts: new Map([...exported.artifacts].map(([name, bytes]) => [name, Buffer.from(bytes)])),
  };
}

const bytesOf = (served: ServedExport, name: string): Buffer => {
  const bytes = served.artifacts.get(name);
  if (!bytes) throw Error(`fixture lacks artifact ${name}`);
  return Buffer.from(bytes);
};

function setRecord(served: ServedExport, key: string, value: string | null): void {
  const entry = served.exportData.find(([k]) => k === key);
  if (entry) entry[1] = value;
  else served.exportData.push([key, value]);
}

interface BadInput {
  title: string;
  tamper: (served: ServedExport) => void;
  code: SwingStoreErrorCode;
  /** Text the message must contain: the key or artifact at fault. */
  names: string;
  from?: () => MaterializedExport;
  mode?: ArtifactMode;
}

const cases: BadInput[] = [
  {
    title: 'transcript artifact with an altered item',
    tamper: (s) => {
      const bytes = bytesOf(s, 'transcript.v1.11.13');
      bytes[5] = bytes[5] === 0x61 ? 0x62 : 0x61;
      s.artifacts.set('transcript.v1.11.13', bytes);
    },
    code: 'ARTIFACT_HASH_MISMATCH',
    names: 'transcript.v1.11.13',
  },
  {
    title: 'transcript artifact with an extra item',
    tamper: (s) => s.artifacts.set('transcript.v2.3.5', Buffer.concat([bytesOf(s, 'transcript.v2.3.5'), Buffer.from('["extra"]\n')])),
    code: 'ARTIFACT_HASH_MISMATCH',
    names: 'transcript.v2.3.5',
  },
  {
    title: 'transcript artifact truncated by one item',
    tamper: (s) => {
      const text = bytesOf(s, 'transcript.v1.11.13').toString('utf8');
      s.artifacts.set('transcript.v1.11.13', Buffer.from(text.slice(0, text.indexOf('\n') + 1)));
    },
    code: 'TRUNCATED_ARTIFACT',
    names: 'transcript.v1.11.13',
  },
  {
    title: 'transcript artifact truncated mid-item',
    tamper: (s) => {
      const bytes = bytesOf(s, 'transcript.v1.11.13');
      s.artifacts.set('transcript.v1.11.13', bytes.subarray(0, bytes.length - 4));
    },
    code: 'ARTIFACT_HASH_MISMATCH',
    names: 'transcript.v1.11.13',
  },
  {
    title: 'snapshot artifact with a flipped byte',
    tamper: (s) => {
      const bytes = bytesOf(s, 'snapshot.v1.10');
      bytes[100] = (bytes[100] ?? 0) ^ 0xff;
      s.artifacts.set('snapshot.v1.10', bytes);
    },
    code: 'ARTIFACT_HASH_MISMATCH',
    names: 'snapshot.v1.10',
  },
  {
    title: 'snapshot artifact truncated',
    tamper: (s) => s.artifacts.set('snapshot.v2.2', bytesOf(s, 'snapshot.v2.2').subarray(0, 1500)),
    code: 'ARTIFACT_HASH_MISMATCH',
    names: 'snapshot.v2.2',
  },
  {
    title: 'b0 bundle artifact altered',
    tamper: (s) => s.artifacts.set(b0Name, Buffer.from(bytesOf(s, b0Name).toString('utf8').replace('40+2', '41+1'))),
    code: 'BUNDLE_MISMATCH',
    names: b0Name.slice('bundle.'.length),
  },
  {
    title: 'b1 bundle artifact truncated',
    tamper: (s) => s.artifacts.set(b1Name, bytesOf(s, b1Name).subarray(0, 200)),
    code: 'BUNDLE_MISMATCH',
    names: b1Name.slice('bundle.'.length),
  },
  {
    title: 'current span artifact missing',
    tamper: (s) => {
      s.artifactNames = s.artifactNames.filter((name) => name !== 'transcript.v1.11.13');
    },
    code: 'MISSING_ARTIFACT',
    names: 'v1',
  },
  {
    title: 'current snapshot artifact missing',
    tamper: (s) => {
      s.artifactNames = s.artifactNames.filter((name) => name !== 'snapshot.v2.2');
    },
    code: 'MISSING_ARTIFACT',
    names: 'v2',
  },
  {
    title: 'bundle artifact missing',
    tamper: (s) => {
      s.artifactNames = s.artifactNames.filter((name) => name !== b1Name);
    },
    code: 'MISSING_ARTIFACT',
    names: b1Name.slice('bundle.'.length),
  },
  {
    title: 'operational export imported as archival',
    tamper: () => undefined,
    mode: 'archival',
    code: 'MISSING_ARTIFACT',
    names: 'archival',
  },
  {
    title: 'replay needs the closed span of the current incarnation',
    from: () => archival,
    tamper: (s) => {
      s.artifactNames = s.artifactNames.filter((name) => name !== 'transcript.v1.8.11');
    },
    mode: 'replay',
    code: 'MISSING_ARTIFACT',
    names: 'v1',
  },
  {
    title: 'exporter fails while streaming an artifact',
    tamper: (s) => {
      s.failing = new Map([['snapshot.v1.10', Error('disk on fire')]]);
    },
    code: 'MISSING_ARTIFACT',
    names: 'snapshot.v1.10',
  },
  {
    title: 'unknown export-data type',
    tamper: (s) => setRecord(s, 'widget.v1', '{}'),
    code: 'BAD_EXPORT_DATA',
    names: 'widget.v1',
  },
  {
    title: 'transcript record that is not JSON',
    tamper: (s) => setRecord(s, 'transcript.v2.0', '{"vatID":'),
    code: 'BAD_EXPORT_DATA',
    names: 'transcript.v2.0',
  },
  {
    title: 'transcript record without a hash',
    tamper: (s) =>
      setRecord(s, 'transcript.v2.0', JSON.stringify({ vatID: 'v2', startPos: 0, endPos: 3, isCurrent: 0, incarnation: 0 })),
    code: 'BAD_EXPORT_DATA',
    names: 'transcript.v2.0',
  },
  {
    title: 'transcript record whose vatID disagrees with its key',
    tamper: (s) => {
      const value = s.exportData.find(([key]) => key === 'transcript.v2.0')?.[1] ?? '';
      setRecord(s, 'transcript.v2.0', value.replace('"vatID":"v2"', '"vatID":"v1"'));
    },
    code: 'BAD_EXPORT_DATA',
    names: 'transcript.v2.0',
  },
  {
    title: 'transcript record whose current-ness disagrees with its key',
    tamper: (s) => {
      const value = s.exportData.find(([key]) => key === 'transcript.v2.current')?.[1] ?? '';
      setRecord(s, 'transcript.v2.current', value.replace('"isCurrent":1', '"isCurrent":0'));
    },
    code: 'BAD_EXPORT_DATA',
    names: 'transcript.v2.current',
  },
  {
    title: 'two transcript records for one span',
    tamper: (s) => {
      const value = s.exportData.find(([key]) => key === 'transcript.v2.0')?.[1] ?? '';
      setRecord(s, 'transcript.v2.current', value.replace('"isCurrent":0', '"isCurrent":1'));
    },
    code: 'DUPLICATE_RECORD',
    names: 'transcript.v2',
  },
  {
    title: 'snapshot record that is malformed',
    tamper: (s) => setRecord(s, 'snapshot.v2.2', JSON.stringify({ vatID: 'v2', snapPos: 'two', hash: 'x', inUse: 1 })),
    code: 'BAD_EXPORT_DATA',
    names: 'snapshot.v2.2',
  },
  {
    title: 'bundle record whose value is not its ID',
    tamper: (s) => setRecord(s, b0Name, 'b0-0000'),
    code: 'BAD_EXPORT_DATA',
    names: b0Name,
  },
  {
    title: 'kv entry for a local key',
    tamper: (s) => setRecord(s, 'kv.local.secret', 'x'),
    code: 'BAD_EXPORT_DATA',
    names: 'kv.local.secret',
  },
  {
    title: 'export-data entry that is not a pair of strings',
    tamper: (s) => s.exportData.push(['kv.fine', 42 as unknown as string]),
    code: 'BAD_EXPORT_DATA',
    names: 'kv.fine',
  },
  {
    title: 'unknown artifact type',
    tamper: (s) => {
      s.artifactNames.push('widget.v1.0');
      s.artifacts.set('widget.v1.0', Buffer.from('x'));
    },
    code: 'BAD_ARTIFACT_NAME',
    names: 'widget.v1.0',
  },
  {
    title: 'artifact without an export-data record',
    tamper: (s) => {
      s.artifactNames.push('transcript.v9.0.1');
      s.artifacts.set('transcript.v9.0.1', Buffer.from('["x"]\n'));
    },
    code: 'NO_SPAN',
    names: 'transcript.v9.0.1',
  },
  {
    title: 'artifact name whose endPos disagrees with the record',
    tamper: (s) => {
      s.artifactNames = s.artifactNames.map((name) => (name === 'transcript.v2.3.5' ? 'transcript.v2.3.6' : name));
      s.artifacts.set('transcript.v2.3.6', bytesOf(s, 'transcript.v2.3.5'));
    },
    code: 'BAD_ARTIFACT_NAME',
    names: 'transcript.v2.3.6',
  },
];

async function expectFailure(
  t: import('ava').ExecutionContext,
  bad: BadInput,
  destination: string,
): Promise<void> {
  const served = copyOf((bad.from ?? (() => operational))());
  bad.tamper(served);
  const error = await t.throwsAsync(
    importSwingStore(serveExport(served), destination, { artifactMode: bad.mode ?? 'operational' }),
    { instanceOf: SwingStoreError },
  );
  t.is(error?.code, bad.code, error?.message);
  t.true(error?.message.includes(bad.names), `message names ${bad.names}: ${error?.message}`);
  const leftovers = fs.readdirSync(path.dirname(destination)).filter((entry) => entry.includes('.importing-'));
  t.deepEqual(leftovers, [], 'no staging directory left behind');
}

let counter = 0;
const freshParent = (): string => {
  counter += 1;
  const dir = path.join(root, `case-${counter}`);
  fs.mkdirSync(dir);
  return dir;
};

for (const bad of cases) {
  test(`rejects ${bad.title}; no destination appears`, async (t) => {
    const destination = path.join(freshParent(), 'store');
    await expectFailure(t, bad, destination);
    t.false(fs.existsSync(destination));
  });
}

test('an existing store at the destination survives every failed import unchanged', async (t) => {
  const destination = path.join(freshParent(), 'store');
  const existing = initSwingStore(destination);
  existing.kernelStorage.kvStore.set('precious', 'data');
  await existing.hostStorage.commit();
  await existing.hostStorage.close();
  const before = snapshotTree(destination);
  for (const bad of cases) {
    await expectFailure(t, bad, destination);
    t.deepEqual(snapshotTree(destination), before, bad.title);
  }
  const reopened = openSwingStore(destination, { readonly: true });
  t.is(reopened.hostStorage.kvStore.get('precious'), 'data');
  await reopened.hostStorage.close();
});

test('rejects an invalid artifactMode before touching the disk', async (t) => {
  const destination = path.join(freshParent(), 'store');
  const error = await t.throwsAsync(
    importSwingStore(serveExport(copyOf(operational)), destination, { artifactMode: 'everything' as ArtifactMode }),
    { instanceOf: SwingStoreError },
  );
  t.is(error?.code, 'BAD_MODE');
  t.true(error?.message.includes('everything'));
  t.deepEqual(fs.readdirSync(path.dirname(destination)), []);
});

test('a failed in-memory import reports the same error', async (t) => {
  const served = copyOf(operational);
  served.artifactNames = served.artifactNames.filter((name) => name !== 'transcript.v1.11.13');
  const error = await t.throwsAsync(importSwingStore(serveExport(served), null), { instanceOf: SwingStoreError });
  t.is(error?.code, 'MISSING_ARTIFACT');
});

test('the untampered export imports fine (the cases above fail for their reason)', async (t) => {
  const destination = path.join(freshParent(), 'store');
  const exporter = serveExport(copyOf(operational));
  const { hostStorage } = await importSwingStore(exporter, destination);
  t.true(exporter.closed(), 'the importer closes the exporter on success');
  await hostStorage.close();
  const again = await readExport(makeSwingStoreExporter(destination));
  t.deepEqual(again.exportData, operational.exportData);
});
