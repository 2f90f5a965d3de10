// Test helpers: a recording fake kernel (vatstore in a Map), capdata
// builders, the test vat bundle, and a small file-backed snapStore.
// The snapStore is a neighbour here, not the unit under test.
import { answerVatstoreSyscall, mapVatstore } from '@crankshaft/test-support/vatstore';
import bundleSource from '@endo/bundle-source';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type {
  BundleStoreLike,
  CapData,
  SnapshotSaveResult,
  SnapStoreLike,
  VatBundle,
  VatConsoleEntry,
  VatDeliveryObject,
  VatSyscallHandler,
  VatSyscallObject,
  VatSyscallResult,
} from '../src/types.js';

/** smallcaps capdata for plain JSON-able values (strings must not start with a sigil). */
export const capdata = (value: unknown, slots: string[] = []): CapData => ({
  body: `#${JSON.stringify(value)}`,
  slots,
});

export const message = (
  target: string,
  method: string,
  args: unknown[],
  result: string | null,
  slots: string[] = [],
): VatDeliveryObject => ['message', target, { methargs: capdata([method, args], slots), result }];

/** A slot reference to a presence (object) in smallcaps. */
export const presenceRef = (index: number): string => `$${index}.Alleged: presence`;
/** A slot reference to a promise in smallcaps. */
export const promiseRef = (index: number): string => `&${index}`;

export const startVat = (parameters: Record<string, unknown> = {}): VatDeliveryObject => [
  'startVat',
  capdata(parameters),
];

export interface FakeKernel {
  handler: VatSyscallHandler;
  /** Every syscall the handler saw, in order. */
  syscalls: VatSyscallObject[];
  vatstore: Map<string, string>;
  /** Return an error for syscalls this picks (by returning the message). */
  failWhen: (vso: VatSyscallObject) => string | undefined;
  /** Called on every syscall before it is answered (e.g. to kill the worker). */
  onSyscall: (vso: VatSyscallObject) => void;
  takeSyscalls(): VatSyscallObject[];
}

export function makeFakeKernel(initialVatstore?: Map<string, string>): FakeKernel {
  const vatstore = new Map(initialVatstore);
  const vatstoreView = mapVatstore(vatstore);
  const kernel: FakeKernel = {
    syscalls: [],
    vatstore,
    failWhen: () => undefined,
    onSyscall: () => {},
    takeSyscalls: () => kernel.syscalls.splice(0),
    handler: (vso): VatSyscallResult => {
      kernel.syscalls.push(vso);
      kernel.onSyscall(vso);
      const problem = kernel.failWhen(vso);
      if (problem !== undefined) return ['error', problem];
      if (vso[0] === 'callNow') return ['error', 'no devices in this test'];
      return answerVatstoreSyscall(vso, vatstoreView) ?? ['ok', null];
    },
  };
  return kernel;
}

export const syscallTypes = (syscalls: VatSyscallObject[]): string[] => syscalls.map(s => s[0]);

/** Collects forwarded console output. */
export function makeConsoleRecorder(): { entries: VatConsoleEntry[]; sink: (entry: VatConsoleEntry) => void } {
  const entries: VatConsoleEntry[] = [];
  return { entries, sink: entry => entries.push(entry) };
}

let vatBundleP: Promise<VatBundle> | undefined;
/** The scenarios vat, bundled once per test process. */
export function getScenarioVatBundle(): Promise<VatBundle> {
  const entry = fileURLToPath(new URL('../../test/fixtures/vat-scenarios.js', import.meta.url));
  vatBundleP ??= bundleSource(entry) as Promise<VatBundle>;
  return vatBundleP;
}

/** A bundleStore in a Map; stores JSON text, as the real one stores bytes. */
export function makeMapBundleStore(): BundleStoreLike {
  const stored = new Map<string, string>();
  return {
    addBundle: (id, bundle) => void stored.set(id, JSON.stringify(bundle)),
    hasBundle: id => stored.has(id),
    getBundle: id => {
      const text = stored.get(id);
      if (text === undefined) throw Error(`no bundle ${id}`);
      return JSON.parse(text) as unknown;
    },
  };
}

export const makeTempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));

/** A snapStore keeping gzipped snapshots in files; hashes and gzips as it streams. */
export function makeFileSnapStore(dir: string): SnapStoreLike & { current: Map<string, number> } {
  const current = new Map<string, number>();
  const fileFor = (vatID: string, snapPos: number): string => path.join(dir, `${vatID}-${snapPos}.xss.gz`);
  return {
    current,
    async saveSnapshot(vatID, snapPos, stream): Promise<SnapshotSaveResult> {
      const hash = createHash('sha256');
      let uncompressedSize = 0;
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          uncompressedSize += chunk.length;
          callback(null, chunk);
        },
      });
      const file = fileFor(vatID, snapPos);
      await pipeline(Readable.from(stream), measure, zlib.createGzip(), fs.createWriteStream(file));
      current.set(vatID, snapPos);
      return { hash: hash.digest('hex'), uncompressedSize, compressedSize: fs.statSync(file).size };
    },
    async *loadSnapshot(vatID) {
      const snapPos = current.get(vatID);
      if (snapPos === undefined) throw Error(`no snapshot for ${vatID}`);
      yield* fs.createReadStream(fileFor(vatID, snapPos)).pipe(zlib.createGunzip());
    },
  };
}
