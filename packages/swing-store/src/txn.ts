// Transaction and crank machinery. One long `BEGIN IMMEDIATE` transaction is
// opened lazily by the first write and ends only at hostStorage.commit();
// cranks nest SQL savepoints `t<i>` inside it.
import type { Database, Statement } from 'better-sqlite3';
import type { EnsureTxn, KVStore, NoteExport } from './types.js';
import { describeStorageFault, fail, isLockedError } from './errors.js';
import { makeSHA256, nextActivityhash, type Hasher } from './hasher.js';

/**
 * IMMEDIATE takes the write lock up front, so a competing writer is found
 * at the first write rather than at commit; readers (WAL) are unaffected.
 */
export function makeEnsureTxn(db: Database, readonly = false, whyClosed: () => string | undefined = () => undefined): EnsureTxn {
  const sqlBegin = db.prepare('BEGIN IMMEDIATE TRANSACTION');
  return () => {
    if (!db.open) fail('CLOSED', whyClosed() ?? 'swing-store used after it was closed');
    if (readonly) fail('READ_ONLY', 'swing-store was opened readonly and cannot be written');
    if (db.inTransaction) return;
    try {
      sqlBegin.run();
    } catch (err) {
      if (isLockedError(err)) {
        fail('LOCKED', `swing-store ${db.name} is locked: another open store (another kernel or process) is writing to it`);
      }
      const fault = describeStorageFault(err);
      if (fault) fail(fault.code, `swing-store ${db.name} cannot start a transaction: ${fault.reason}`);
      throw err;
    }
  };
}

export interface CrankControlDeps {
  db: Database;
  ensureTxn: EnsureTxn;
  /** The raw kvStore: the activityhash write must not feed the crankhash. */
  kvStore: KVStore;
  noteExport: NoteExport;
  flushPendingExports: () => void;
}

export interface CrankControl {
  startCrank(): void;
  establishCrankSavepoint(name: string): void;
  rollbackCrank(name: string): void;
  emitCrankHashes(): { crankhash: string; activityhash: string };
  endCrank(): void;
  getActivityhash(): string;
  addToCrankhash(bytes: string): void;
  /** True while crank savepoints are outstanding (a COMMIT would drop them). */
  hasSavepoints(): boolean;
}

export function makeCrankControl(deps: CrankControlDeps): CrankControl {
  const { db, ensureTxn, kvStore, noteExport, flushPendingExports } = deps;
  let inCrank = false;
  let crankhasher: Hasher = makeSHA256();
  /** savepoints[i] is the caller's name for SQL savepoint `t<i>`. */
  const savepoints: string[] = [];
  const sqlReleaseAll = db.prepare('RELEASE SAVEPOINT t0');
  // Savepoint statements are prepared once per ordinal: preparing them on
  // every crank showed up in kernel profiles.
  const sqlSavepoint: Statement<[]>[] = [];
  const sqlRollbackTo: Statement<[]>[] = [];
  const statementFor = (cache: Statement<[]>[], sql: string, ordinal: number) =>
    (cache[ordinal] ??= db.prepare(`${sql} t${ordinal}`));

  const assertInCrank = (what: string): void => {
    if (!inCrank) fail('CRANK_STATE', `${what} called outside of a crank`);
  };

  return {
    startCrank() {
      if (inCrank) fail('CRANK_STATE', 'startCrank called while already in a crank');
      inCrank = true;
      crankhasher = makeSHA256();
    },
    establishCrankSavepoint(name) {
      assertInCrank('establishCrankSavepoint');
      // A savepoint outside a transaction would autocommit on release.
      ensureTxn();
      statementFor(sqlSavepoint, 'SAVEPOINT', savepoints.length).run();
      savepoints.push(name);
    },
    rollbackCrank(name) {
      assertInCrank('rollbackCrank');
      const ordinal = savepoints.indexOf(name);
      if (ordinal < 0) fail('CRANK_STATE', `rollbackCrank: no such savepoint ${JSON.stringify(name)}`);
      // Everything in the DB rolls back, pending exports included; the
      // crankhash deliberately does not.
      statementFor(sqlRollbackTo, 'ROLLBACK TO SAVEPOINT', ordinal).run();
      savepoints.length = ordinal;
    },
    emitCrankHashes() {
      const crankhash = crankhasher.finish();
      crankhasher = makeSHA256();
      const activityhash = nextActivityhash(kvStore.get('activityhash') ?? '', crankhash);
      kvStore.set('activityhash', activityhash);
      // Written through the raw store, so the export note is made by hand.
      noteExport('kv.activityhash', activityhash);
      return { crankhash, activityhash };
    },
    endCrank() {
      assertInCrank('endCrank');
      if (savepoints.length > 0) {
        sqlReleaseAll.run();
        savepoints.length = 0;
      }
      flushPendingExports();
      inCrank = false;
    },
    getActivityhash: () => kvStore.get('activityhash') ?? '',
    addToCrankhash(bytes) {
      crankhasher.add(bytes);
    },
    hasSavepoints: () => savepoints.length > 0,
  };
}
