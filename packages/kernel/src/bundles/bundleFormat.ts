// Bundle shapes and IDs: pure format checks, shared by the source cache
// (bundleCache.ts) and the kernel's own bundles (bundles.ts).
//
//   b1-<128 hex>  vat code: endoZipBase64, the hex is endoZipBase64Sha512
//                 (the SHA-512 of the archive's compartment map)
//   b0-<64 hex>   worker infrastructure (lockdown, supervisor): nestedEvaluate,
//                 SHA-256 of the bundle's JSON text
//
// The content check behind a b1 ID (that the archive really hashes to it)
// is done by swing-store's bundleStore when the bundle is added.
import { computeB0BundleID, type NestedEvaluateBundle } from '@crankshaft/worker-supervisor';
import { ConfigError } from '../shared/configErrors.js';

export interface EndoZipBase64Bundle {
  moduleFormat: 'endoZipBase64';
  endoZipBase64: string;
  endoZipBase64Sha512: string;
}

export type KernelBundle = EndoZipBase64Bundle | NestedEvaluateBundle;

const B1_ID = /^b1-[0-9a-f]{128}$/;
const B0_ID = /^b0-[0-9a-f]{64}$/;

export const isB1BundleID = (id: unknown): id is string => typeof id === 'string' && B1_ID.test(id);
export const isBundleID = (id: unknown): id is string =>
  typeof id === 'string' && (B1_ID.test(id) || B0_ID.test(id));

/**
 * Check that `bundle` is exactly an endoZipBase64 bundle record (the three
 * fields and nothing else, as `validateAndInstallBundle` demands) and return
 * a clean copy. `what` names the bundle in errors.
 */
export function insistEndoZipBase64Bundle(bundle: unknown, what: string): EndoZipBase64Bundle {
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
    throw new ConfigError('BAD_BUNDLE', `${what}: a bundle must be an object, got ${bundle === null ? 'null' : typeof bundle}`);
  }
  const record = bundle as Record<string, unknown>;
  if (record.moduleFormat !== 'endoZipBase64') {
    throw new ConfigError(
      'BAD_BUNDLE',
      `${what}: moduleFormat must be "endoZipBase64", got ${JSON.stringify(record.moduleFormat)}`,
    );
  }
  const extra = Object.keys(record).filter(
    key => key !== 'moduleFormat' && key !== 'endoZipBase64' && key !== 'endoZipBase64Sha512',
  );
  if (extra.length > 0) {
    throw new ConfigError('BAD_BUNDLE', `${what}: unexpected bundle fields ${extra.map(k => JSON.stringify(k)).join(', ')}`);
  }
  const { endoZipBase64, endoZipBase64Sha512 } = record;
  if (typeof endoZipBase64 !== 'string' || endoZipBase64.length === 0) {
    throw new ConfigError('BAD_BUNDLE', `${what}: endoZipBase64 must be a non-empty string`);
  }
  if (typeof endoZipBase64Sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(endoZipBase64Sha512)) {
    throw new ConfigError('BAD_BUNDLE', `${what}: endoZipBase64Sha512 must be 128 lowercase hex digits`);
  }
  return { moduleFormat: 'endoZipBase64', endoZipBase64, endoZipBase64Sha512 };
}

/** The b1 ID of an endoZipBase64 bundle. */
export function bundleIDOfEndoZip(bundle: EndoZipBase64Bundle): string {
  return `b1-${bundle.endoZipBase64Sha512}`;
}

/** The ID of any bundle the kernel stores: b1 for vat code, b0 for worker code. */
export function bundleIDOf(bundle: KernelBundle): string {
  return bundle.moduleFormat === 'endoZipBase64' ? bundleIDOfEndoZip(bundle) : computeB0BundleID(bundle);
}

/**
 * Check a host-supplied bundle against the ID it claims, returning the ID.
 * Content verification happens when the bundleStore stores it.
 */
export function checkAllegedBundleID(bundle: unknown, allegedBundleID?: string): string {
  const checked = insistEndoZipBase64Bundle(bundle, allegedBundleID === undefined ? 'bundle' : `bundle ${allegedBundleID}`);
  const actual = bundleIDOfEndoZip(checked);
  if (allegedBundleID !== undefined && allegedBundleID !== actual) {
    throw new ConfigError('BAD_BUNDLE', `alleged bundleID ${JSON.stringify(allegedBundleID)} does not match actual ${JSON.stringify(actual)}`);
  }
  return actual;
}
