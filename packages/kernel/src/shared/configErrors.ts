// Coded errors for config loading, validation and bundling. Every message
// names the thing at fault (file, vat, device, bundle, key) and why.

export type ConfigErrorCode =
  /** The config file is not valid JSON. */
  | 'CONFIG_PARSE'
  /** A key has the wrong type, value or combination. */
  | 'CONFIG_INVALID'
  /** A sourceSpec/bundleSpec names a file that does not exist. */
  | 'CONFIG_SOURCE_MISSING'
  /** No bootstrap vat, or it names a vat that is not configured. */
  | 'CONFIG_BOOTSTRAP'
  /** bundle-source failed, or a bundle file is unreadable or malformed. */
  | 'BUNDLE_FAILED'
  /** A bundle object does not have the shape the kernel accepts. */
  | 'BAD_BUNDLE';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
    this.code = code;
  }
}
