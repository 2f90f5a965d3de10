// Test helpers: spawn the real `crankshaft` binary and collect its output,
// and make the small kernel store the binary tests share (one per file).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliRoot = fileURLToPath(new URL('../../', import.meta.url));
export const repoRoot = path.resolve(cliRoot, '../..');
/** The launcher the package's `bin` names (what yarn links as node_modules/.bin/crankshaft). */
export const binPath = path.join(cliRoot, 'bin', 'crankshaft.js');
export const linkedBin = path.join(repoRoot, 'node_modules', '.bin', 'crankshaft');
export const workloadConfig = path.join(cliRoot, 'test', 'fixtures', 'workload', 'config.json');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `crankshaft ...args` in a child process (not a TTY, CI set: plain, quiet progress). */
export function runCli(args: string[], options: { executable?: string } = {}): Promise<CliResult> {
  const [file, argv] = options.executable ? [options.executable, args] : [process.execPath, [binPath, ...args]];
  return new Promise(resolve => {
    execFile(file, argv, { env: { ...process.env, CI: '1' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses stdout of a --json run; fails loudly with the output if it is not JSON. */
export function parseJSON<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export const makeTempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));

/**
 * SHA-256 of the files of a store directory (names and bytes): detects any
 * change to its data. Left out: the `-shm` file (SQLite's shared WAL
 * index, where even read-only readers take read marks) and an empty `-wal`,
 * both of which SQLite creates when it opens a WAL database, read-only too.
 */
export function directoryDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.endsWith('-shm')) continue;
    const file = path.join(dir, name);
    const stat = fs.statSync(file);
    if (!stat.isFile() || (name.endsWith('-wal') && stat.size === 0)) continue;
    hash.update(name).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}
