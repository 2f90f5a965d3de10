// Reference counts. Objects: `ko<N>.refCount` = "<reachable>,<recognizable>"
// with reachable <= recognizable; only importers count (a c-list export
// does not), plus queued messages, resolution data, pins and host interest.
// Promises: `kp<N>.refCount` = "<n>", exporters and importers alike.
// Device nodes are not counted. A decrement that may free something adds
// the kref to `maybeFree`, which processRefcounts() drains at crank end.
// Host calls between cranks (kpResolution) add to it too; those are also
// written to kv (`maybeFreeKrefs`), or a commit and restart before the next
// crank would lose them and the restarted kernel would never free what the
// uninterrupted one frees.
import { KernelError } from '../shared/errors.js';
import { parseKref } from '../shared/refs.js';
import { keys } from './kvSchema.js';
import { commaSplit, getRequired, type KVStore } from './kv.js';

export interface ObjectRefCount {
  reachable: number;
  recognizable: number;
}

export interface RefcountOptions {
  /** The reference is a c-list export: it counts for promises, not objects. */
  isExport?: boolean;
  /** The reference only recognizes the object; it does not keep it reachable. */
  onlyRecognizable?: boolean;
}

export interface Refcounts {
  getObjectRefCount(kref: string): ObjectRefCount;
  setObjectRefCount(kref: string, counts: ObjectRefCount): void;
  incrementRefCount(kref: string, tag: string, options?: RefcountOptions): void;
  /** True when a promise count reached zero. */
  decrementRefCount(kref: string, tag: string, options?: RefcountOptions): boolean;
  addMaybeFreeKref(kref: string): void;
  /** Harvested by processRefcounts at crank end (then clearMaybeFree). */
  readonly maybeFree: Set<string>;
  /** Outside a crank: write the pending set to kv, in insertion order. */
  persistMaybeFree(): void;
  /** At kernel start: read back what a host call left for the next crank. */
  loadMaybeFree(): void;
  /** After processRefcounts: forget the set, in RAM and in kv. */
  clearMaybeFree(): void;
}

export function readObjectRefCount(kv: KVStore, kref: string): ObjectRefCount {
  const data = kv.get(keys.refCount(kref));
  if (!data) return { reachable: 0, recognizable: 0 };
  const [reachable = 0, recognizable = 0] = commaSplit(data).map(Number);
  if (!(reachable <= recognizable)) {
    throw new KernelError('BAD_STATE', `refcount mismatch for ${kref}: ${reachable},${recognizable}`);
  }
  return { reachable, recognizable };
}

export function makeRefcounts(kv: KVStore): Refcounts {
  const maybeFree = new Set<string>();

  const setObjectRefCount = (kref: string, counts: ObjectRefCount): void => {
    const { reachable, recognizable } = counts;
    if (reachable < 0 || recognizable < 0) {
      throw new KernelError('BAD_STATE', `refcount underflow for ${kref}: ${reachable},${recognizable}`);
    }
    if (reachable > recognizable) {
      throw new KernelError('BAD_STATE', `refcount mismatch for ${kref}: ${reachable},${recognizable}`);
    }
    kv.set(keys.refCount(kref), `${reachable},${recognizable}`);
  };

  const getObjectRefCount = (kref: string): ObjectRefCount => readObjectRefCount(kv, kref);

  function incrementRefCount(kref: string, tag: string, options: RefcountOptions = {}): void {
    const { isExport = false, onlyRecognizable = false } = options;
    if (!kref) throw new KernelError('BAD_STATE', `incrementRefCount called with an empty kref (${tag})`);
    const { type } = parseKref(kref);
    if (type === 'promise') {
      const count = Number(getRequired(kv, keys.refCount(kref))) + 1;
      kv.set(keys.refCount(kref), `${count}`);
    } else if (type === 'object' && !isExport) {
      let { reachable, recognizable } = getObjectRefCount(kref);
      if (!onlyRecognizable) reachable += 1;
      recognizable += 1;
      setObjectRefCount(kref, { reachable, recognizable });
    }
  }

  function decrementRefCount(kref: string, tag: string, options: RefcountOptions = {}): boolean {
    const { isExport = false, onlyRecognizable = false } = options;
    if (!kref) throw new KernelError('BAD_STATE', `decrementRefCount called with an empty kref (${tag})`);
    const { type } = parseKref(kref);
    if (type === 'promise') {
      let count = Number(getRequired(kv, keys.refCount(kref)));
      if (!(count > 0)) throw new KernelError('BAD_STATE', `refcount underflow for ${kref} (${tag})`);
      count -= 1;
      kv.set(keys.refCount(kref), `${count}`);
      if (count === 0) {
        maybeFree.add(kref);
        return true;
      }
    } else if (type === 'object' && !isExport && kv.has(keys.refCount(kref))) {
      let { reachable, recognizable } = getObjectRefCount(kref);
      if (!onlyRecognizable) reachable -= 1;
      recognizable -= 1;
      if (!reachable || !recognizable) maybeFree.add(kref);
      setObjectRefCount(kref, { reachable, recognizable });
    }
    return false;
  }

  return {
    getObjectRefCount,
    setObjectRefCount,
    incrementRefCount,
    decrementRefCount,
    addMaybeFreeKref: kref => {
      maybeFree.add(kref);
    },
    maybeFree,
    persistMaybeFree() {
      const pending = [...maybeFree].join(',');
      if (pending !== (kv.get(keys.maybeFreeKrefs) ?? '')) {
        if (pending === '') kv.delete(keys.maybeFreeKrefs);
        else kv.set(keys.maybeFreeKrefs, pending);
      }
    },
    loadMaybeFree() {
      maybeFree.clear();
      for (const kref of commaSplit(kv.get(keys.maybeFreeKrefs) ?? '')) maybeFree.add(kref);
    },
    clearMaybeFree() {
      maybeFree.clear();
      if (kv.has(keys.maybeFreeKrefs)) kv.delete(keys.maybeFreeKrefs);
    },
  };
}
