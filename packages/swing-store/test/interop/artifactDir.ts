// A directory format for moving a state-sync export between processes (and
// between implementations):
//   <dir>/export-data.jsonl   one JSON [key, value] per line, in export order
//   <dir>/artifact-names.json JSON array of artifact names, in export order
//   <dir>/artifacts/<name>    raw artifact bytes (name URI-encoded)
// It depends on nothing but node, so the reference driver (running under
// SES lockdown) can import the compiled file too.
import fs from 'node:fs';
import path from 'node:path';

/** The exporter shape both implementations share. */
export interface ExporterLike {
  getExportData(): AsyncIterable<readonly [string, string | null | undefined]>;
  getArtifactNames(): AsyncIterable<string>;
  getArtifact(name: string): AsyncIterable<Uint8Array>;
  getHostKV(key: string): string | undefined;
  close(): Promise<void>;
}

const exportDataFile = 'export-data.jsonl';
const namesFile = 'artifact-names.json';
const artifactsDir = 'artifacts';

const artifactPath = (dir: string, name: string): string =>
  path.join(dir, artifactsDir, encodeURIComponent(name));

/** Writes everything `exporter` offers into `dir` (created if missing). */
export async function writeExportDir(exporter: ExporterLike, dir: string): Promise<void> {
  fs.mkdirSync(path.join(dir, artifactsDir), { recursive: true });
  const lines: string[] = [];
  for await (const [key, value] of exporter.getExportData()) {
    lines.push(JSON.stringify([key, value ?? null]));
  }
  fs.writeFileSync(path.join(dir, exportDataFile), lines.map((line) => `${line}\n`).join(''));
  const names: string[] = [];
  for await (const name of exporter.getArtifactNames()) {
    names.push(name);
    const out = fs.openSync(artifactPath(dir, name), 'w');
    try {
      for await (const chunk of exporter.getArtifact(name)) {
        fs.writeSync(out, chunk);
      }
    } finally {
      fs.closeSync(out);
    }
  }
  fs.writeFileSync(path.join(dir, namesFile), JSON.stringify(names));
}

export function readExportData(dir: string): Array<[string, string | null]> {
  const text = fs.readFileSync(path.join(dir, exportDataFile), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as [string, string | null]);
}

export function readArtifactNames(dir: string): string[] {
  return JSON.parse(fs.readFileSync(path.join(dir, namesFile), 'utf8')) as string[];
}

export function readArtifact(dir: string, name: string): Buffer {
  return fs.readFileSync(artifactPath(dir, name));
}

/** An exporter that replays a directory written by writeExportDir. */
export function makeDirExporter(dir: string, chunkSize = 65536): ExporterLike {
  const names = readArtifactNames(dir);
  return {
    async *getExportData() {
      yield* readExportData(dir);
    },
    async *getArtifactNames() {
      yield* names;
    },
    async *getArtifact(name: string) {
      if (!names.includes(name)) {
        throw Error(`artifact ${JSON.stringify(name)} is not in ${dir}`);
      }
      const bytes = readArtifact(dir, name);
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        yield bytes.subarray(offset, offset + chunkSize);
      }
    },
    getHostKV: () => undefined,
    close: async () => undefined,
  };
}
