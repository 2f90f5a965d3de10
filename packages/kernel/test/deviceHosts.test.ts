// The JSON-boundary helpers of the bridge, command and plugin devices
// (src/devices/jsonable.ts) and the host halves' own checks, without a
// kernel: a fake device registers its callbacks as the real one does.
import test from 'ava';
import { copyAsJson, copyAsJsonBigintsAsStrings, outboundResult, toNatural } from '../src/devices/jsonable.js';
import { buildBridge } from '../src/devices/bridgeDevice.js';
import { buildCommand } from '../src/devices/commandDevice.js';
import { buildPlugin } from '../src/devices/pluginDevice.js';

test('copyAsJson copies through JSON and refuses bigints', t => {
  const original = { a: [1, 'x', null], b: { c: true }, gone: undefined };
  const copy = copyAsJson(original);
  t.deepEqual(copy, { a: [1, 'x', null], b: { c: true } });
  t.not(copy, original);
  t.is(copyAsJson(undefined), undefined);
  t.throws(() => copyAsJson([1n]), { instanceOf: TypeError });
});

test('copyAsJsonBigintsAsStrings turns bigints into decimal strings', t => {
  t.deepEqual(copyAsJsonBigintsAsStrings(['n', 5n, { m: -7n }]), ['n', '5', { m: '-7' }]);
  t.is(copyAsJsonBigintsAsStrings(undefined), undefined);
});

test('outboundResult keeps undefined, gives an Error as its stack, refuses bigints', t => {
  t.is(outboundResult(undefined), undefined);
  const err = Error('boom');
  t.is(outboundResult(err), err.stack);
  t.deepEqual(outboundResult({ x: [1] }), { x: [1] });
  t.throws(() => outboundResult(3n), { instanceOf: TypeError });
});

test('toNatural accepts non-negative integers and bigints only', t => {
  t.is(toNatural(0, 'n'), 0n);
  t.is(toNatural(7n, 'n'), 7n);
  for (const bad of [-1, 1.5, -1n, '1', Number.MAX_SAFE_INTEGER + 1]) {
    t.throws(() => toNatural(bad, 'count'), { message: /count must be a non-negative integer/ });
  }
});

test('buildBridge: deliverInbound needs the device, the device registers once, outbound args are JSON', t => {
  const seen: unknown[][] = [];
  const bridge = buildBridge((...args) => {
    seen.push(args);
    return 'answer';
  });
  t.throws(() => bridge.deliverInbound('x'), { message: /inboundCallback not yet registered/ });
  const delivered: unknown[][] = [];
  bridge.endowments.registerInboundCallback((...args) => delivered.push(args));
  t.throws(() => bridge.endowments.registerInboundCallback(() => {}), { message: /already registered/ });
  t.is(bridge.deliverInbound('a', 1), undefined);
  t.deepEqual(delivered, [['a', 1]]);
  t.is(bridge.endowments.callOutbound('b', 2n), 'answer');
  t.deepEqual(seen, [['b', '2']]);
  t.throws(() => buildBridge(undefined as never), { message: /outboundCallback must be a function/ });
});

test('buildCommand: requests count from 0n, responses settle them once, broadcasts parse JSON', async t => {
  const broadcasts: unknown[] = [];
  const command = buildCommand(obj => broadcasts.push(obj));
  t.throws(() => command.inboundCommand({}), { message: /before registerInboundCallback/ });
  const requests: [bigint, string][] = [];
  command.endowments.registerInboundCallback((count, body) => {
    if (body === '"refuse"') throw Error('no handler');
    requests.push([count, body]);
  });
  const first = command.inboundCommand({ q: 1 });
  const second = command.inboundCommand(['q', 2]);
  const refused = command.inboundCommand('refuse');
  t.deepEqual(requests, [
    [0n, '{"q":1}'],
    [1n, '["q",2]'],
  ]);
  await t.throwsAsync(refused, { message: 'no handler' });
  command.endowments.deliverResponse(1n, true, '{"why":"no"}');
  command.endowments.deliverResponse(0, false, undefined);
  t.is(await first, undefined);
  t.deepEqual(await second.then(() => 'fulfilled', (reason: unknown) => reason), { why: 'no' });
  t.throws(() => command.endowments.deliverResponse(0n, false, '1'), { message: /unknown response index 0/ });
  command.endowments.sendBroadcast('{"news":[1]}');
  t.deepEqual(broadcasts, [{ news: [1] }]);
  t.throws(() => buildCommand(undefined as never), { message: /broadcastCallback must be provided/ });
});

test('buildPlugin: reset runs the device resetter once per registration', t => {
  let resets = 0;
  const plugin = buildPlugin('/plugins', async () => ({}), () => {});
  plugin.reset(); // nothing registered yet
  plugin.endowments.registerResetter(() => {
    resets += 1;
  });
  plugin.reset();
  plugin.reset();
  t.is(resets, 1);
  t.is(plugin.endowments.getPluginDir(), '/plugins');
  t.throws(() => buildPlugin('/p', undefined as never, () => {}), { message: /importPlugin must be a function/ });
});
