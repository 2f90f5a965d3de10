// The directory form of a state-sync export: a manifest, the export data as
// JSON lines, and one file per artifact, each with its size and SHA-256 so
// that a damaged copy is caught before the importer sees it.
//
//   export-manifest.json  {format, version, artifactMode, exportData, artifacts: [{name, file, bytes, sha256}]}
//   export-data.jsonl     one [key, value] per line
//   <artifact name>       the artifact's bytes
import type { ArtifactMode } from '@crankshaft/swing-store';
import { artifactModes } from '@crankshaft/swing-store';
import { CliError } from './cliErrors.js';

export const MANIFEST_FILE = 'export-manifest.json';
export const EXPORT_DATA_FILE = 'export-data.jsonl';
export const MANIFEST_FORMAT = 'crankshaft-state-sync';

export interface ArtifactFile {
  name: string;
  file: string;
  bytes: number;
  sha256: string;
}

export interface ExportManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  artifactMode: ArtifactMode;
  exportData: string;
  exportDataEntries: number;
  artifacts: ArtifactFile[];
}

/** Artifact names are dotted words (`transcript.v1.0.5`, `bundle.b1-…`): safe as file names. */
const safeFileName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function artifactFileName(name: string): string {
  if (!safeFileName.test(name) || name === MANIFEST_FILE || name === EXPORT_DATA_FILE) {
    throw new CliError(`artifact ${JSON.stringify(name)}`, 'has a name that cannot be a file name');
  }
  return name;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parse boundary for a manifest read from disk; the CliError names the file and the field. */
export function parseManifest(text: string, where: string): ExportManifest {
  const bad = (reason: string): never => {
    throw new CliError(`export manifest ${where}`, reason);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad('is not JSON (corrupt artifact directory?)');
  }
  if (!isRecord(parsed)) return bad('is not a JSON object');
  if (parsed['format'] !== MANIFEST_FORMAT || parsed['version'] !== 1) return bad(`is not a ${MANIFEST_FORMAT} version 1 manifest`);
  const mode = parsed['artifactMode'];
  if (typeof mode !== 'string' || !(artifactModes as readonly string[]).includes(mode)) return bad(`has an unknown artifactMode ${JSON.stringify(mode)}`);
  if (parsed['exportData'] !== EXPORT_DATA_FILE) return bad(`names export data ${JSON.stringify(parsed['exportData'])}, expected ${EXPORT_DATA_FILE}`);
  const entries = parsed['exportDataEntries'];
  if (typeof entries !== 'number' || !Number.isSafeInteger(entries) || entries < 0) return bad('has no exportDataEntries count');
  const list = parsed['artifacts'];
  if (!Array.isArray(list)) return bad('has no artifacts list');
  const artifacts = list.map((item: unknown, i): ArtifactFile => {
    if (!isRecord(item)) return bad(`artifacts[${i}] is not an object`);
    const { name, file, bytes, sha256 } = item;
    if (typeof name !== 'string' || typeof file !== 'string' || file !== artifactFileName(name)) return bad(`artifacts[${i}] has a bad name or file`);
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return bad(`artifacts[${i}] (${name}) has a bad size`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return bad(`artifacts[${i}] (${name}) has a bad sha256`);
    return { name, file, bytes, sha256 };
  });
  return {
    format: MANIFEST_FORMAT,
    version: 1,
    artifactMode: mode as ArtifactMode,
    exportData: EXPORT_DATA_FILE,
    exportDataEntries: entries,
    artifacts,
  };
}

/** One export-data line; `where` names the line for the error. */
export function parseExportDataLine(line: string, where: string): [string, string | null] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new CliError(`export data ${where}`, 'is not JSON (corrupt artifact directory?)');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || !(typeof parsed[1] === 'string' || parsed[1] === null)) {
    throw new CliError(`export data ${where}`, 'is not a [key, value] pair');
  }
  return [parsed[0], parsed[1]];
}
