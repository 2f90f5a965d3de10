// The command device as a SwingSet host uses it (buildCommand,
// inboundCommand promises, broadcasts, a restart), on Crankshaft; then the
// same scenario on @agoric/swingset-vat in a child process, with the
// host-visible traffic compared exactly. The scenario is runCommandScenario
// in devices-scenarios.ts, with fixtures in test/fixtures/compat/command/.
import '@endo/init/debug.js';
import test from 'ava';
import { hostEvents, runCommandScenario, runOnReference, vatResults } from './devices-scenarios.js';
import { oursApi } from './devices-ours.js';

const reference = runOnReference('command');
reference.catch(() => {});
const ours = runCommandScenario(oursApi);
ours.catch(() => {});

test('requests are numbered from 0n and their promises settle as the vat answers', async t => {
  const traffic = await ours;
  const [afterFirstRun, afterLater, afterSecond, afterRestart] = hostEvents(traffic, 'settled');
  t.like(afterFirstRun, {
    now: { fulfilled: { echo: { kind: 'now', n: 1 } } },
    reject: { rejected: { why: 'refused' } },
    undefined: { fulfilled: { undefined: true } },
    later: 'pending',
    bigint: 'pending', // the vat's answer was not JSON: logged, never delivered
    broadcast: { fulfilled: 'broadcast sent' },
  });
  t.deepEqual(vatResults(traffic, 'answerPending'), [{ status: 'fulfilled', value: ['+3'] }]);
  t.like(afterLater, { later: { fulfilled: { late: true } }, bigint: 'pending' });
  t.like(afterSecond, { second: { fulfilled: { echo: { kind: 'now', n: 2 } } } });
  t.like(afterRestart, { 'after-restart': { fulfilled: { echo: { kind: 'now', n: 3 } } } });
  t.deepEqual(vatResults(traffic, 'takeRequests')[0], {
    status: 'fulfilled',
    value: [
      ['first', '+0', { kind: 'now', n: 1 }],
      ['first', '+1', { kind: 'reject' }],
      ['first', '+2', { kind: 'undefined' }],
      ['first', '+3', { kind: 'later', n: 4 }],
      ['first', '+4', { kind: 'bigint' }],
      ['first', '+5', { kind: 'broadcast', news: 'hello' }],
      ['second', '+6', { kind: 'now', n: 2 }], // a replaced handler gets the rest
    ],
  });
});

test('broadcasts reach the host as JSON, in order', async t => {
  const traffic = await ours;
  t.deepEqual(hostEvents(traffic, 'broadcast'), [
    { host: 'broadcast', obj: { from: 'first', news: 'hello' } },
    { host: 'broadcast', obj: { direct: [1, 2, 3] } },
  ]);
  t.deepEqual(vatResults(traffic, 'broadcast'), [{ status: 'fulfilled', value: '#undefined' }]);
});

test('the handler survives a kernel restart and a new host counts from 0n again', async t => {
  const traffic = await ours;
  t.deepEqual(vatResults(traffic, 'takeRequests')[1], { status: 'fulfilled', value: [['second', '+0', { kind: 'now', n: 3 }]] });
});

test('host-visible traffic is exactly what @agoric/swingset-vat gives', async t => {
  const [mine, theirs] = await Promise.all([ours, reference]);
  t.is(mine.events.length, theirs.events.length);
  mine.events.forEach((event, i) => t.deepEqual(event, theirs.events[i], `event ${i}`));
});
