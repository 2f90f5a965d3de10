// The README demo: a SwingSet config run on xsnap workers with an on-disk
// swing-store, then the store reopened in a second controller, which brings
// the vats back (snapshot + transcript replay) and carries on, upgrades the
// counter vat to v2 (its durable state survives), and a third controller
// that finds v2 running. It follows the host contract of docs/host-api.md:
// each host step is recorded in a host.* key in the same commit as the
// kernel state it made, so a demo killed at any point and run again on the
// same folder redoes only the steps its last commit did not cover.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSwingStore } from '@crankshaft/swing-store';
import {
  initializeSwingset,
  kunser,
  loadSwingsetConfigFile,
  makeSourceBundler,
  makeSwingsetController,
  swingsetIsInitialized,
  type SwingsetController,
} from '@crankshaft/kernel';

const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

type Log = (line: string) => void;

/** Queues `method` on the bootstrap root, runs to quiescence, returns the result. */
async function callBootstrap(controller: SwingsetController, method: string, args: unknown[]): Promise<unknown> {
  const kpid = controller.queueToVatRoot('bootstrap', method, args);
  await controller.run();
  if (kpid === undefined) throw Error(`no result promise for ${method}`);
  const status = controller.kpStatus(kpid);
  const value = kunser(controller.kpResolution(kpid));
  if (status !== 'fulfilled') throw Error(`${method} ${status}: ${String(value)}`);
  return value;
}

/** Installs v2 of the counter and upgrades the static vat to it (through vat-admin). */
async function upgradeCounter(controller: SwingsetController, log: Log): Promise<void> {
  const bundle = await makeSourceBundler().bundle(path.join(demoDir, 'vat-counter-v2.js'));
  const bundleID = await controller.validateAndInstallBundle(bundle);
  const kpid = controller.upgradeStaticVat('counter', false, bundleID, {
    vatParameters: { label: 'demo counter' },
    upgradeMessage: 'counter moves to v2',
  });
  await controller.run();
  if (kpid === undefined) throw Error('upgradeStaticVat returned no result promise');
  const status = controller.kpStatus(kpid);
  const result = kunser(controller.kpResolution(kpid));
  if (status !== 'fulfilled') throw Error(`upgrade ${status}: ${String(result)}`);
  const { incarnationNumber } = result as { incarnationNumber: number };
  log(`upgraded counter to ${bundleID.slice(0, 15)}…: now incarnation ${incarnationNumber}`);
}

function describeTranscript(stateDir: string, vatID: string): string {
  const { kernelStorage, hostStorage } = openSwingStore(stateDir, { readonly: true });
  const { startPos, endPos, incarnation } = kernelStorage.transcriptStore.getCurrentSpanBounds(vatID);
  const snapshot = kernelStorage.snapStore.getSnapshotInfo(vatID);
  void hostStorage.close();
  const snap = snapshot ? `heap snapshot at position ${snapshot.snapPos} (${snapshot.compressedSize} bytes gzipped)` : 'no snapshot yet';
  return `transcript of ${vatID}: current span [${startPos}, ${endPos}), incarnation ${incarnation}; ${snap}`;
}

interface DemoHost {
  controller: SwingsetController;
  close: () => Promise<void>;
  commit: () => Promise<void>;
  /** Runs a host step unless the last commit already covers it. */
  step: (name: string, fn: () => Promise<void>) => Promise<void>;
}

const STEPS_KEY = 'host.demo.stepsDone';
let stepIndex = 0;

async function openController(stateDir: string, log: Log): Promise<DemoHost> {
  const { kernelStorage, hostStorage } = openSwingStore(stateDir);
  if (!swingsetIsInitialized(kernelStorage)) {
    const config = await loadSwingsetConfigFile(path.join(demoDir, 'config.json'));
    await initializeSwingset(config, [], kernelStorage);
    await hostStorage.commit();
    log(`initialized a new kernel in ${stateDir}`);
  }
  const controller = await makeSwingsetController(kernelStorage, {}, {
    slogFile: path.join(stateDir, 'slog.jsonl'),
    vatConsole: () => {},
    quiet: true,
  });
  return {
    controller,
    commit: () => hostStorage.commit(),
    async step(name, fn) {
      stepIndex += 1;
      if (stepIndex <= Number(hostStorage.kvStore.get(STEPS_KEY) ?? '0')) {
        log(`(${name}: done by an earlier run)`);
        return;
      }
      await fn();
      hostStorage.kvStore.set(STEPS_KEY, String(stepIndex));
      await hostStorage.commit();
    },
    close: async () => {
      await controller.shutdown();
      await hostStorage.close();
    },
  };
}

export async function runKernelDemo(stateDir: string, log: Log): Promise<void> {
  stepIndex = 0;
  // First life: bootstrap, then a few calls from the host.
  const first = await openController(stateDir, log);
  await first.step('bootstrap', async () => {
    await first.controller.run();
  });
  for (const who of ['alice', 'bob', 'carol']) {
    await first.step(`bump ${who}`, async () => log(String(await callBootstrap(first.controller, 'bump', [who]))));
  }
  const counterID = first.controller.vatNameToID('counter');
  const hash1 = first.controller.getActivityhash();
  await first.close();
  log(describeTranscript(stateDir, counterID));

  // Second life: a new controller over the same files. The workers come
  // back from their snapshots plus a replay of the current span.
  const second = await openController(stateDir, log);
  log(`reopened the store (activity hash ${hash1.slice(0, 12)}… carried over: ${second.controller.getActivityhash() === hash1})`);
  await second.step('bump dave, read', async () => {
    log(String(await callBootstrap(second.controller, 'bump', ['dave'])));
    log(String(await callBootstrap(second.controller, 'read', [])));
  });

  // Upgrade: v2 finds v1's durable state and adds a method.
  await second.step('upgrade', async () => {
    await upgradeCounter(second.controller, log);
    log(String(await callBootstrap(second.controller, 'read', [])));
    log(`visitors: ${String(await callBootstrap(second.controller, 'visitors', []))}`);
    log(String(await callBootstrap(second.controller, 'bump', ['erin'])));
  });
  await second.close();
  log(describeTranscript(stateDir, counterID));

  // Third life: the new incarnation is what comes back.
  const third = await openController(stateDir, log);
  await third.step('read', async () => log(String(await callBootstrap(third.controller, 'read', []))));
  // The same on every machine and install path (docs/determinism.md).
  log(`activity hash ${third.controller.getActivityhash()}`);
  await third.close();
  log(`slog written to ${path.join(stateDir, 'slog.jsonl')}`);
}

/** `npm run demo [dir]`: runs in `dir`, or a fresh temp directory. */
export async function main(dir?: string): Promise<void> {
  const stateDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-demo-'));
  console.log(`Crankshaft demo: vats in xsnap workers, swing-store in ${stateDir}`);
  await runKernelDemo(stateDir, line => console.log(`  ${line}`));
}
