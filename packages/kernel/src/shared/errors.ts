// Coded kernel errors: callers branch on `code`, people read `message`.
// Texts that reach vats (and so transcripts) are not made here; those use
// the reference's exact words (see translate.ts, routing.ts, termination.ts).

export type KernelErrorCode =
  /** A kref, vref, vatID or deviceID that does not parse. */
  | 'BAD_REF'
  | 'BAD_ID'
  /** Capdata, a message or another record of the wrong shape. */
  | 'BAD_DATA'
  /** A host call with a bad argument (unknown vat name, bad option...). */
  | 'BAD_ARGUMENT'
  /** Kernel state that contradicts itself (a missing required key, a refcount underflow). */
  | 'BAD_STATE'
  /** A vat's syscall that the kernel refuses (the vat gets terminated). */
  | 'ILLEGAL_SYSCALL'
  /** A host call made in the wrong lifecycle phase. */
  | 'LIFECYCLE'
  /** The kernel panicked; it refuses further work. */
  | 'KERNEL_PANIC'
  /** A config or bundle the kernel cannot use. */
  | 'BAD_CONFIG';

export class KernelError extends Error {
  // A class field (define semantics), so it works under SES lockdown too.
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const fail = (code: KernelErrorCode, message: string, cause?: unknown): never => {
  throw new KernelError(code, message, cause === undefined ? undefined : { cause });
};

/** Asserts a condition about kernel state; the message names what broke. */
export function insist(condition: unknown, message: string): asserts condition {
  if (!condition) throw new KernelError('BAD_STATE', message);
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
