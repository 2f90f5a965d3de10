// Test helpers: a real swing-store in a temp dir, real worker bundles, vat
// bundles from the fixtures, and a small stand-in for the kernel (vat
// configs, and a syscall handler keeping each vat's vatstore in the kvStore).
import bundleSource from '@endo/bundle-source';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initSwingStore, openSwingStore, type SwingStore, type SwingStoreOptions } from '@crankshaft/swing-store';
import {
  loadWorkerBundles,
  provideWorkerBundleIDs,
  type CapData,
  type VatBundle,
  type VatDeliveryObject,
  type VatSyscallHandler,
  type VatSyscallObject,
  type VatSyscallResult,
  type WorkerOptions,
} from '@crankshaft/worker-supervisor';
import { makeVatWarehouse } from '../src/warehouse.js';
import { makeWorkerStarter } from '../src/workerStarter.js';
import type { VatConfig, VatHost, VatWarehouse, WarehousePolicy, WorkerStarter } from '../src/types.js';
import type { WarehouseSlogEvent } from '../src/slog.js';
import type { VatConsoleEntry } from '../src/workerTypes.js';
import { answerVatstoreSyscall, kvVatstore } from '@crankshaft/test-support/vatstore';

export const makeTempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));

/** smallcaps capdata for plain JSON values (strings must not start with a sigil). */
export const capdata = (value: unknown, slots: string[] = []): CapData => ({
  body: `#${JSON.stringify(value)}`,
  slots,
});

export const startVat = (parameters: Record<string, unknown> = {}): VatDeliveryObject => [
  'startVat',
  capdata(parameters),
];

export const message = (
  method: string,
  args: unknown[],
  result: string | null,
  slots: string[] = [],
  target = 'o+0',
): VatDeliveryObject => ['message', target, { methargs: capdata([method, args], slots), result }];

/** A presence in smallcaps: `$<slot index>.Alleged: <iface>`. */
export const presence = (index: number): string => `$${index}.Alleged: remote`;

const bundleCache = new Map<string, Promise<{ bundleID: string; bundle: VatBundle }>>();

/** Bundles a fixture vat once per test process. */
export function bundleFixture(name: string): Promise<{ bundleID: string; bundle: VatBundle }> {
  let pending = bundleCache.get(name);
  if (!pending) {
    const file = fileURLToPath(new URL(`../../test/fixtures/${name}.js`, import.meta.url));
    pending = (async () => {
      const bundle = (await bundleSource(file)) as { endoZipBase64Sha512: string } & VatBundle;
      return { bundleID: `b1-${bundle.endoZipBase64Sha512}`, bundle };
    })();
    bundleCache.set(name, pending);
  }
  return pending;
}

/** Installs the worker bundles and the named vat bundles; returns the IDs. */
export async function installBundles(
  store: SwingStore,
  vatFixtures: string[],
): Promise<{ workerOptions: WorkerOptions; bundleIDs: Record<string, string> }> {
  const { bundleStore } = store.kernelStorage;
  const worker = await loadWorkerBundles();
  const workerOptions = provideWorkerBundleIDs(bundleStore, worker);
  const bundleIDs: Record<string, string> = {};
  for (const name of vatFixtures) {
    const { bundleID, bundle } = await bundleFixture(name);
    if (!bundleStore.hasBundle(bundleID)) bundleStore.addBundle(bundleID, bundle);
    bundleIDs[name] = bundleID;
  }
  return { workerOptions, bundleIDs };
}

/**
 * The kernel's part, reduced: vatstore syscalls are answered from the
 * kvStore (`<vatID>.vs.<key>`, so they survive a reopen like the kernel's
 * do); everything else gets ['ok', null]. Every syscall is recorded.
 */
export interface TestKernel {
  handlerFor(vatID: string): VatSyscallHandler;
  syscalls: Map<string, VatSyscallObject[]>;
  takeSyscalls(vatID: string): VatSyscallObject[];
}

export function makeTestKernel(store: SwingStore): TestKernel {
  const { kvStore } = store.kernelStorage;
  const syscalls = new Map<string, VatSyscallObject[]>();
  const handlerFor =
    (vatID: string): VatSyscallHandler =>
    (vso): VatSyscallResult => {
      const seen = syscalls.get(vatID) ?? [];
      seen.push(vso);
      syscalls.set(vatID, seen);
      return answerVatstoreSyscall(vso, kvVatstore(kvStore, vatID)) ?? ['ok', null];
    };
  return {
    handlerFor,
    syscalls,
    takeSyscalls: vatID => {
      const seen = syscalls.get(vatID) ?? [];
      syscalls.set(vatID, []);
      return seen;
    },
  };
}

export interface Harness {
  store: SwingStore;
  kernel: TestKernel;
  warehouse: VatWarehouse;
  configs: Map<string, VatConfig>;
  slogs: WarehouseSlogEvent[];
  consoles: VatConsoleEntry[];
  reaped: string[];
  deliver(vatID: string, delivery: VatDeliveryObject): ReturnType<VatWarehouse['deliverToVat']>;
  /** Deliver, then let the snapshot policy run (as the kernel does after a crank). */
  crank(vatID: string, delivery: VatDeliveryObject): ReturnType<VatWarehouse['deliverToVat']>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  dir: string;
  /** True: open the existing store; false: create it fresh. */
  reopen?: boolean;
  policy?: WarehousePolicy;
  configs?: Map<string, VatConfig>;
  /** Wraps the real worker starter (to watch or delay starts). */
  wrapStarter?: (starter: WorkerStarter) => WorkerStarter;
  /** Swing-store options (e.g. keepSnapshots). */
  storeOptions?: SwingStoreOptions;
}

export function makeHarness(options: HarnessOptions): Harness {
  const { dir, reopen = false, policy = {} } = options;
  const store = reopen ? openSwingStore(dir, options.storeOptions) : initSwingStore(dir, options.storeOptions);
  const kernel = makeTestKernel(store);
  const configs = options.configs ?? new Map<string, VatConfig>();
  const slogs: WarehouseSlogEvent[] = [];
  const consoles: VatConsoleEntry[] = [];
  const reaped: string[] = [];
  const host: VatHost = {
    getVatConfig: vatID => configs.get(vatID),
    listVatIDs: () => [...configs.keys()],
    syscallHandlerFor: kernel.handlerFor,
    onReaped: vatID => reaped.push(vatID),
  };
  const { transcriptStore, snapStore, bundleStore } = store.kernelStorage;
  const warehouse = makeVatWarehouse({
    stores: { transcriptStore, snapStore, bundleStore },
    host,
    startWorker: (options.wrapStarter ?? (starter => starter))(
      makeWorkerStarter({ bundleStore, xsnap: { stdout: 'ignore', stderr: 'ignore' } }),
    ),
    policy,
    slog: event => slogs.push(event),
    vatConsole: entry => consoles.push(entry),
  });
  const deliver: Harness['deliver'] = (vatID, delivery) =>
    warehouse.deliverToVat(vatID, delivery, kernel.handlerFor(vatID));
  return {
    store,
    kernel,
    warehouse,
    configs,
    slogs,
    consoles,
    reaped,
    deliver,
    async crank(vatID, delivery) {
      const result = await deliver(vatID, delivery);
      await warehouse.maybeSaveSnapshot(vatID);
      return result;
    },
    async close() {
      await warehouse.shutdown();
      await store.hostStorage.commit();
      await store.hostStorage.close();
    },
  };
}

export interface StoredSpan {
  startPos: number;
  endPos: number;
  hash: string;
  isCurrent: number | null;
  incarnation: number;
}

/** Every span of a vat, oldest first, straight from SQL. */
export function readSpans(store: SwingStore, vatID: string): StoredSpan[] {
  return store.internal.db
    .prepare<[string], StoredSpan>(
      'SELECT startPos, endPos, hash, isCurrent, incarnation FROM transcriptSpans WHERE vatID = ? ORDER BY startPos',
    )
    .all(vatID);
}

/** Every stored transcript item of a vat, by position. */
export function readItems(store: SwingStore, vatID: string): { position: number; item: string }[] {
  return store.internal.db
    .prepare<[string], { position: number; item: string }>(
      'SELECT position, item FROM transcriptItems WHERE vatID = ? ORDER BY position',
    )
    .all(vatID);
}

/** Replaces one stored transcript item (tampering, for divergence tests). */
export function rewriteItem<Entry>(dir: string, vatID: string, position: number, edit: (entry: Entry) => void): void {
  const store = openSwingStore(dir);
  const db = store.internal.db;
  const row = db
    .prepare<[string, number], { item: string }>('SELECT item FROM transcriptItems WHERE vatID = ? AND position = ?')
    .get(vatID, position);
  if (!row) throw Error(`no transcript item ${vatID} #${position}`);
  // The caller says what shape it expects; this is test tampering, not parsing.
  const entry = JSON.parse(row.item) as Entry;
  edit(entry);
  db.prepare('UPDATE transcriptItems SET item = ? WHERE vatID = ? AND position = ?').run(
    JSON.stringify(entry),
    vatID,
    position,
  );
  db.close();
}

export const entryTypes = (store: SwingStore, vatID: string): string[] =>
  readItems(store, vatID).map(({ item }) => (JSON.parse(item) as { d: [string] }).d[0]);

/** Result of a message delivery, read from the resolve syscall the vat made. */
export function resolvedValue(syscalls: VatSyscallObject[], vpid: string): unknown {
  for (const vso of syscalls) {
    if (vso[0] !== 'resolve') continue;
    for (const [id, isReject, data] of vso[1]) {
      if (id === vpid) {
        if (isReject) throw Error(`${vpid} rejected: ${data.body}`);
        return JSON.parse(data.body.slice(1));
      }
    }
  }
  throw Error(`no resolution for ${vpid}`);
}
