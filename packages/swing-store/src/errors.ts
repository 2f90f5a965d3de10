// Coded errors: callers (and tests) branch on `code`, people read `message`.
export type SwingStoreErrorCode =
  | 'NOT_A_SWING_STORE'
  | 'BAD_KEY'
  | 'NO_TRANSCRIPT'
  | 'NO_SPAN'
  | 'INCOMPLETE_SPAN'
  | 'NO_SNAPSHOT'
  | 'CORRUPT_SNAPSHOT'
  | 'DUPLICATE_RECORD'
  | 'SNAPSHOT_HASH_MISMATCH'
  | 'TRUNCATED_ARTIFACT'
  | 'ARTIFACT_HASH_MISMATCH'
  | 'MISSING_ARTIFACT'
  | 'BAD_ARTIFACT_NAME'
  | 'BAD_EXPORT_DATA'
  | 'BAD_BUNDLE_ID'
  | 'BUNDLE_MISMATCH'
  | 'NO_BUNDLE'
  | 'INCOMPLETE'
  | 'BAD_MODE'
  | 'CRANK_STATE'
  | 'CLOSED'
  | 'BAD_ARGUMENT'
  | 'HASHER_FINISHED'
  | 'DB_CONFIG'
  | 'READ_ONLY'
  | 'LOCKED'
  | 'BAD_ARTIFACT'
  | 'DISK_FULL'
  | 'STORAGE_READ_ONLY'
  | 'STORAGE_IO'
  | 'FAILED_COMMIT';

export class SwingStoreError extends Error {
  readonly code: SwingStoreErrorCode;
  constructor(code: SwingStoreErrorCode, message: string) {
    super(message);
    this.name = 'SwingStoreError';
    this.code = code;
  }
}

export const fail = (code: SwingStoreErrorCode, message: string): never => {
  throw new SwingStoreError(code, message);
};

/** SQLite's answer when another connection holds the write lock. */
export const isLockedError = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
};

const sqliteCodeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/**
 * What the file system did to a write, in words, when SQLite's error is a
 * storage fault rather than a bug (the disk is full, the file system is
 * read-only, an I/O error); undefined for any other error.
 */
export function describeStorageFault(err: unknown): { code: 'DISK_FULL' | 'STORAGE_READ_ONLY' | 'STORAGE_IO'; reason: string } | undefined {
  const code = sqliteCodeOf(err);
  const detail = `${code}: ${err instanceof Error ? err.message : String(err)}`;
  if (code === 'SQLITE_FULL') return { code: 'DISK_FULL', reason: `the disk is full (${detail})` };
  if (code.startsWith('SQLITE_READONLY')) return { code: 'STORAGE_READ_ONLY', reason: `the file system or file is read-only (${detail})` };
  if (code.startsWith('SQLITE_IOERR')) return { code: 'STORAGE_IO', reason: `the file system reported an I/O error (${detail})` };
  return undefined;
}
