// The bridge device as a SwingSet host uses it (buildBridge, callOutbound,
// deliverInbound, a restart), on Crankshaft; then the same scenario on
// @agoric/swingset-vat in a child process, with the host-visible traffic
// compared exactly. The scenario itself is runBridgeScenario in
// devices-scenarios.ts, with fixtures in test/fixtures/compat/bridge/.
import '@endo/init/debug.js';
import test from 'ava';
import { hostEvents, runBridgeScenario, runOnReference, vatResults, type Traffic } from './devices-scenarios.js';
import { oursApi } from './devices-ours.js';

// One kernel per side for the whole file; the reference runs meanwhile.
const reference = runOnReference('bridge');
reference.catch(() => {});
const ours = runBridgeScenario(oursApi);
ours.catch(() => {});
const deviceFailed = { error: 'syscall.callNow failed: device.invoke failed, see logs for details' };

test('outbound calls reach the host as JSON and return its JSON result, undefined included', async t => {
  const traffic: Traffic = await ours;
  t.deepEqual(
    hostEvents(traffic, 'outbound').map(event => event['args']),
    [
      ['ping', 1, { a: [1, 'x'], b: null }],
      ['bigint', '5', { n: '-7' }], // bigints as decimal strings
      ['undefined'],
      ['throw'],
      ['bigint-result'],
      ['error-result'],
      ['after-restart'],
    ],
  );
  t.deepEqual(vatResults(traffic, 'callOutbound'), [
    { status: 'fulfilled', value: { isUndefined: false, value: { pong: ['ping', 1, { a: [1, 'x'], b: null }] } } },
    { status: 'fulfilled', value: { isUndefined: false, value: { pong: ['bigint', '5', { n: '!-7' }] } } },
    { status: 'fulfilled', value: { isUndefined: true, value: '#undefined' } },
    { status: 'fulfilled', value: deviceFailed }, // the host threw
    { status: 'fulfilled', value: deviceFailed }, // a bigint result is not JSON
    { status: 'fulfilled', value: { isUndefined: false, value: { pong: ['after-restart'] } } },
  ]);
  t.deepEqual(vatResults(traffic, 'typeofOutbound'), [{ status: 'fulfilled', value: { isUndefined: false, value: 'string' } }], 'an Error result arrives as its stack text');
});

test('inbound messages reach the one registered handler in order; without one the host call throws', async t => {
  const traffic = await ours;
  t.deepEqual(vatResults(traffic, 'bootstrap'), [
    { status: 'fulfilled', value: { first: { isUndefined: true, value: '#undefined' }, second: deviceFailed } },
  ]);
  t.deepEqual(hostEvents(traffic, 'deliverInbound before start'), [{ host: 'deliverInbound before start', threw: true }]);
  t.deepEqual(hostEvents(traffic, 'deliverInbound bigint'), [{ host: 'deliverInbound bigint', threw: true }]);
  t.deepEqual(hostEvents(traffic, 'deliverInbound unregistered'), [{ host: 'deliverInbound unregistered', threw: true }]);
  t.deepEqual(
    hostEvents(traffic, 'deliverInbound').map(event => event['threw']),
    [false, false, false],
  );
  t.deepEqual(vatResults(traffic, 'takeInbounds'), [
    { status: 'fulfilled', value: [['channel-1', { list: [true, null], n: 1 }], ['channel-2', 'two', 2]] },
    { status: 'fulfilled', value: [['channel-4']] },
    { status: 'fulfilled', value: [['after-restart', { again: true }]] },
  ]);
});

test('the inbound handler survives a kernel restart', async t => {
  const traffic = await ours;
  const restartAt = traffic.events.findIndex(event => 'host' in event && event.host === 'restarted');
  t.true(restartAt > 0);
  t.deepEqual(traffic.events[restartAt + 1], { host: 'deliverInbound after restart', threw: false });
  t.deepEqual(vatResults(traffic, 'takeInbounds').at(-1), { status: 'fulfilled', value: [['after-restart', { again: true }]] });
});

test('host-visible traffic is exactly what @agoric/swingset-vat gives', async t => {
  const [mine, theirs] = await Promise.all([ours, reference]);
  t.is(mine.events.length, theirs.events.length);
  mine.events.forEach((event, i) => t.deepEqual(event, theirs.events[i], `event ${i}`));
});
