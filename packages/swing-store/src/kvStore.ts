// The string->string kvStore table, plus the kernel- and host-facing
// attenuations. Only the kernel facet feeds the crankhash and export data.
import type { KVKeyType, KVStore, NoteExport, StoreContext } from './types.js';
import { fail } from './errors.js';
import { crankhashDeleteInput, crankhashSetInput } from './hasher.js';

/** `local.*` and `host.*` keys stay out of consensus; everything else is in. */
export function getKVStoreKeyType(key: string): KVKeyType {
  assertKey(key);
  if (key.startsWith('local.')) return 'local';
  if (key.startsWith('host.')) return 'host';
  return 'consensus';
}

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') fail('BAD_KEY', `kvStore key must be a string, got ${typeof key}`);
}

function assertValue(key: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    fail('BAD_ARGUMENT', `kvStore value for key ${JSON.stringify(key)} must be a string, got ${typeof value}`);
  }
}

export interface KVStoreOptions {
  /** Receives one line per mutation (`set <key> <value>` / `del <key>`). */
  trace?: (line: string) => void;
}

/** The raw table: no key-class policy, no hashing, no export notes. */
export function makeKVStore(ctx: StoreContext, options: KVStoreOptions = {}): KVStore {
  const { db, ensureTxn } = ctx;
  const { trace } = options;
  db.exec(`
    CREATE TABLE IF NOT EXISTS kvStore (
      key TEXT,
      value TEXT,
      PRIMARY KEY (key)
    )
  `);
  const sqlGet = db.prepare<[string], string>('SELECT value FROM kvStore WHERE key = ?').pluck();
  // The primary-key index orders by BINARY collation, i.e. UTF-8 byte order.
  const sqlGetNextKey = db
    .prepare<[string], string>('SELECT key FROM kvStore WHERE key > ? ORDER BY key LIMIT 1')
    .pluck();
  const sqlSet = db.prepare<[string, string]>(
    'INSERT INTO kvStore (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
  );
  const sqlDelete = db.prepare<[string]>('DELETE FROM kvStore WHERE key = ?');

  const assertOpen = (): void => {
    if (!db.open) fail('CLOSED', 'swing-store kvStore used after the store was closed');
  };

  return {
    get(key) {
      assertKey(key);
      assertOpen();
      return sqlGet.get(key);
    },
    getNextKey(previousKey) {
      assertKey(previousKey);
      assertOpen();
      return sqlGetNextKey.get(previousKey);
    },
    has(key) {
      assertKey(key);
      assertOpen();
      return sqlGet.get(key) !== undefined;
    },
    set(key, value) {
      assertKey(key);
      assertValue(key, value);
      ensureTxn();
      sqlSet.run(key, value);
      trace?.(`set ${key} ${value}`);
    },
    delete(key) {
      assertKey(key);
      ensureTxn();
      sqlDelete.run(key);
      trace?.(`del ${key}`);
    },
  };
}

export interface KernelKVStoreHooks {
  noteExport: NoteExport;
  /** Appends bytes to the running crankhash. */
  addToCrankhash: (bytes: string) => void;
}

/** The kernel's view: refuses host keys; consensus writes are hashed and exported. */
export function makeKernelKVStore(raw: KVStore, hooks: KernelKVStoreHooks): KVStore {
  const { noteExport, addToCrankhash } = hooks;
  const keyTypeForWrite = (key: string): KVKeyType => {
    const keyType = getKVStoreKeyType(key);
    if (keyType === 'host') {
      fail('BAD_KEY', `kernel kvStore refuses host key ${JSON.stringify(key)}`);
    }
    return keyType;
  };
  return {
    get: key => raw.get(key),
    getNextKey: key => raw.getNextKey(key),
    has: key => raw.has(key),
    set(key, value) {
      const keyType = keyTypeForWrite(key);
      raw.set(key, value);
      if (keyType === 'consensus') {
        noteExport(`kv.${key}`, value);
        addToCrankhash(crankhashSetInput(key, value));
      }
    },
    delete(key) {
      const keyType = keyTypeForWrite(key);
      raw.delete(key);
      if (keyType === 'consensus') {
        noteExport(`kv.${key}`, undefined);
        addToCrankhash(crankhashDeleteInput(key));
      }
    },
  };
}

/** The host's view: reads anything, writes only `host.*` keys. */
export function makeHostKVStore(raw: KVStore): KVStore {
  const assertHostKey = (key: string): void => {
    if (getKVStoreKeyType(key) !== 'host') {
      fail('BAD_KEY', `host kvStore requires host keys, got ${JSON.stringify(key)}`);
    }
  };
  return {
    get: key => raw.get(key),
    getNextKey: key => raw.getNextKey(key),
    has: key => raw.has(key),
    set(key, value) {
      assertHostKey(key);
      raw.set(key, value);
    },
    delete(key) {
      assertHostKey(key);
      raw.delete(key);
    },
  };
}
