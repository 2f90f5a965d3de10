// Synchronous integrity check of an endoZipBase64 archive.
//
// A b1 bundle ID commits to the SHA-512 of the archive's
// `compartment-map.json`, and that map records the SHA-512 of every module
// file. Checking both links (and that no file escapes them) means every byte
// of content in the zip is bound to the ID. This runs on `addBundle`, which
// is synchronous; imports additionally run @endo/check-bundle.
import { ZipReader } from '@endo/zip';
import { fail } from './errors.js';
import { sha512Hex } from './bundleIDs.js';

const COMPARTMENT_MAP = 'compartment-map.json';

/** What @endo/zip's reader keeps per entry (its typings say `Map<any, any>`). */
interface ZipEntry {
  type: 'file' | 'directory';
  content: Uint8Array;
}

/**
 * Verifies `zipBytes` against `expectedSha512` (the hex after `b1-`) and
 * returns nothing; throws BUNDLE_MISMATCH naming `bundleID` otherwise.
 */
export function verifyEndoZip(zipBytes: Uint8Array, expectedSha512: string, bundleID: string): void {
  const mismatch = (reason: string): never =>
    fail('BUNDLE_MISMATCH', `bundle ${JSON.stringify(bundleID)} does not match its contents: ${reason}`);

  let files: Map<string, ZipEntry>;
  try {
    files = new ZipReader(zipBytes, { name: bundleID }).files as Map<string, ZipEntry>;
  } catch (error) {
    return mismatch(`not a readable zip archive (${error instanceof Error ? error.message : String(error)})`);
  }
  const mapFile = files.get(COMPARTMENT_MAP);
  if (!mapFile) return mismatch(`archive has no ${COMPARTMENT_MAP}`);
  const actual = sha512Hex(mapFile.content);
  if (actual !== expectedSha512) {
    return mismatch(`computed compartment-map SHA-512 ${actual}`);
  }

  let compartmentMap: unknown;
  try {
    compartmentMap = JSON.parse(new TextDecoder().decode(mapFile.content));
  } catch {
    return mismatch(`${COMPARTMENT_MAP} is not JSON`);
  }
  const unchecked = new Set<string>();
  for (const [path, file] of files) {
    if (path !== COMPARTMENT_MAP && file.type !== 'directory') unchecked.add(path);
  }
  const compartments = objectField(compartmentMap, 'compartments') ?? mismatch(`${COMPARTMENT_MAP} has no compartments`);
  for (const [compartmentName, compartment] of Object.entries(compartments)) {
    const modules = objectField(compartment, 'modules') ?? {};
    for (const [specifier, module] of Object.entries(modules)) {
      const location = stringField(module, 'location');
      if (location === undefined) continue; // a link to another compartment, no file
      const path = `${compartmentName}/${location}`;
      const file = files.get(path);
      const recorded = stringField(module, 'sha512');
      if (!file) return mismatch(`module ${JSON.stringify(specifier)} file ${JSON.stringify(path)} is missing`);
      if (recorded === undefined) return mismatch(`module ${JSON.stringify(path)} has no recorded SHA-512`);
      if (sha512Hex(file.content) !== recorded) {
        return mismatch(`module ${JSON.stringify(path)} fails its SHA-512 check`);
      }
      unchecked.delete(path);
    }
  }
  if (unchecked.size > 0) {
    mismatch(`archive holds files not covered by the compartment map: ${[...unchecked].join(', ')}`);
  }
}

function objectField(holder: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof holder !== 'object' || holder === null) return undefined;
  const value: unknown = (holder as Record<string, unknown>)[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringField(holder: unknown, key: string): string | undefined {
  if (typeof holder !== 'object' || holder === null) return undefined;
  const value: unknown = (holder as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
