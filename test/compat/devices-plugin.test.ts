// The plugin device as ag-solo uses it (buildPlugin, a host module spoken
// to over CapTP, queueThunkForKernel, reset() after a restart), on
// Crankshaft; then the same scenario on @agoric/swingset-vat in a child
// process, with the host-visible traffic (including every CapTP message
// the vat received) compared exactly. The scenario is runPluginScenario in
// devices-scenarios.ts, with fixtures in test/fixtures/compat/plugin/.
import '@endo/init/debug.js';
import test from 'ava';
import { compatFixturesDir, hostEvents, runOnReference, runPluginScenario, vatResults } from './devices-scenarios.js';
import { oursApi } from './devices-ours.js';
import path from 'node:path';

const reference = runOnReference('plugin');
reference.catch(() => {});
const ours = runPluginScenario(oursApi);
ours.catch(() => {});

type Received = [kind: string, index: number, detail: unknown];

test('a vat calls a host plugin module over CapTP through the device', async t => {
  const traffic = await ours;
  t.deepEqual(vatResults(traffic, 'bootstrap'), [
    {
      status: 'fulfilled',
      value: { pluginDir: path.join(compatFixturesDir, 'plugin'), second: 'syscall.callNow failed: device.invoke failed, see logs for details' },
    },
  ]);
  t.deepEqual(hostEvents(traffic, 'reset before start'), [{ host: 'reset before start', threw: false }]);
  t.deepEqual(vatResults(traffic, 'connect'), [{ status: 'fulfilled', value: 0 }]);
  t.deepEqual(
    vatResults(traffic, 'increment').map(r => r.value),
    [5, 7, 17],
  );
  t.deepEqual(vatResults(traffic, 'read').map(r => r.value), [7, 17]);
  t.deepEqual(vatResults(traffic, 'sendToNowhere'), [
    { status: 'fulfilled', value: 'syscall.callNow failed: device.invoke failed, see logs for details' },
  ]);
  const [before] = vatResults(traffic, 'takeReceived');
  const received = before?.value as Received[];
  t.true(received.every(([kind, index]) => kind === 'dispatch' && index === 0));
  t.true(received.every(([, , obj]) => (obj as { epoch: number }).epoch === 0), 'the first connection is epoch 0');
});

test('after a restart, reset() announces the next epoch and the state kept in the device survives', async t => {
  const traffic = await ours;
  t.deepEqual(hostEvents(traffic, 'import'), [
    { host: 'import', mod: 'plugin-counter' },
    { host: 'import', mod: 'plugin-counter' }, // reconnected after the restart
  ]);
  const after = vatResults(traffic, 'takeReceived')[1]?.value as Received[];
  t.deepEqual(after[0], ['reset', 0, 1], 'reset() runs once, with the next epoch');
  t.is(after.filter(([kind]) => kind === 'reset').length, 1);
  t.true(after.slice(1).every(([kind, , obj]) => kind === 'dispatch' && (obj as { epoch: number }).epoch === 1));
  t.deepEqual(vatResults(traffic, 'increment').at(-1), { status: 'fulfilled', value: 17 }, 'the count continued from 7');
});

test('host-visible traffic is exactly what @agoric/swingset-vat gives', async t => {
  const [mine, theirs] = await Promise.all([ours, reference]);
  t.is(mine.events.length, theirs.events.length);
  mine.events.forEach((event, i) => t.deepEqual(event, theirs.events[i], `event ${i}`));
});
