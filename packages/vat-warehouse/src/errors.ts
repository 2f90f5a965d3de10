// Coded errors: callers branch on `code`; the message names the vat, the
// position or the setting that was wrong, and why.
import type { VatSyscallObject } from './workerTypes.js';

export type VatWarehouseErrorCode =
  /** A replayed delivery made different syscalls than its transcript entry. */
  | 'REPLAY_DIVERGENCE'
  /** The vat diverged (or failed to come online) earlier; it takes no more work. */
  | 'VAT_DISABLED'
  /** The vat config source does not know the vat, or says it is dead. */
  | 'UNKNOWN_VAT'
  /** A stored transcript entry does not parse or has the wrong shape. */
  | 'BAD_TRANSCRIPT_ENTRY'
  /** The current span breaks the span rules (wrong first entry, pseudo-entry inside). */
  | 'BAD_SPAN'
  /** An option or argument is malformed. */
  | 'BAD_ARGUMENT'
  /** The warehouse was used after shutdown(). */
  | 'SHUT_DOWN'
  /** A worker could not be started or did not behave. */
  | 'WORKER_FAILURE'
  /**
   * The worker process died during a delivery (killed, crashed): a fault of
   * this machine, not of the vat, so it must not become a vat failure. The
   * worker is gone; the next delivery brings the vat back from its snapshot
   * and transcript.
   */
  | 'WORKER_DIED';

export class VatWarehouseError extends Error {
  readonly code: VatWarehouseErrorCode;
  constructor(code: VatWarehouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VatWarehouseError';
    this.code = code;
  }
}

export const fail = (code: VatWarehouseErrorCode, message: string, cause?: unknown): never => {
  throw new VatWarehouseError(code, message, cause === undefined ? undefined : { cause });
};

export type DivergenceKind = 'extra' | 'wrong' | 'missing';

/** Everything a person (or a tool) needs to find the diverging syscall. */
export interface DivergenceDetails {
  kind: DivergenceKind;
  vatID: string;
  /** Transcript position of the replayed delivery (the `d<N>`). */
  deliveryNum: number;
  /** 0-based syscall index within the delivery (the `sc<i>`). */
  syscallIndex: number;
  /** The recorded syscall; undefined for `extra`. */
  expected: VatSyscallObject | undefined;
  /** The syscall the vat made; undefined for `missing`. */
  actual: VatSyscallObject | undefined;
}

export class ReplayDivergenceError extends VatWarehouseError {
  readonly details: DivergenceDetails;
  constructor(details: DivergenceDetails, message: string) {
    super('REPLAY_DIVERGENCE', message);
    this.name = 'ReplayDivergenceError';
    this.details = details;
  }
}
