// Small helpers over the kernel's kvStore: required reads, prefix scans in
// key order, and the comma-list encoding the schema uses.
import type { KVStore } from '@crankshaft/swing-store';
import { KernelError } from '../shared/errors.js';

export type { KVStore };

export function getRequired(kv: KVStore, key: string): string {
  const value = kv.get(key);
  if (value === undefined) throw new KernelError('BAD_STATE', `kernel state lacks required key ${key}`);
  return value;
}

/** Parses a stored non-negative integer; names the key when it is not one. */
export function getNat(kv: KVStore, key: string): number {
  const text = getRequired(kv, key);
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new KernelError('BAD_STATE', `kernel state key ${key} holds ${JSON.stringify(text)}, not a natural number`);
  }
  return n;
}

/** Reads a counter key, stores counter+1, returns the old value. */
export function allocateFrom(kv: KVStore, key: string): number {
  const id = getNat(kv, key);
  kv.set(key, `${id + 1}`);
  return id;
}

export interface PrefixedKey {
  key: string;
  suffix: string;
}

/**
 * Keys starting with `prefix` (the prefix itself excluded), in key order,
 * stopping before `exclusiveEnd` if given.
 */
export function* enumeratePrefixedKeys(kv: KVStore, prefix: string, exclusiveEnd?: string): Generator<PrefixedKey> {
  let key: string | undefined = prefix;
  for (;;) {
    key = kv.getNextKey(key);
    if (key === undefined || !key.startsWith(prefix)) return;
    if (exclusiveEnd !== undefined && key >= exclusiveEnd) return;
    yield { key, suffix: key.slice(prefix.length) };
  }
}

/** `prefix0`, `prefix1`, ... while they exist (the promise-queue layout). */
export function* enumerateNumericKeys(kv: KVStore, prefix: string): Generator<string> {
  for (let i = 0; ; i += 1) {
    const key = `${prefix}${i}`;
    if (!kv.has(key)) return;
    yield key;
  }
}

export function deleteNumericKeys(kv: KVStore, prefix: string): void {
  for (const key of [...enumerateNumericKeys(kv, prefix)]) kv.delete(key);
}

export const commaSplit = (s: string): string[] => (s === '' ? [] : s.split(','));

export function parseJSON<T>(kv: KVStore, key: string): T {
  const text = getRequired(kv, key);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new KernelError('BAD_STATE', `kernel state key ${key} is not JSON: ${(err as Error).message}`);
  }
}
