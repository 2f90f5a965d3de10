// A JSON-able picture of kernel state for tests and debugging: c-lists,
// promises, objects, queues and each vat's current transcript span.
import { makeKref } from '../shared/refs.js';
import type { PromiseRecord, RunQueueEvent } from '../shared/types.js';
import { FIRST_OBJECT_ID, FIRST_PROMISE_ID, keys } from './kvSchema.js';
import { getNat } from './kv.js';
import type { KernelKeeper } from './kernelKeeper.js';

export interface KernelDump {
  vatTables: { vatID: string; state: { transcript: [number, unknown][] } }[];
  kernelTable: [string, string, string][];
  promises: ({ id: string } & PromiseRecord)[];
  objects: [string, string | undefined, number, number][];
  gcActions: string[];
  reapQueue: string[];
  runQueue: RunQueueEvent[];
  acceptanceQueue: RunQueueEvent[];
}

/** Orders "ko9" before "ko10": text, then numbers by value. */
export function naturalCompare(a: string, b: string): number {
  const split = (s: string): (string | number)[] =>
    s.split(/([0-9]+)/).map((part, i) => (i % 2 === 1 ? Number(part) : part));
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) {
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      return String(x) < String(y) ? -1 : 1;
    }
  }
  return 0;
}

function readTranscript(keeper: KernelKeeper, vatID: string): [number, unknown][] {
  const { transcriptStore } = keeper.storage;
  let bounds;
  try {
    bounds = transcriptStore.getCurrentSpanBounds(vatID);
  } catch {
    return [];
  }
  const entries: [number, unknown][] = [];
  let position = bounds.startPos;
  for (const item of transcriptStore.readSpan(vatID)) {
    entries.push([position, JSON.parse(item) as unknown]);
    position += 1;
  }
  return entries;
}

export function dumpKernelState(keeper: KernelKeeper): KernelDump {
  const { kv, vats, promises, refcounts, queues } = keeper;
  const vatTables: KernelDump['vatTables'] = [];
  const kernelTable: [string, string, string][] = [];
  for (const vatID of vats.getAllVatIDs()) {
    vatTables.push({ vatID, state: { transcript: readTranscript(keeper, vatID) } });
    kernelTable.push(...keeper.provideVatKeeper(vatID).dumpState());
  }
  for (const deviceID of vats.getAllDeviceIDs()) kernelTable.push(...keeper.provideDeviceKeeper(deviceID).dumpState());
  kernelTable.sort(
    (a, b) => naturalCompare(a[0], b[0]) || naturalCompare(a[1], b[1]) || naturalCompare(a[2], b[2]),
  );

  const promiseList: KernelDump['promises'] = [];
  const nextPromiseID = getNat(kv, keys.kpNextID);
  for (let i = FIRST_PROMISE_ID; i < nextPromiseID; i += 1) {
    const kpid = makeKref('promise', i);
    if (promises.hasKernelPromise(kpid)) promiseList.push({ id: kpid, ...promises.getKernelPromise(kpid) });
  }

  const objects: KernelDump['objects'] = [];
  const nextObjectID = getNat(kv, keys.koNextID);
  for (let i = FIRST_OBJECT_ID; i < nextObjectID; i += 1) {
    const koid = makeKref('object', i);
    if (kv.has(keys.refCount(koid))) {
      const { reachable, recognizable } = refcounts.getObjectRefCount(koid);
      objects.push([koid, kv.get(keys.owner(koid)), reachable, recognizable]);
    }
  }

  return {
    vatTables,
    kernelTable,
    promises: promiseList,
    objects,
    gcActions: [...keeper.gcActions.get()].sort(),
    reapQueue: queues.dumpReapQueue(),
    runQueue: queues.dump('runQueue'),
    acceptanceQueue: queues.dump('acceptanceQueue'),
  };
}
