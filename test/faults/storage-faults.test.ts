// Storage faults: the disk fills up under a running kernel, the store sits
// on a read-only file system, another process holds SQLite's write lock.
// Each gives an error naming the store and the cause, and the next open
// finds the last committed state intact.
//
// The file systems are real: a size-limited tmpfs for the full disk and a
// read-only bind mount (this machine and CI run as root, so both mount).
import '@endo/init/debug.js';
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dbFileInDirectory, initSwingStore, openSwingStore, type SwingStore } from '@crankshaft/swing-store';
import { initializeSwingset, makeSwingsetController, type SwingsetController } from '@crankshaft/kernel';
import { loadFixtureConfig, makeTempDir } from '../kernel-helpers.js';
import { dumpCommittedStore } from './storeDump.js';

const quiet = { quiet: true, vatConsole: () => {} } as const;

/** A fresh tmpfs of `megabytes` at a temp dir, unmounted when the test ends. */
function mountTmpfs(t: ExecutionContext, megabytes: number): string {
  const dir = makeTempDir('storage-tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir]);
  t.teardown(() => {
    execFileSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a ballast file until the file system says ENOSPC. */
function fillDisk(dir: string): string {
  const ballast = path.join(dir, 'ballast');
  const fd = fs.openSync(ballast, 'w');
  const block = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  // single bytes too, so not even a page is left
  const fd2 = fs.openSync(ballast, 'a');
  try {
    for (;;) fs.writeSync(fd2, Buffer.alloc(1, 7));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd2);
  }
  return ballast;
}

interface Running {
  store: SwingStore;
  controller: SwingsetController;
}

/** pingpong on local workers in `dir`, bootstrapped and committed; pong's root pinned for host sends. */
async function bootPingpong(dir: string): Promise<void> {
  const store = initSwingStore(dir);
  await initializeSwingset(await loadFixtureConfig('pingpong', 'local'), [], store.kernelStorage);
  await store.hostStorage.commit();
  const controller = await makeSwingsetController(store.kernelStorage, {}, quiet);
  controller.pinVatRoot('pong');
  await controller.run();
  await store.hostStorage.commit();
  await controller.shutdown();
  await store.hostStorage.close();
}

/**
 * Reopens the store and its kernel, and commits once: closing the last
 * connection checkpointed and removed the WAL, so after this commit the WAL
 * is tiny and a bigger commit needs new blocks of the disk.
 */
async function reopen(dir: string): Promise<Running> {
  const store = openSwingStore(dir);
  const controller = await makeSwingsetController(store.kernelStorage, {}, quiet);
  await store.hostStorage.commit();
  return { store, controller };
}

test('the disk fills up under a running kernel: the commit fails with DISK_FULL naming the store; the reopened store is at the last commit and resumes', async t => {
  const disk = mountTmpfs(t, 48);
  const dir = path.join(disk, 'store');
  await bootPingpong(dir);
  const running = await reopen(dir);
  const before = dumpCommittedStore(dir);
  const activityBefore = running.controller.getActivityhash();

  const ballast = fillDisk(disk);
  // 200 KB in the message, the transcript and the result: more than the WAL has room for
  const big = 'x'.repeat(200_000);
  const kpid = running.controller.queueToVatRoot('pong', 'ping', [big]);
  await running.controller.run();
  const err = await t.throwsAsync(() => running.store.hostStorage.commit());
  t.is((err as { code?: string }).code, 'DISK_FULL');
  t.true(err?.message.includes(dbFileInDirectory(dir)), `the error names the store: ${err?.message}`);
  t.regex(err?.message ?? '', /failed to commit: the disk is full \(SQLITE_FULL: database or disk is full\)/);
  t.regex(err?.message ?? '', /reopen it to resume from the last commit/);

  // the store refuses to go on from a state the file does not hold
  const again = t.throws(() => running.controller.queueToVatRoot('pong', 'ping', [1]));
  t.regex(again?.message ?? '', /failed to commit: the disk is full/);
  const commitAgain = await t.throwsAsync(() => running.store.hostStorage.commit());
  t.is((commitAgain as { code?: string }).code, 'FAILED_COMMIT');
  await running.controller.shutdown();
  await running.store.hostStorage.close();
  t.deepEqual(dumpCommittedStore(dir), before, 'the file holds exactly the last commit');

  // space again: the host reopens and resends what its last commit did not cover
  fs.rmSync(ballast);
  const resumed = await reopen(dir);
  t.teardown(() => resumed.controller.shutdown());
  t.is(resumed.controller.getActivityhash(), activityBefore);
  t.is(resumed.controller.kpStatus(kpid as string), 'unknown', 'the lost crank left no promise behind');
  const kpid2 = resumed.controller.queueToVatRoot('pong', 'ping', [big]);
  await resumed.controller.run();
  await resumed.store.hostStorage.commit();
  t.is(resumed.controller.kpStatus(kpid2 as string), 'fulfilled');
  t.not(dumpCommittedStore(dir).digest, before.digest);
});

test('a store on a read-only file system is refused at open with STORAGE_READ_ONLY naming the store; the store itself is untouched', async t => {
  const dir = makeTempDir('storage-ro');
  const storeDir = path.join(dir, 'store');
  await bootPingpong(storeDir);
  const before = dumpCommittedStore(storeDir);
  const committedActivityhash = (() => {
    const plain = openSwingStore(storeDir, { readonly: true });
    try {
      return plain.kernelStorage.kvStore.get('activityhash');
    } finally {
      void plain.hostStorage.close();
    }
  })();
  t.regex(committedActivityhash ?? '', /^[0-9a-f]{64}$/);
  const roView = makeTempDir('storage-ro-view');
  execFileSync('mount', ['--bind', '-o', 'ro', dir, roView]);
  t.teardown(() => {
    execFileSync('umount', ['-l', roView]);
    fs.rmSync(roView, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const roStore = path.join(roView, 'store');
  const err = t.throws(() => openSwingStore(roStore));
  t.is((err as { code?: string }).code, 'STORAGE_READ_ONLY');
  t.true(err?.message.includes(dbFileInDirectory(roStore)), `the error names the store: ${err?.message}`);
  t.regex(err?.message ?? '', /cannot be opened for writing: its directory is read-only/);
  // reading works while SQLite's WAL index file is there (a reader left it beside the database) ...
  t.true(fs.existsSync(`${dbFileInDirectory(storeDir)}-shm`));
  const reader = openSwingStore(roStore, { readonly: true });
  t.is(reader.kernelStorage.kvStore.get('activityhash'), committedActivityhash);
  await reader.hostStorage.close();
  // ... and without it SQLite cannot read a WAL database on a read-only file system: said so
  execFileSync('umount', [roView]);
  fs.rmSync(`${dbFileInDirectory(storeDir)}-shm`);
  fs.rmSync(`${dbFileInDirectory(storeDir)}-wal`, { force: true });
  execFileSync('mount', ['--bind', '-o', 'ro', dir, roView]);
  const readErr = t.throws(() => openSwingStore(roStore, { readonly: true }));
  t.is((readErr as { code?: string }).code, 'STORAGE_READ_ONLY');
  t.regex(readErr?.message ?? '', /cannot be opened: its directory is read-only, and SQLite's WAL mode must create files beside the database/);
  t.deepEqual(dumpCommittedStore(storeDir), before);
  // the same store on a writable path opens and runs
  const running = await reopen(storeDir);
  t.teardown(() => running.controller.shutdown());
  const kpid = running.controller.queueToVatRoot('pong', 'ping', [3]);
  await running.controller.run();
  await running.store.hostStorage.commit();
  t.is(running.controller.kpStatus(kpid as string), 'fulfilled');
});

/** Another process that takes SQLite's write lock on `dir`'s store and holds it until stdin closes. */
async function holdWriteLock(t: ExecutionContext, dir: string): Promise<() => Promise<void>> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.resume();
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, dbFileInDirectory(dir)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: path.dirname(new URL(import.meta.url).pathname),
  });
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', code => reject(Error(`lock holder exited with ${code}`)));
  });
  const release = async (): Promise<void> => {
    child.stdin.end();
    await exited;
  };
  t.teardown(release);
  return release;
}

test("another process holds the write lock: the host's write is refused with LOCKED naming the store; after it lets go the same kernel goes on", async t => {
  const dir = makeTempDir('storage-lock');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await bootPingpong(dir);
  const running = await reopen(dir);
  const before = dumpCommittedStore(dir);
  const release = await holdWriteLock(t, dir);
  // the host's first write after its commit needs the lock (SQLite waits its busy timeout first)
  const err = t.throws(() => running.controller.queueToVatRoot('pong', 'ping', [5]));
  t.is((err as { code?: string }).code, 'LOCKED');
  t.true(err?.message.includes(dbFileInDirectory(dir)), `the error names the store: ${err?.message}`);
  t.regex(err?.message ?? '', /another open store \(another kernel or process\) is writing to it/);
  await release();
  t.deepEqual(dumpCommittedStore(dir), before, 'nothing was written');
  // the same kernel goes on once the lock is free: the refused call wrote nothing
  const kpid = running.controller.queueToVatRoot('pong', 'ping', [5]);
  await running.controller.run();
  await running.store.hostStorage.commit();
  t.is(running.controller.kpStatus(kpid as string), 'fulfilled');
  await running.controller.shutdown();
  await running.store.hostStorage.close();
});
