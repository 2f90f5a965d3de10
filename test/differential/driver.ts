// The side-neutral half of the differential drivers: run each scenario
// (init, bootstrap, host steps, shutdown) through a SwingSet-shaped host
// API, then read every vat's transcript straight from the SQLite file.
// drive-reference.js supplies @agoric/swingset-vat, drive-ours.ts supplies
// @crankshaft/kernel; each runs in its own process because each side locks
// down its own realm.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CapDataLike, ControllerLike, HostApi, Side } from '@crankshaft/test-support/hosts';
import { sharedCacheDir } from '@crankshaft/test-support/cache';
import { readStoreTranscripts, type VatTranscript } from './transcripts.js';

export type { Side, CapDataLike, ControllerLike } from '@crankshaft/test-support/hosts';
/** The differential driver drives the shared host API. */
export type DriverApi = HostApi;

/** A host call made after bootstrap; args are plain JSON. */
export interface MessageStep {
  vat: string;
  method: string;
  args: unknown[];
}

/**
 * A static vat upgraded by the host: `sourceSpec` (relative to the
 * scenario) is bundled here, so both sides install the same bundle.
 */
export interface UpgradeStep {
  upgrade: string;
  sourceSpec: string;
  options: Record<string, unknown>;
}

export type HostStep = MessageStep | UpgradeStep;

export interface PromiseOutcome {
  status: string;
  /** The resolution body; absent while unresolved. */
  body?: string;
  slotCount?: number;
}

export interface ScenarioResult {
  scenario: string;
  /** Vats in the store that the config did not name (built-ins). */
  builtinVats: string[];
  /** Devices in the store that the config did not name. */
  builtinDevices: string[];
  bootstrapVat: string | undefined;
  vats: Record<string, VatTranscript>;
  bootstrap: PromiseOutcome;
  steps: (HostStep & PromiseOutcome)[];
  cranks: number;
  seconds: number;
}

export interface ScenarioFailure {
  scenario: string;
  error: string;
}

export type DriverOutput = Record<string, ScenarioResult | ScenarioFailure>;

export const isFailure = (result: ScenarioResult | ScenarioFailure): result is ScenarioFailure => 'error' in result;

/** Read a scenario's config, with every sourceSpec made absolute. */
export function loadScenarioConfig(scenarioDir: string): Record<string, unknown> {
  const config = JSON.parse(fs.readFileSync(path.join(scenarioDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const vats = config.vats as Record<string, Record<string, unknown>>;
  for (const vat of Object.values(vats)) {
    if (typeof vat.sourceSpec === 'string') vat.sourceSpec = path.resolve(scenarioDir, vat.sourceSpec);
  }
  return config;
}

export function loadScenarioSteps(scenarioDir: string): HostStep[] {
  const file = path.join(scenarioDir, 'steps.json');
  if (!fs.existsSync(file)) return [];
  return JSON.parse(fs.readFileSync(file, 'utf8')) as HostStep[];
}

async function upgradeStaticVat(controller: ControllerLike, scenarioDir: string, step: UpgradeStep): Promise<string | undefined> {
  const { default: bundleSource } = await import('@endo/bundle-source');
  const bundle: unknown = await bundleSource(path.resolve(scenarioDir, step.sourceSpec));
  const bundleID = await controller.validateAndInstallBundle(bundle);
  return controller.upgradeStaticVat(step.upgrade, false, bundleID, { ...step.options });
}

function outcomeOf(controller: ControllerLike, kpid: string | undefined): PromiseOutcome {
  if (kpid === undefined) return { status: 'none' };
  const status = controller.kpStatus(kpid);
  if (status === 'unresolved' || status === 'unknown') return { status };
  const { body, slots } = controller.kpResolution(kpid);
  return { status, body, slotCount: slots.length };
}

export async function runScenario(api: DriverApi, scenarioDir: string, options: { bundleCachePath: string }): Promise<ScenarioResult> {
  const scenario = path.basename(scenarioDir);
  const started = performance.now();
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), `differential-${api.side}-${scenario}-`));
  try {
    const config: Record<string, unknown> = { ...loadScenarioConfig(scenarioDir), bundleCachePath: options.bundleCachePath };
    const steps = loadScenarioSteps(scenarioDir);
    const { kernelStorage, hostStorage } = api.initStore(storeDir);
    const bootstrapKpid = await api.initialize(config, kernelStorage);
    await hostStorage.commit();
    const controller = await api.makeController(kernelStorage);
    let cranks = await controller.run();
    await hostStorage.commit();
    const bootstrap = outcomeOf(controller, bootstrapKpid);
    const stepResults: (HostStep & PromiseOutcome)[] = [];
    for (const step of steps) {
      const kpid =
        'upgrade' in step
          ? await upgradeStaticVat(controller, scenarioDir, step)
          : controller.queueToVatRoot(step.vat, step.method, step.args, 'ignore');
      cranks += await controller.run();
      await hostStorage.commit();
      stepResults.push({ ...step, ...outcomeOf(controller, kpid) });
    }
    await controller.shutdown();
    await hostStorage.commit();
    await hostStorage.close();
    const configVats = Object.keys(config.vats as object);
    const configDevices = Object.keys((config.devices as object | undefined) ?? {});
    const { vats, allVatNames, deviceNames } = readStoreTranscripts(storeDir);
    return {
      scenario,
      builtinVats: allVatNames.filter(name => !configVats.includes(name)),
      builtinDevices: deviceNames.filter(name => !configDevices.includes(name)),
      bootstrapVat: typeof config.bootstrap === 'string' ? config.bootstrap : undefined,
      vats: Object.fromEntries(Object.entries(vats).filter(([name]) => configVats.includes(name))),
      bootstrap,
      steps: stepResults,
      cranks,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
}

/**
 * Command line: `<out.json> <scenarioDir>...`. Runs the scenarios in order,
 * records each result or failure, and writes them all to out.json.
 */
export async function runDriver(api: DriverApi, argv: readonly string[]): Promise<void> {
  const [outFile, ...scenarioDirs] = argv;
  if (outFile === undefined || scenarioDirs.length === 0) {
    throw Error('usage: drive-<side> <out.json> <scenarioDir>...');
  }
  const bundleCachePath = sharedCacheDir(`differential-bundles-${api.side}`);
  const output: DriverOutput = {};
  for (const dir of scenarioDirs) {
    const scenario = path.basename(dir);
    try {
      output[scenario] = await runScenario(api, dir, { bundleCachePath });
    } catch (err) {
      const error = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
      output[scenario] = { scenario, error };
    }
  }
  fs.writeFileSync(outFile, JSON.stringify(output, null, 1));
}
