// The comms wire format (vats/comms/wire.ts): SwingSet's exact message
// shapes, encoded and decoded.
import test from 'ava';
import {
  decodeDeliver,
  decodeFrame,
  decodeGC,
  decodeResolve,
  encodeDeliver,
  encodeFrame,
  encodeGC,
  encodeResolve,
  flipRemoteRef,
  makeRemoteRef,
  parseRemoteRef,
  commandOf,
} from '../vats/comms/wire.js';

test('remote refs: parse, make, flip', t => {
  t.deepEqual(parseRemoteRef('ro+20'), { type: 'object', allocatedByRecipient: true, id: 20n });
  t.deepEqual(parseRemoteRef('rp-41'), { type: 'promise', allocatedByRecipient: false, id: 41n });
  t.is(makeRemoteRef('object', false, 0), 'ro-0');
  t.is(flipRemoteRef('ro-20'), 'ro+20');
  t.is(flipRemoteRef('rp+3'), 'rp-3');
  for (const bad of ['o+1', 'ro*1', 'rr+1', 'ro+', 'ro+-1', 'ro+1x']) {
    t.throws(() => parseRemoteRef(bad), { message: /not a remote ref/ }, bad);
  }
});

test('frames carry seqNum, ack and body; the body may hold colons', t => {
  const text = encodeFrame(3, 2, 'deliver:ro+0:;#["x",["a:b"]]');
  t.is(text, '3:2:deliver:ro+0:;#["x",["a:b"]]');
  t.deepEqual(decodeFrame(text), { seqNum: '3', ackSeqNum: 2, body: 'deliver:ro+0:;#["x",["a:b"]]' });
  t.deepEqual(decodeFrame(encodeFrame('', 0, 'gc:dropExport:ro+1')), { seqNum: '', ackSeqNum: 0, body: 'gc:dropExport:ro+1' });
  t.throws(() => decodeFrame('nocolons'), { message: /seqNum delimiter/ });
  t.throws(() => decodeFrame('1:x:deliver'), { message: /bad ackSeqNum/ });
  t.is(commandOf('resolve:fulfill:rp+1;#1'), 'resolve');
});

test('deliver: target, result, slots, then the methargs body after the first semicolon', t => {
  const delivery = { target: 'ro+0', result: 'rp-43', methargs: { body: '#["callMeBack",["$0.Alleged: carol",7]];x', slots: ['ro-20'] } };
  const text = encodeDeliver(delivery);
  t.is(text, 'deliver:ro+0:rp-43:ro-20;#["callMeBack",["$0.Alleged: carol",7]];x');
  t.deepEqual(decodeDeliver(text), delivery);
  const sendOnly = { target: 'ro-5', result: '', methargs: { body: '#["ping",[]]', slots: [] } };
  t.is(encodeDeliver(sendOnly), 'deliver:ro-5:;#["ping",[]]');
  t.deepEqual(decodeDeliver(encodeDeliver(sendOnly)), sendOnly);
  t.throws(() => decodeDeliver('deliver:ro+0:'), { message: /semicolon/ });
  t.throws(() => decodeDeliver('deliver:ro+0:ro+1;#1'), { message: /not a promise/ });
});

test('resolve: one line per promise, fulfill or reject', t => {
  const resolutions = [
    { rpid: 'rp+44', rejected: false, data: { body: '#"$0.Alleged: thing"', slots: ['ro-21'] } },
    { rpid: 'rp+46', rejected: true, data: { body: '#{"#error":"bob says no","name":"Error"}', slots: [] } },
  ];
  const text = encodeResolve(resolutions);
  t.is(text, 'resolve:fulfill:rp+44:ro-21;#"$0.Alleged: thing"\nresolve:reject:rp+46;#{"#error":"bob says no","name":"Error"}');
  t.deepEqual(decodeResolve(text), resolutions);
  t.throws(() => decodeResolve('resolve:maybe:rp+1;#1'), { message: /malformed resolve/ });
  t.throws(() => decodeResolve('resolve:fulfill:ro+1;#1'), { message: /non-promise/ });
});

test('gc: one line per action', t => {
  const actions = [
    { kind: 'dropExport' as const, rref: 'ro+20' },
    { kind: 'retireExport' as const, rref: 'ro+20' },
    { kind: 'retireImport' as const, rref: 'ro-21' },
  ];
  const text = encodeGC(actions);
  t.is(text, 'gc:dropExport:ro+20\ngc:retireExport:ro+20\ngc:retireImport:ro-21');
  t.deepEqual(decodeGC(text), actions);
  t.throws(() => decodeGC('gc:forget:ro+1'), { message: /unknown gc type/ });
  t.throws(() => decodeGC('gc:dropExport:rp+1'), { message: /non-object/ });
});
