// Pure formats of bundle IDs, export-data keys and artifact names.
//
//   b0-<hex SHA-256 of JSON.stringify(bundle)>      moduleFormat 'nestedEvaluate'
//   b1-<hex SHA-512 of the zip's compartment map>   moduleFormat 'endoZipBase64'
//
// Export-data key and artifact name are both `bundle.<bundleID>`, and the
// export-data value is the bundleID itself.
import { createHash } from 'node:crypto';
import { fail } from './errors.js';
import type { ByteChunks } from './types.js';

export type BundleIDVersion = 0 | 1;

export interface ParsedBundleID {
  version: BundleIDVersion;
  /** Lowercase hex digest after the `bN-` prefix. */
  hash: string;
}

const B0_ID = /^b0-[0-9a-f]{64}$/;
const B1_ID = /^b1-[0-9a-f]{128}$/;

export function parseBundleID(bundleID: unknown): ParsedBundleID {
  if (typeof bundleID === 'string') {
    if (B0_ID.test(bundleID)) return { version: 0, hash: bundleID.slice(3) };
    if (B1_ID.test(bundleID)) return { version: 1, hash: bundleID.slice(3) };
  }
  return fail(
    'BAD_BUNDLE_ID',
    `unsupported bundleID ${JSON.stringify(bundleID)}: expected "b0-" + 64 hex digits or "b1-" + 128 hex digits`,
  );
}

export function bundleName(bundleID: string): string {
  return `bundle.${bundleID}`;
}

/**
 * `bundle.<bundleID>` -> bundleID; exactly one segment after the tag. The
 * same text is an artifact name and an export-data key; `what` picks the
 * error code and wording.
 */
export function bundleIDFromName(name: string, what: 'artifact name' | 'export-data key' = 'artifact name'): string {
  const parts = name.split('.');
  const [tag, bundleID] = parts;
  if (parts.length !== 2 || tag !== 'bundle' || !bundleID) {
    return fail(
      what === 'artifact name' ? 'BAD_ARTIFACT_NAME' : 'BAD_EXPORT_DATA',
      `expected a bundle ${what} of the form "bundle.<bundleID>", saw ${JSON.stringify(name)}`,
    );
  }
  return bundleID;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha512Hex(data: string | Uint8Array): string {
  return createHash('sha512').update(data).digest('hex');
}

/** The b0 ID of an already-serialized nestedEvaluate bundle. */
export function b0IDOf(serialized: string): string {
  return `b0-${sha256Hex(serialized)}`;
}

/**
 * Canonical b0 serialization of a nestedEvaluate bundle: only the three
 * known fields, in this order, so unknown fields in an untrusted artifact
 * cannot ride along (they would also change the hash).
 */
export function serializeNestedEvaluate(fields: { moduleFormat: unknown; source: unknown; sourceMap: unknown }): string {
  const { moduleFormat, source, sourceMap } = fields;
  return JSON.stringify({ moduleFormat, source, sourceMap });
}

/** Drains a byte stream into one Buffer (bundles are small enough to hold). */
export async function collectBytes(source: ByteChunks): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts, size);
}
