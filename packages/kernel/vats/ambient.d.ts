/// <reference types="ses" />
// Vat and device code runs under SES (harden is a global there).

// @endo/captp ships JavaScript with JSDoc only; the plugin device uses
// this much of it (checked against its source, version ^4.4.8).
declare module '@endo/captp' {
  export interface CapTPOptions {
    /** Tags every message, so messages of an older connection are ignored. */
    epoch?: number;
  }
  export interface CapTP {
    dispatch(obj: Record<string, unknown>): boolean;
    abort(reason?: unknown): void;
    getBootstrap(): Promise<unknown>;
  }
  export function makeCapTP(
    ourId: string,
    rawSend: (obj: Record<string, unknown>) => void,
    bootstrapObj?: unknown,
    opts?: CapTPOptions,
  ): CapTP;
}
