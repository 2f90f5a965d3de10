/// <reference types="ses" />
// Declarations for untyped dependencies, checked at their use sites.
declare module '@endo/import-bundle' {
  export interface ImportBundleOptions {
    endowments?: Record<string, unknown>;
    filePrefix?: string;
  }
  export function importBundle(bundle: unknown, options?: ImportBundleOptions): Promise<Record<string, unknown>>;
}
