// The kernel's kv cache: writes buffered within a crank, read coherence,
// and crank hashes that do not depend on what happened to be cached.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initSwingStore, type KernelStorage } from '@crankshaft/swing-store';
import { makeCachedKVStore } from '../src/state/cachedKV.js';

function freshStore(t: { teardown(fn: () => unknown): void }): KernelStorage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-cachedkv-'));
  const { kernelStorage, hostStorage } = initSwingStore(dir);
  t.teardown(() => hostStorage.close());
  return kernelStorage;
}

test('buffered writes collapse per key and are visible to reads and key scans', t => {
  const storage = freshStore(t);
  const writes: string[] = [];
  const spy = {
    ...storage.kvStore,
    set: (k: string, v: string) => {
      writes.push(`set ${k}=${v}`);
      storage.kvStore.set(k, v);
    },
    delete: (k: string) => {
      writes.push(`del ${k}`);
      storage.kvStore.delete(k);
    },
  };
  const kv = makeCachedKVStore(spy);
  kv.beginBuffering();
  kv.set('a', '1');
  kv.set('a', '2');
  kv.set('b', 'x');
  kv.delete('missing'); // absent: nothing to do
  t.is(kv.get('a'), '2');
  t.deepEqual(writes, [], 'nothing written yet');
  t.is(kv.getNextKey('a'), 'b', 'a key scan flushes first');
  t.deepEqual(writes, ['set a=2', 'set b=x']);
  kv.set('c', '1');
  kv.delete('c');
  kv.endBuffering();
  t.deepEqual(writes, ['set a=2', 'set b=x', 'del c']);
  t.is(storage.kvStore.get('a'), '2');
  t.throws(() => {
    kv.beginBuffering();
    kv.set('host.x', 'no');
  }, { message: /bad kernel kv write/ });
});

test('crank hashes do not depend on what is cached', t => {
  const run = (warm: boolean): string => {
    const storage = freshStore(t);
    storage.kvStore.set('k1', 'v1');
    storage.kvStore.set('k2', 'v2');
    storage.emitCrankHashes();
    const kv = makeCachedKVStore(storage.kvStore);
    if (warm) {
      kv.get('k1');
      kv.get('k2');
      kv.get('k3');
    }
    storage.startCrank();
    kv.beginBuffering();
    kv.delete('k1');
    kv.delete('k3'); // absent either way
    kv.set('k2', 'v2'); // same value: still a write
    kv.set('k4', 'v4');
    kv.flush();
    const { crankhash } = storage.emitCrankHashes();
    kv.endBuffering();
    storage.endCrank();
    return crankhash;
  };
  t.is(run(true), run(false));
});
