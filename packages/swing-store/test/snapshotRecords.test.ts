import test from 'ava';
import {
  currentSnapshotKey,
  encodeSnapshotRecord,
  parseSnapshotKey,
  parseSnapshotRecord,
  snapshotName,
} from '../src/snapshotRecords.js';

const hash = 'e7dee7266896538616b630a5da40a90e007726a383e005a9c9c5dd0c2daf9329';

test('names and the record JSON field order', (t) => {
  t.is(snapshotName('v1', 5), 'snapshot.v1.5');
  t.is(currentSnapshotKey('v1'), 'snapshot.v1.current');
  // Field order comes from the encoder, not from the argument object.
  t.is(
    encodeSnapshotRecord({ inUse: 0, hash, snapPos: 5, vatID: 'v1' }),
    `{"vatID":"v1","snapPos":5,"hash":"${hash}","inUse":0}`,
  );
});

test('parseSnapshotKey', (t) => {
  t.deepEqual(parseSnapshotKey('snapshot.v1.12', 'artifact name', false), { kind: 'record', vatID: 'v1', snapPos: 12 });
  t.deepEqual(parseSnapshotKey('snapshot.v1.current', 'export-data key', true), { kind: 'current', vatID: 'v1' });
  t.throws(() => parseSnapshotKey('snapshot.v1.current', 'artifact name', false), { message: /pointer/ });
  for (const bad of ['snapshot.v1', 'snapshot.v1.2.3', 'transcript.v1.2', 'snapshot..2', 'snapshot.v1.02', 'snapshot.v1.-1', 'snapshot.v1.1e3']) {
    t.throws(() => parseSnapshotKey(bad, 'artifact name', false), { message: new RegExp(bad.replace(/\./g, '\\.')) }, bad);
  }
});

test('parseSnapshotRecord round-trips encodeSnapshotRecord', (t) => {
  const rec = { vatID: 'v3', snapPos: 40, hash, inUse: 1 as const };
  t.deepEqual(parseSnapshotRecord('snapshot.v3.40', encodeSnapshotRecord(rec)), rec);
  t.throws(() => parseSnapshotRecord('snapshot.v3.40', '[1]'), { message: /snapshot\.v3\.40.*not a JSON object/ });
  t.throws(() => parseSnapshotRecord('snapshot.v3.40', encodeSnapshotRecord({ ...rec, hash: hash.toUpperCase() })), {
    message: /hash/,
  });
});
