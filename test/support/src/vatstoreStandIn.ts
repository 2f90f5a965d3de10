// The vatstore half of a kernel stand-in: what worker and warehouse tests and
// benchmarks answer to a vat's vatstore syscalls when no kernel is there.
// Keys are the vat's own (no `<vatID>.vs.` prefix); getNextKey answers the
// least key after the one given, as the kernel's vatstore does.

export interface VatstoreBacking {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  getNextKey(priorKey: string): string | undefined;
}

/** The kernel's answer to a vatstore syscall, or undefined for any other syscall. */
export function answerVatstoreSyscall(vso: readonly unknown[], backing: VatstoreBacking): ['ok', string | null] | undefined {
  const [type, key, value] = vso;
  if (typeof key !== 'string') return undefined;
  switch (type) {
    case 'vatstoreGet':
      return ['ok', backing.get(key) ?? null];
    case 'vatstoreSet':
      if (typeof value !== 'string') return undefined;
      backing.set(key, value);
      return ['ok', null];
    case 'vatstoreDelete':
      backing.delete(key);
      return ['ok', null];
    case 'vatstoreGetNextKey':
      return ['ok', backing.getNextKey(key) ?? null];
    default:
      return undefined;
  }
}

/** A vatstore in a Map. */
export function mapVatstore(entries: Map<string, string> = new Map()): VatstoreBacking {
  return {
    get: key => entries.get(key),
    set: (key, value) => void entries.set(key, value),
    delete: key => void entries.delete(key),
    getNextKey: prior => {
      let next: string | undefined;
      for (const key of entries.keys()) if (key > prior && (next === undefined || key < next)) next = key;
      return next;
    },
  };
}

/** The kv operations a kvVatstore needs (swing-store's kvStore has them). */
export interface KVLike {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  getNextKey(previousKey: string): string | undefined;
}

/** A vat's vatstore inside a kv store, under `<vatID>.vs.` as the kernel keeps it. */
export function kvVatstore(kvStore: KVLike, vatID: string): VatstoreBacking {
  const prefix = `${vatID}.vs.`;
  return {
    get: key => kvStore.get(prefix + key),
    set: (key, value) => kvStore.set(prefix + key, value),
    delete: key => kvStore.delete(prefix + key),
    getNextKey: prior => {
      const next = kvStore.getNextKey(prefix + prior);
      return next?.startsWith(prefix) ? next.slice(prefix.length) : undefined;
    },
  };
}
