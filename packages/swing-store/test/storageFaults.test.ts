// describeStorageFault: which SQLite errors are faults of the file system,
// and the words the store's errors use for them.
import test from 'ava';
import { describeStorageFault } from '../src/errors.js';

const sqliteError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

test('SQLITE_FULL is a full disk', t => {
  t.deepEqual(describeStorageFault(sqliteError('SQLITE_FULL', 'database or disk is full')), {
    code: 'DISK_FULL',
    reason: 'the disk is full (SQLITE_FULL: database or disk is full)',
  });
});

test('every SQLITE_READONLY_* is a read-only file system or file', t => {
  for (const code of ['SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY']) {
    t.is(describeStorageFault(sqliteError(code, 'attempt to write a readonly database'))?.code, 'STORAGE_READ_ONLY', code);
  }
});

test('every SQLITE_IOERR_* is an I/O error', t => {
  const fault = describeStorageFault(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'));
  t.is(fault?.code, 'STORAGE_IO');
  t.is(fault?.reason, 'the file system reported an I/O error (SQLITE_IOERR_WRITE: disk I/O error)');
});

test('other errors, locks and bugs among them, are not storage faults', t => {
  t.is(describeStorageFault(sqliteError('SQLITE_BUSY', 'database is locked')), undefined);
  t.is(describeStorageFault(sqliteError('SQLITE_CONSTRAINT_PRIMARYKEY', 'UNIQUE constraint failed')), undefined);
  t.is(describeStorageFault(new TypeError('x is not a function')), undefined);
  t.is(describeStorageFault('a string'), undefined);
});
