// A cache in front of the kernel's kvStore: reads are served from RAM once
// seen, and during a crank writes are buffered and written at the next
// flush point (savepoint, crank hash, getNextKey, crank end), once per key
// with its last value. The kernel is the only writer of its keys and every
// write passes through here, so the cache is coherent until a crank
// rollback, which must call discardPending() and clear().
//
// Determinism: what gets written (and so hashed into the crank hash)
// depends only on the operations and the real stored values, never on
// what happens to be cached; keys are written in first-write order.
import { KernelError } from '../shared/errors.js';
import type { KVStore } from './kv.js';

export interface CachedKVStore extends KVStore {
  /** Start buffering writes (a crank began). */
  beginBuffering(): void;
  /** Write buffered net changes to the store. */
  flush(): void;
  /** Flush and stop buffering (the crank ended). */
  endBuffering(): void;
  /** Drop buffered writes (a rollback is about to happen). */
  discardPending(): void;
  /** Forget cached reads (after a rollback, the DB is the truth again). */
  clear(): void;
  readonly size: number;
}

/** Past this many entries the read cache starts over, bounding memory. */
const DEFAULT_MAX_ENTRIES = 100_000;

export function makeCachedKVStore(store: KVStore, maxEntries = DEFAULT_MAX_ENTRIES): CachedKVStore {
  // undefined values are cached too: "absent" is as useful to remember.
  const cache = new Map<string, string | undefined>();
  /** Last buffered value per key (undefined: delete), in first-write order. */
  const pending = new Map<string, string | undefined>();
  let buffering = false;

  const remember = (key: string, value: string | undefined): void => {
    if (cache.size >= maxEntries) cache.clear();
    cache.set(key, value);
  };
  const get = (key: string): string | undefined => {
    if (pending.has(key)) return pending.get(key);
    const cached = cache.get(key);
    if (cached !== undefined || cache.has(key)) return cached;
    const value = store.get(key);
    remember(key, value);
    return value;
  };
  const bufferWrite = (key: string, value: string | undefined): void => {
    pending.set(key, value);
    remember(key, value);
  };
  const flush = (): void => {
    for (const [key, value] of pending) {
      if (value === undefined) store.delete(key);
      else store.set(key, value);
    }
    pending.clear();
  };

  return {
    get,
    has: key => get(key) !== undefined,
    getNextKey(key) {
      // Key order lives in the DB: bring it up to date first.
      flush();
      return store.getNextKey(key);
    },
    set(key, value) {
      if (buffering) {
        // Checked now, as the store would, so a bad write fails where it is made.
        if (typeof key !== 'string' || typeof value !== 'string' || key.startsWith('host.')) {
          throw new KernelError('BAD_DATA', `bad kernel kv write ${JSON.stringify(key)} = ${typeof value}`);
        }
        bufferWrite(key, value);
        return;
      }
      store.set(key, value);
      remember(key, value);
    },
    delete(key) {
      // Deleting an absent key changes nothing, so it is not written (nor
      // hashed); decided on the key's real presence, never on the cache.
      if (get(key) === undefined) return;
      if (buffering) {
        bufferWrite(key, undefined);
        return;
      }
      store.delete(key);
      remember(key, undefined);
    },
    beginBuffering() {
      buffering = true;
    },
    flush,
    endBuffering() {
      flush();
      buffering = false;
    },
    discardPending() {
      pending.clear();
    },
    clear() {
      cache.clear();
    },
    get size() {
      return cache.size;
    },
  };
}
