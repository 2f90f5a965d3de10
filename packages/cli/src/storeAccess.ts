// Opening stores for the commands. Read-only commands open the SQLite file
// read-only, after checking that the directory is there and holds a
// Crankshaft (or SwingSet) kernel, so that a wrong path is one clear error
// and nothing is created or changed.
import fs from 'node:fs';
import { isSwingStore, openSwingStore, type SwingStore } from '@crankshaft/swing-store';
import { CliError, messageOf } from './cliErrors.js';

/** Checks `dir` is an existing swing-store directory; throws a CliError naming it otherwise. */
export function assertStoreDirectory(dir: string): void {
  const thing = `store ${dir}`;
  if (!fs.existsSync(dir)) throw new CliError(thing, 'does not exist');
  if (!fs.statSync(dir).isDirectory()) throw new CliError(thing, 'is not a directory');
  if (!isSwingStore(dir)) throw new CliError(thing, 'is not a Crankshaft store (no swingstore.sqlite in it)');
}

/** The kernel's "initialized" marker (SwingSet's `version`, or the legacy `initialized`). */
export const kernelIsInitialized = (store: SwingStore): boolean =>
  store.kernelStorage.kvStore.get('version') !== undefined || store.kernelStorage.kvStore.get('initialized') !== undefined;

/** Opens an initialized kernel store read-only. */
export function openStoreReadOnly(dir: string): SwingStore {
  assertStoreDirectory(dir);
  let store: SwingStore;
  try {
    store = openSwingStore(dir, { readonly: true });
  } catch (err) {
    throw new CliError(`store ${dir}`, `is not a Crankshaft store (${messageOf(err)})`, { cause: err });
  }
  if (!kernelIsInitialized(store)) {
    void store.hostStorage.close();
    throw new CliError(`store ${dir}`, 'holds no initialized kernel');
  }
  return store;
}

/** Runs `use` on the read-only store and closes it afterwards. */
export async function withReadOnlyStore<T>(dir: string, use: (store: SwingStore) => Promise<T> | T): Promise<T> {
  const store = openStoreReadOnly(dir);
  try {
    return await use(store);
  } finally {
    await store.hostStorage.close();
  }
}
