import test from 'ava';
import {
  parseSpanArtifactName,
  parseSpanExportKey,
  parseSpanRecord,
  spanArtifactName,
  spanExportKey,
  spanRecordJSON,
  splitSpanItems,
} from '../src/transcriptFormats.js';

const codeIs = (code: string): object => ({ code });
const hash = 'ab'.repeat(32);

test('names and keys', t => {
  t.is(spanArtifactName('v1', 0, 5), 'transcript.v1.0.5');
  t.is(spanExportKey('v1', 3, true), 'transcript.v1.current');
  t.is(spanExportKey('v1', 3, false), 'transcript.v1.3');
  t.deepEqual(parseSpanArtifactName('transcript.v12.10.20'), { vatID: 'v12', startPos: 10, endPos: 20 });
  for (const bad of ['transcript.v1.0', 'transcript.v1.1.0', 'transcript..0.1', 'snapshot.v1.0.1', 'transcript.v1.01.2', 'transcript.v1.-1.2', 'transcript.v1.0.1.2']) {
    t.throws(() => parseSpanArtifactName(bad), codeIs('BAD_ARTIFACT_NAME'), bad);
  }
  t.deepEqual(parseSpanExportKey('transcript.v1.current'), { vatID: 'v1', startPos: 'current' });
  t.deepEqual(parseSpanExportKey('transcript.v1.7'), { vatID: 'v1', startPos: 7 });
  t.throws(() => parseSpanExportKey('transcript.v1.7.9'), codeIs('BAD_EXPORT_DATA'));
});

test('record JSON has a fixed field order and round-trips', t => {
  const json = spanRecordJSON({ incarnation: 2, isCurrent: 0, hash, endPos: 9, startPos: 4, vatID: 'v1' } as never);
  t.is(json, `{"vatID":"v1","startPos":4,"endPos":9,"hash":"${hash}","isCurrent":0,"incarnation":2}`);
  t.deepEqual(parseSpanRecord('transcript.v1.4', json), {
    vatID: 'v1',
    startPos: 4,
    endPos: 9,
    hash,
    isCurrent: 0,
    incarnation: 2,
  });
  // Booleans are accepted and normalized to 1/0.
  const asBool = JSON.stringify({ vatID: 'v1', startPos: 9, endPos: 9, hash, isCurrent: true, incarnation: 2 });
  t.is(parseSpanRecord('transcript.v1.current', asBool).isCurrent, 1);
  t.throws(() => parseSpanRecord('transcript.v1.4', json.replace('"isCurrent":0', '"isCurrent":2')), codeIs('BAD_EXPORT_DATA'));
  t.throws(() => parseSpanRecord('transcript.v1.4', json.replace(hash, 'XYZ')), codeIs('BAD_EXPORT_DATA'));
});

async function collect(chunks: Uint8Array[]): Promise<string[]> {
  const items: string[] = [];
  for await (const item of splitSpanItems(chunks)) items.push(item);
  return items;
}

test('splitSpanItems handles chunk boundaries anywhere', async t => {
  const text = 'a\n€uro\n\n{"d":1}\n';
  const bytes = Buffer.from(text);
  const expected = ['a', '€uro', '', '{"d":1}'];
  for (let size = 1; size <= bytes.length; size += 1) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    t.deepEqual(await collect(chunks), expected, `chunk size ${size}`);
  }
  t.deepEqual(await collect([]), []);
  t.deepEqual(await collect([Buffer.from('x\ny')]), ['x', 'y']);
  t.deepEqual(await collect([Buffer.from('keep trailing space \n')]), ['keep trailing space ']);
});
