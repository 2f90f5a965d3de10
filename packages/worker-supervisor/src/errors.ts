// Coded errors: callers branch on `code`, people read `message`.
export type WorkerErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_BUNDLE'
  | 'BAD_MESSAGE'
  | 'BUNDLE_BUILD'
  | 'WORKER_BUSY'
  | 'WORKER_DEAD'
  | 'WORKER_START'
  | 'SYSCALL_HANDLER'
  | 'SNAPSHOT'
  | 'UNSUPPORTED';

export class WorkerError extends Error {
  // A class field (define semantics) so it works under SES lockdown too.
  override readonly name = 'WorkerError';
  readonly code: WorkerErrorCode;
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const fail = (code: WorkerErrorCode, message: string): never => {
  throw new WorkerError(code, message);
};
