import '@endo/init/debug.js';
import test from 'ava';
import { extractMethod, extractSingleSlot, insistCapData } from '../src/shared/capdata.js';
import { kser, kslot } from '../src/shared/kmarshal.js';

test('extractMethod renders the method as SwingSet does', t => {
  t.is(extractMethod(kser(['describe', []])), 'describe');
  t.is(extractMethod({ body: '#["!bang",[]]', slots: [] }), 'bang');
  t.is(extractMethod({ body: '#["%asyncIterator",[]]', slots: [] }), '[asyncIterator]');
  t.is(extractMethod({ body: '#["#undefined",[]]', slots: [] }), '<funcall>');
  t.is(extractMethod({ body: '#["$0.Alleged: x",[]]', slots: ['ko1'] }), '<unintelligible method>');
  t.is(extractMethod({ body: '["legacy",[]]', slots: [] }), 'legacy');
  t.is(extractMethod({ body: 'not json', slots: [] }), '<unknown>');
});

test('extractSingleSlot finds a lone presence or promise, nothing else', t => {
  t.is(extractSingleSlot(kser(kslot('ko5', 'thing'))), 'ko5');
  t.is(extractSingleSlot(kser(kslot('kp41'))), 'kp41');
  t.is(extractSingleSlot(kser([kslot('ko5', 'thing')])), null);
  t.is(extractSingleSlot(kser(5)), null);
});

test('insistCapData names what is wrong', t => {
  t.notThrows(() => insistCapData({ body: '#1', slots: [] }));
  t.throws(() => insistCapData({ body: 1, slots: [] }, 'resolution data'), { message: /resolution data has non-string .body/ });
  t.throws(() => insistCapData({ body: '#1', slots: [3] }), { message: /all slots must be strings/ });
  t.throws(() => insistCapData(null), { message: /is not a record/ });
});
