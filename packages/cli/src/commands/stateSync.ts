// `crankshaft export <store> <dir>` and `crankshaft import <dir> <store>`:
// state-sync artifacts to and from a directory (stateSyncDir.ts). Both are
// all-or-nothing: export writes into a staging directory renamed at the
// end; import relies on importSwingStore's staging directory, and checks
// every file against the manifest while it streams.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  artifactModes,
  importSwingStore,
  makeSwingStoreExporter,
  type ArtifactMode,
  type SwingStoreExporter,
} from '@crankshaft/swing-store';
import { CliError, messageOf } from '../cliErrors.js';
import { formatBytes, type Output } from '../output.js';
import { assertStoreDirectory } from '../storeAccess.js';
import {
  artifactFileName,
  EXPORT_DATA_FILE,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  parseExportDataLine,
  parseManifest,
  type ArtifactFile,
  type ExportManifest,
} from '../stateSyncDir.js';

export function parseArtifactMode(text: string | undefined): ArtifactMode {
  const mode = text ?? 'operational';
  if (!(artifactModes as readonly string[]).includes(mode)) {
    throw new CliError(`--mode ${mode}`, `must be one of ${artifactModes.join(', ')}`);
  }
  return mode as ArtifactMode;
}

const isNonEmptyDir = (dir: string): boolean => fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0);

export interface ExportSummary {
  dir: string;
  artifactMode: ArtifactMode;
  exportDataEntries: number;
  artifacts: number;
  bytes: number;
}

export async function exportCommand(storeDir: string, outDir: string, options: { mode?: string }, out: Output): Promise<number> {
  const artifactMode = parseArtifactMode(options.mode);
  assertStoreDirectory(storeDir);
  if (isNonEmptyDir(outDir)) throw new CliError(`export directory ${outDir}`, 'already exists and is not empty');
  let exporter;
  try {
    exporter = makeSwingStoreExporter(storeDir, { artifactMode });
  } catch (err) {
    throw new CliError(`store ${storeDir}`, `cannot be exported: ${messageOf(err)}`, { cause: err });
  }
  const staging = `${path.resolve(outDir)}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    let exportDataEntries = 0;
    const dataFile = fs.openSync(path.join(staging, EXPORT_DATA_FILE), 'w');
    try {
      for await (const entry of exporter.getExportData()) {
        fs.writeSync(dataFile, `${JSON.stringify(entry)}\n`);
        exportDataEntries += 1;
      }
    } finally {
      fs.closeSync(dataFile);
    }
    let names: string[];
    try {
      names = [];
      for await (const name of exporter.getArtifactNames()) names.push(name);
    } catch (err) {
      throw new CliError(`store ${storeDir}`, `cannot be exported in ${artifactMode} mode: ${messageOf(err)}`, { cause: err });
    }
    const progress = out.progress('export', names.length);
    const artifacts: ArtifactFile[] = [];
    let bytes = 0;
    for (const name of names) {
      const file = artifactFileName(name);
      const hash = createHash('sha256');
      let size = 0;
      const fd = fs.openSync(path.join(staging, file), 'w');
      try {
        for await (const chunk of exporter.getArtifact(name)) {
          fs.writeSync(fd, chunk);
          hash.update(chunk);
          size += chunk.length;
        }
      } finally {
        fs.closeSync(fd);
      }
      bytes += size;
      artifacts.push({ name, file, bytes: size, sha256: hash.digest('hex') });
      progress.advance(1, `${formatBytes(bytes)} written`);
    }
    const manifest: ExportManifest = {
      format: MANIFEST_FORMAT,
      version: 1,
      artifactMode,
      exportData: EXPORT_DATA_FILE,
      exportDataEntries,
      artifacts,
    };
    fs.writeFileSync(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    progress.done(`exported ${artifacts.length} artifacts (${formatBytes(bytes)}) and ${exportDataEntries} export-data entries`);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(staging, outDir);
    const summary: ExportSummary = { dir: outDir, artifactMode, exportDataEntries, artifacts: artifacts.length, bytes };
    out.result(summary);
    out.line(`exported ${storeDir} to ${outDir} (${artifactMode}): ${artifacts.length} artifacts, ${formatBytes(bytes)}, ${exportDataEntries} export-data entries`);
    return 0;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    await exporter.close();
  }
}

/**
 * Streams a file and checks its size and SHA-256 against the manifest at the
 * end; a mismatch fails the whole import, which then leaves nothing behind.
 */
async function* checkedArtifact(dir: string, artifact: ArtifactFile, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  const file = path.join(dir, artifact.file);
  if (!fs.existsSync(file)) throw new CliError(`artifact ${artifact.name}`, `is missing from ${dir}`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
    onBytes(bytes.length);
    yield bytes;
  }
  if (size !== artifact.bytes) throw new CliError(`artifact ${artifact.name}`, `is corrupt: it has ${size} bytes, the manifest says ${artifact.bytes}`);
  const digest = hash.digest('hex');
  if (digest !== artifact.sha256) throw new CliError(`artifact ${artifact.name}`, `is corrupt: its sha256 is ${digest}, the manifest says ${artifact.sha256}`);
}

function makeDirectoryExporter(dir: string, manifest: ExportManifest, onBytes: (n: number) => void): SwingStoreExporter {
  const byName = new Map(manifest.artifacts.map(a => [a.name, a]));
  return {
    getHostKV: () => undefined,
    async *getExportData() {
      const file = path.join(dir, EXPORT_DATA_FILE);
      if (!fs.existsSync(file)) throw new CliError(`export data ${file}`, 'is missing');
      onBytes(0);
      const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
      let lineNumber = 0;
      for await (const line of lines) {
        lineNumber += 1;
        onBytes(line.length + 1);
        if (line === '') continue;
        // A null value deletes a key; the importer accepts it.
        yield parseExportDataLine(line, `${file}:${lineNumber}`) as [string, string];
      }
      if (lineNumber !== manifest.exportDataEntries) {
        throw new CliError(`export data ${file}`, `has ${lineNumber} lines, the manifest says ${manifest.exportDataEntries}`);
      }
    },
    async *getArtifactNames() {
      yield* manifest.artifacts.map(a => a.name);
    },
    getArtifact(name) {
      const artifact = byName.get(name);
      if (!artifact) throw new CliError(`artifact ${name}`, 'is not in the manifest');
      return checkedArtifact(dir, artifact, onBytes);
    },
    async close() {},
  };
}

export async function importCommand(inDir: string, storeDir: string, out: Output): Promise<number> {
  const manifestPath = path.join(inDir, MANIFEST_FILE);
  if (!fs.existsSync(inDir)) throw new CliError(`export directory ${inDir}`, 'does not exist');
  if (!fs.existsSync(manifestPath)) throw new CliError(`export directory ${inDir}`, `has no ${MANIFEST_FILE} (not a crankshaft export)`);
  const manifest = parseManifest(fs.readFileSync(manifestPath, 'utf8'), manifestPath);
  if (isNonEmptyDir(storeDir)) throw new CliError(`store ${storeDir}`, 'already exists: import only creates new stores');
  const dataBytes = fs.statSync(path.join(inDir, EXPORT_DATA_FILE), { throwIfNoEntry: false })?.size ?? 0;
  const total = dataBytes + manifest.artifacts.reduce((sum, a) => sum + a.bytes, 0);
  const progress = out.progress('import', total, 'bytes');
  const exporter = makeDirectoryExporter(inDir, manifest, n => progress.advance(n));
  try {
    const imported = await importSwingStore(exporter, storeDir, { artifactMode: manifest.artifactMode });
    await imported.hostStorage.close();
  } catch (err) {
    progress.done('import failed');
    if (err instanceof CliError) throw err;
    // The importer names the key or artifact; the store was not created.
    throw new CliError(`import from ${inDir}`, messageOf(err).split('\n')[0] ?? 'failed', { cause: err });
  }
  progress.done(`imported ${manifest.artifacts.length} artifacts (${formatBytes(total)})`);
  out.result({ dir: inDir, store: storeDir, artifactMode: manifest.artifactMode, artifacts: manifest.artifacts.length, bytes: total });
  out.line(`imported ${inDir} into ${storeDir} (${manifest.artifactMode}): ${manifest.artifacts.length} artifacts, ${formatBytes(total)}`);
  return 0;
}
