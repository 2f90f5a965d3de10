// Side-neutral host scenarios for the bridge, command and plugin devices:
// each drives a kernel the way a SwingSet host does (initializeSwingset,
// makeSwingsetController, the device's build* function, a restart from the
// same store) and records everything the host sees, in order. The compat
// tests run a scenario on @crankshaft/kernel in the test process and on
// @agoric/swingset-vat in a child process (drive-reference-devices.js;
// each side locks down its own realm) and compare the two records.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export type Side = 'ours' | 'reference';
export type ScenarioName = 'bridge' | 'command' | 'plugin';

interface CapDataLike {
  body: string;
  slots: string[];
}

/** The controller methods the scenarios use (same names on both sides). */
export interface ControllerLike {
  run(): Promise<number>;
  queueToVatRoot(vatName: string, method: string, args: unknown[], resultPolicy?: string): string | undefined;
  kpStatus(kpid: string): string;
  kpResolution(kpid: string): CapDataLike;
  shutdown(): Promise<void>;
}

export interface StoreLike {
  kernelStorage: unknown;
  hostStorage: { commit(): Promise<void>; close(): Promise<void> };
}

interface BridgeLike {
  srcPath: string;
  endowments: unknown;
  deliverInbound(...args: unknown[]): void;
}
interface CommandLike {
  srcPath: string;
  endowments: unknown;
  inboundCommand(obj: unknown): Promise<unknown>;
}
interface PluginLike {
  srcPath: string;
  endowments: unknown;
  reset(): void;
}

/** What a SwingSet host imports, supplied by each side. */
export interface DevicesHostApi {
  side: Side;
  initSwingStore(dir: string): StoreLike;
  openSwingStore(dir: string): StoreLike;
  /** initializeSwingset(config, [], kernelStorage, this side's options) */
  initialize(config: Record<string, unknown>, kernelStorage: unknown): Promise<unknown>;
  /** makeSwingsetController(kernelStorage, deviceEndowments, this side's runtime options) */
  makeController(kernelStorage: unknown, deviceEndowments: Record<string, unknown>): Promise<ControllerLike>;
  buildBridge(outboundCallback: (...args: unknown[]) => unknown): BridgeLike;
  buildCommand(broadcastCallback: (obj: unknown) => void): CommandLike;
  buildPlugin(pluginDir: string, importPlugin: (mod: string) => Promise<unknown>, queueThunkForKernel: (thunk: () => void) => void): PluginLike;
}

/** One thing the host saw. Vat results are the raw kernel capdata body. */
export type TrafficEvent =
  | { vatCall: string; args: unknown[]; status: string; body?: string }
  | { host: string; [detail: string]: unknown };

export interface Traffic {
  scenario: ScenarioName;
  events: TrafficEvent[];
}

const compiledDir = path.dirname(fileURLToPath(import.meta.url));
const testDir = path.resolve(compiledDir, '..', '..');
export const compatFixturesDir = path.join(testDir, 'fixtures', 'compat');

/** JSON text with bigints tagged, so both sides' records compare as data. */
export const toRecordable = (value: unknown): unknown =>
  value === undefined
    ? { undefined: true }
    : (JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) as unknown);

function loadConfig(scenario: ScenarioName, deviceName: string, srcPath: string, bundleCachePath: string): Record<string, unknown> {
  const dir = path.join(compatFixturesDir, scenario);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const vats = config['vats'] as Record<string, Record<string, unknown>>;
  for (const vat of Object.values(vats)) {
    if (typeof vat['sourceSpec'] === 'string') vat['sourceSpec'] = path.resolve(dir, vat['sourceSpec']);
  }
  return { ...config, bundleCachePath, devices: { [deviceName]: { sourceSpec: srcPath } } };
}

/** A kernel in a temp dir that can be restarted from its store. */
function makeKernelHandle(api: DevicesHostApi, scenario: ScenarioName) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `compat-${scenario}-${api.side}-`));
  const bundleCachePath = path.join(os.tmpdir(), 'crankshaft-compat', `bundles-${api.side}`);
  let store: StoreLike | undefined;
  let controller: ControllerLike | undefined;
  const events: TrafficEvent[] = [];

  const current = (): ControllerLike => {
    if (!controller) throw Error('no controller');
    return controller;
  };
  return {
    events,
    async start(deviceName: string, srcPath: string, endowments: unknown): Promise<void> {
      store = api.initSwingStore(dir);
      const bootstrapKpid = await api.initialize(loadConfig(scenario, deviceName, srcPath, bundleCachePath), store.kernelStorage);
      await store.hostStorage.commit();
      controller = await api.makeController(store.kernelStorage, { [deviceName]: endowments });
      await controller.run();
      await store.hostStorage.commit();
      events.push(outcome(controller, 'bootstrap', [], bootstrapKpid as string));
    },
    async restart(deviceName: string, endowments: unknown): Promise<void> {
      await current().shutdown();
      await store?.hostStorage.close();
      store = api.openSwingStore(dir);
      controller = await api.makeController(store.kernelStorage, { [deviceName]: endowments });
      events.push({ host: 'restarted' });
    },
    controller: current,
    async run(): Promise<void> {
      await current().run();
      await store?.hostStorage.commit();
    },
    /** Sends method to the bootstrap vat, runs, and records the result. */
    async call(method: string, ...args: unknown[]): Promise<TrafficEvent> {
      const kpid = current().queueToVatRoot('bootstrap', method, args, 'ignore') as string;
      await current().run();
      await store?.hostStorage.commit();
      const event = outcome(current(), method, args, kpid);
      events.push(event);
      return event;
    },
    /** Like call, but without running: the caller drives the kernel until it settles. */
    queue(method: string, ...args: unknown[]): string {
      return current().queueToVatRoot('bootstrap', method, args, 'ignore') as string;
    },
    record(method: string, args: unknown[], kpid: string): void {
      events.push(outcome(current(), method, args, kpid));
    },
    async close(): Promise<void> {
      await controller?.shutdown();
      await store?.hostStorage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function outcome(controller: ControllerLike, vatCall: string, args: unknown[], kpid: string): TrafficEvent {
  const status = controller.kpStatus(kpid);
  if (status === 'unresolved' || status === 'unknown') return { vatCall, args: toRecordable(args) as unknown[], status };
  return { vatCall, args: toRecordable(args) as unknown[], status, body: controller.kpResolution(kpid).body };
}

const attemptHost = (thunk: () => void): { threw: boolean } => {
  try {
    thunk();
    return { threw: false };
  } catch {
    return { threw: true };
  }
};

/**
 * Bridge: outbound calls (JSON args, bigints as strings; results back to
 * the vat, undefined included; host throws), inbound deliveries (ordered,
 * refused without a handler or with non-JSON data), and the handler
 * surviving a restart.
 */
export async function runBridgeScenario(api: DevicesHostApi): Promise<Traffic> {
  const kernel = makeKernelHandle(api, 'bridge');
  const { events } = kernel;
  const outboundCallback = (...args: unknown[]): unknown => {
    events.push({ host: 'outbound', args: toRecordable(args) });
    const [kind] = args;
    switch (kind) {
      case 'undefined':
        return undefined;
      case 'throw':
        throw Error('host refuses');
      case 'bigint-result':
        return 3n;
      case 'error-result':
        return Error('host error as a result');
      default:
        return { pong: args };
    }
  };
  try {
    const bridge = api.buildBridge(outboundCallback);
    events.push({ host: 'deliverInbound before start', ...attemptHost(() => bridge.deliverInbound('too soon')) });
    await kernel.start('bridge', bridge.srcPath, bridge.endowments);
    await kernel.call('callOutbound', 'ping', 1, { a: [1, 'x'], b: null });
    await kernel.call('callOutbound', 'bigint', 5n, { n: -7n });
    await kernel.call('callOutbound', 'undefined');
    await kernel.call('callOutbound', 'throw');
    await kernel.call('callOutbound', 'bigint-result');
    await kernel.call('typeofOutbound', 'error-result');
    events.push({ host: 'deliverInbound', ...attemptHost(() => bridge.deliverInbound('channel-1', { n: 1, list: [true, null] })) });
    events.push({ host: 'deliverInbound', ...attemptHost(() => bridge.deliverInbound('channel-2', 'two', 2)) });
    events.push({ host: 'deliverInbound bigint', ...attemptHost(() => bridge.deliverInbound('channel-3', 3n)) });
    await kernel.run();
    await kernel.call('takeInbounds');
    await kernel.call('unregister');
    events.push({ host: 'deliverInbound unregistered', ...attemptHost(() => bridge.deliverInbound('nobody')) });
    await kernel.call('register');
    events.push({ host: 'deliverInbound', ...attemptHost(() => bridge.deliverInbound('channel-4')) });
    await kernel.run();
    await kernel.call('takeInbounds');

    const bridge2 = api.buildBridge(outboundCallback);
    await kernel.restart('bridge', bridge2.endowments);
    events.push({ host: 'deliverInbound after restart', ...attemptHost(() => bridge2.deliverInbound('after-restart', { again: true })) });
    await kernel.run();
    await kernel.call('takeInbounds');
    await kernel.call('callOutbound', 'after-restart');
    return { scenario: 'bridge', events };
  } finally {
    await kernel.close();
  }
}

/**
 * Command: inbound requests numbered from 0n, answered at once, later,
 * rejected or with undefined; broadcasts; a replaced handler; the handler
 * surviving a restart (with the count starting again at 0n).
 */
export async function runCommandScenario(api: DevicesHostApi): Promise<Traffic> {
  const kernel = makeKernelHandle(api, 'command');
  const { events } = kernel;
  const settled: Record<string, unknown> = {};
  const broadcastCallback = (obj: unknown): void => {
    events.push({ host: 'broadcast', obj: toRecordable(obj) });
  };
  const track = (name: string, promise: Promise<unknown>): void => {
    settled[name] = 'pending';
    promise.then(
      value => {
        settled[name] = { fulfilled: toRecordable(value) };
      },
      (reason: unknown) => {
        settled[name] = { rejected: toRecordable(reason) };
      },
    );
  };
  // the host's promise callbacks run once the event loop turns
  const settledNow = async (): Promise<void> => {
    await new Promise(resolve => setImmediate(resolve));
    events.push({ host: 'settled', ...toRecordable(settled) as object });
  };
  try {
    const command = api.buildCommand(broadcastCallback);
    await kernel.start('command', command.srcPath, command.endowments);
    track('now', command.inboundCommand({ kind: 'now', n: 1 }));
    track('reject', command.inboundCommand({ kind: 'reject' }));
    track('undefined', command.inboundCommand({ kind: 'undefined' }));
    track('later', command.inboundCommand({ kind: 'later', n: 4 }));
    track('bigint', command.inboundCommand({ kind: 'bigint' }));
    track('broadcast', command.inboundCommand({ kind: 'broadcast', news: 'hello' }));
    await kernel.run();
    await settledNow();
    await kernel.call('answerPending', { late: true });
    await settledNow();
    await kernel.call('broadcast', { direct: [1, 2, 3] });
    await kernel.call('replaceHandler');
    track('second', command.inboundCommand({ kind: 'now', n: 2 }));
    await kernel.run();
    await settledNow();
    await kernel.call('takeRequests');

    const command2 = api.buildCommand(broadcastCallback);
    await kernel.restart('command', command2.endowments);
    track('after-restart', command2.inboundCommand({ kind: 'now', n: 3 }));
    await kernel.run();
    await settledNow();
    await kernel.call('takeRequests');
    return { scenario: 'command', events };
  } finally {
    await kernel.close();
  }
}

/**
 * Plugin: a vat connects to a host module over CapTP through the device,
 * calls it, the module keeps state in the device; after a restart the
 * host's reset() tells the vat the new epoch, and the next call reconnects
 * and finds the state.
 */
export async function runPluginScenario(api: DevicesHostApi): Promise<Traffic> {
  const kernel = makeKernelHandle(api, 'plugin');
  const { events } = kernel;
  const pluginDir = path.join(compatFixturesDir, 'plugin');
  const thunks: (() => void)[] = [];
  const importPlugin = async (mod: string): Promise<unknown> => {
    events.push({ host: 'import', mod });
    return import(pathToFileURL(path.join(pluginDir, `${mod}.js`)).href);
  };
  const queueThunkForKernel = (thunk: () => void): void => {
    thunks.push(thunk);
  };
  /** Runs queued thunks and the kernel, turn by turn, until kpid settles. */
  const settle = async (method: string, args: unknown[], kpid: string): Promise<void> => {
    let ran = 0;
    for (let turn = 0; kernel.controller().kpStatus(kpid) === 'unresolved'; turn += 1) {
      if (turn > 1000) throw Error(`${method} did not settle in 1000 event-loop turns (${ran} thunks ran)`);
      await new Promise(resolve => setImmediate(resolve));
      for (const thunk of thunks.splice(0)) {
        thunk();
        ran += 1;
      }
      await kernel.run();
    }
    events.push({ host: 'thunks', ran });
    kernel.record(method, args, kpid);
  };
  const callAndSettle = async (method: string, ...args: unknown[]): Promise<void> => {
    const kpid = kernel.queue(method, ...args);
    await kernel.run();
    await settle(method, args, kpid);
  };
  try {
    const plugin = api.buildPlugin(pluginDir, importPlugin, queueThunkForKernel);
    events.push({ host: 'reset before start', ...attemptHost(() => plugin.reset()) });
    await kernel.start('plugin', plugin.srcPath, plugin.endowments);
    await kernel.call('connect', 'plugin-counter');
    await callAndSettle('increment', 0, 5);
    await callAndSettle('increment', 0, 2);
    await callAndSettle('read', 0);
    await kernel.call('sendToNowhere', 3);
    await kernel.call('takeReceived');

    thunks.splice(0);
    const plugin2 = api.buildPlugin(pluginDir, importPlugin, queueThunkForKernel);
    await kernel.restart('plugin', plugin2.endowments);
    plugin2.reset();
    plugin2.reset(); // only the first does anything
    await kernel.run();
    await callAndSettle('increment', 0, 10);
    await callAndSettle('read', 0);
    await kernel.call('takeReceived');
    return { scenario: 'plugin', events };
  } finally {
    await kernel.close();
  }
}

const execFileAsync = promisify(execFile);

/** Runs one scenario on @agoric/swingset-vat in a child process. */
export async function runOnReference(scenario: ScenarioName): Promise<Traffic> {
  const driver = path.join(testDir, 'compat', 'drive-reference-devices.js');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-reference-'));
  const outFile = path.join(outDir, `${scenario}.json`);
  try {
    await execFileAsync(process.execPath, [driver, scenario, outFile], { cwd: testDir, maxBuffer: 1 << 26 });
    return JSON.parse(fs.readFileSync(outFile, 'utf8')) as Traffic;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw Error(`reference driver failed on ${scenario}: ${(stderr ?? String(error)).slice(-4000)}`);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

export const scenarios: Record<ScenarioName, (api: DevicesHostApi) => Promise<Traffic>> = {
  bridge: runBridgeScenario,
  command: runCommandScenario,
  plugin: runPluginScenario,
};

/** The vat calls named `method`, in order, with their results decoded from smallcaps JSON. */
export function vatResults(traffic: Traffic, method: string): { status: string; value: unknown }[] {
  return traffic.events
    .filter((event): event is Extract<TrafficEvent, { vatCall: string }> => 'vatCall' in event && event.vatCall === method)
    .map(({ status, body }) => ({ status, value: body === undefined ? undefined : (JSON.parse(body.slice(1)) as unknown) }));
}

/** The host events named `name`, in order. */
export const hostEvents = (traffic: Traffic, name: string): Record<string, unknown>[] =>
  traffic.events.filter(event => 'host' in event && event.host === name) as Record<string, unknown>[];
