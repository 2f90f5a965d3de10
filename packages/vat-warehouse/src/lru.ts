// A tiny recency list of vatIDs. Map iteration order is insertion order, so
// re-inserting a key moves it to the most-recent end.

export interface RecencyList {
  /** Marks vatID most recently used; returns the vatIDs pushed past capacity, oldest first. */
  touch(vatID: string): string[];
  remove(vatID: string): void;
  has(vatID: string): boolean;
  /** Oldest first. */
  keys(): string[];
  readonly size: number;
}

export function makeRecencyList(capacity: number): RecencyList {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw RangeError(`recency list capacity must be a positive integer, got ${capacity}`);
  }
  const order = new Map<string, true>();
  return {
    touch(vatID) {
      order.delete(vatID);
      order.set(vatID, true);
      const evicted: string[] = [];
      for (const oldest of order.keys()) {
        if (order.size - evicted.length <= capacity) break;
        evicted.push(oldest);
      }
      for (const gone of evicted) order.delete(gone);
      return evicted;
    },
    remove(vatID) {
      order.delete(vatID);
    },
    has: vatID => order.has(vatID),
    keys: () => [...order.keys()],
    get size() {
      return order.size;
    },
  };
}
