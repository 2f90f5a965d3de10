import test from 'ava';
import {
  decodeTranscriptEntry,
  encodeTranscriptEntry,
  isPseudoDelivery,
  makeDeliveryEntry,
  makeInitializeWorkerEntry,
  makeLoadSnapshotEntry,
  makeSaveSnapshotEntry,
  makeShutdownWorkerEntry,
  transcriptResultFromDelivery,
} from '../src/transcriptEntry.js';
import { VatWarehouseError } from '../src/errors.js';

const where = { vatID: 'v1', position: 7 };

test('pseudo-deliveries have the reference shapes and text', t => {
  const init = makeInitializeWorkerEntry('b1-abc', { type: 'local' });
  t.is(
    encodeTranscriptEntry(init),
    '{"d":["initialize-worker",{"source":{"bundleID":"b1-abc"},"workerOptions":{"type":"local"}}],"sc":[],"r":{"status":"ok"}}',
  );
  t.is(
    encodeTranscriptEntry(makeSaveSnapshotEntry('ff00')),
    '{"d":["save-snapshot"],"sc":[],"r":{"status":"ok","snapshotID":"ff00"}}',
  );
  t.is(
    encodeTranscriptEntry(makeLoadSnapshotEntry('ff00')),
    '{"d":["load-snapshot",{"snapshotID":"ff00"}],"sc":[],"r":{"status":"ok"}}',
  );
  t.is(encodeTranscriptEntry(makeShutdownWorkerEntry()), '{"d":["shutdown-worker"],"sc":[],"r":{"status":"ok"}}');
  t.true(isPseudoDelivery(init.d));
  t.false(isPseudoDelivery(['bringOutYourDead']));
});

test('delivery results: metering only for ok deliveries that report it', t => {
  t.deepEqual(transcriptResultFromDelivery({ status: 'ok', metering: { computrons: 42 } }), {
    status: 'ok',
    metering: { computrons: 42 },
  });
  t.deepEqual(transcriptResultFromDelivery({ status: 'ok' }), { status: 'ok' });
  t.deepEqual(transcriptResultFromDelivery({ status: 'error', error: 'boom', metering: { computrons: 1 } }), {
    status: 'error',
  });
});

test('a delivery entry round-trips', t => {
  const entry = makeDeliveryEntry(
    ['message', 'o+0', { methargs: { body: '#["ping",[1]]', slots: [] }, result: 'p-60' }],
    [{ s: ['resolve', [['p-60', false, { body: '#1', slots: [] }]]], r: ['ok', null] }],
    { status: 'ok', metering: { computrons: 9 } },
  );
  const text = encodeTranscriptEntry(entry);
  t.deepEqual(decodeTranscriptEntry(text, where), entry);
});

test('decode rejects malformed entries and names the vat and position', t => {
  const bad = (text: string, why: RegExp): void => {
    const err = t.throws(() => decodeTranscriptEntry(text, where), { instanceOf: VatWarehouseError });
    t.is(err?.code, 'BAD_TRANSCRIPT_ENTRY');
    t.regex(err?.message ?? '', /^transcript entry v1 #7: /);
    t.regex(err?.message ?? '', why);
  };
  bad('{', /not JSON/);
  bad('[]', /not a JSON object/);
  bad('{"d":[],"sc":[],"r":{"status":"ok"}}', /"d" must be/);
  bad('{"d":["startVat",{}],"sc":{},"r":{"status":"ok"}}', /"sc" must be an array/);
  bad('{"d":["bringOutYourDead"],"sc":[{"s":"x","r":["ok",null]}],"r":{"status":"ok"}}', /sc\[0\]\.s/);
  bad('{"d":["bringOutYourDead"],"sc":[{"s":["send"],"r":["maybe"]}],"r":{"status":"ok"}}', /sc\[0\]\.r/);
  bad('{"d":["bringOutYourDead"],"sc":[],"r":{"status":"fine"}}', /"r" must be/);
  bad('{"d":["initialize-worker",{"source":{}}],"sc":[],"r":{"status":"ok"}}', /source\.bundleID/);
  bad('{"d":["load-snapshot"],"sc":[],"r":{"status":"ok"}}', /snapshotID/);
  bad('{"d":["save-snapshot",1],"sc":[],"r":{"status":"ok"}}', /takes no payload/);
});
