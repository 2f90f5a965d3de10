// Bundling vat sources with @endo/bundle-source, behind an on-disk cache
// keyed by content: while bundling we record every file bundle-source reads
// (and every file it probed and did not find), with a SHA-256 of its bytes.
// A later request for the same entry reuses the bundle only if every recorded
// file still has the same content (and every absent one is still absent), so
// editing a vat or a dependency re-bundles while a plain restart does not.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndoZipBase64Bundle } from './bundleFormat.js';
import { ConfigError } from '../shared/configErrors.js';

/** Bump when the cache layout or what we key on changes. */
const CACHE_RECIPE = 1;

export interface SourceBundlerOptions {
  /** Where meta and bundle files live; created on first write. */
  cacheDir?: string;
  /** bundle-source `dev`: let the entry package's devDependencies in. */
  dev?: boolean;
  /** Called with a short note whenever a source is (re)bundled. */
  log?: (message: string) => void;
}

export interface SourceBundler {
  /** The endoZipBase64 bundle of the module at `sourcePath` (absolute). */
  bundle(sourcePath: string): Promise<EndoZipBase64Bundle>;
  readonly cacheDir: string;
  /** How many bundles were built (cache misses) by this bundler. */
  readonly builds: () => number;
}

interface RecordedFile {
  path: string;
  /** Hex SHA-256 of the bytes, or null when the file was probed and absent. */
  sha256: string | null;
}

interface CacheMeta {
  recipe: number;
  entry: string;
  dev: boolean;
  bundleSourceVersion: string;
  files: RecordedFile[];
  bundleFile: string;
}

/**
 * Where source bundles are cached unless a caller names a folder:
 * `$CRANKSHAFT_BUNDLE_CACHE` if set (the test runner points it inside the
 * checkout so every test file shares one cache), else the OS temp folder.
 */
export const defaultBundleCacheDir = (): string =>
  process.env['CRANKSHAFT_BUNDLE_CACHE'] || path.join(os.tmpdir(), 'crankshaft-bundle-cache');

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const fileHashOrNull = (file: string): string | null => {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return null;
  }
};

const locationToPath = (location: string): string | undefined => {
  try {
    return fileURLToPath(location);
  } catch {
    return undefined;
  }
};

let bundleSourceVersionMemo: string | undefined;
const bundleSourceVersion = (): string => {
  if (bundleSourceVersionMemo === undefined) {
    try {
      const url = import.meta.resolve('@endo/bundle-source/package.json');
      const parsed = JSON.parse(fs.readFileSync(fileURLToPath(url), 'utf8')) as { version?: unknown };
      bundleSourceVersionMemo = typeof parsed.version === 'string' ? parsed.version : 'unknown';
    } catch {
      bundleSourceVersionMemo = 'unknown';
    }
  }
  return bundleSourceVersionMemo;
};

// Write-then-rename: a concurrent reader never sees half a file.
const writeAtomically = (file: string, text: string): void => {
  const temp = `${file}.${process.pid}.${Math.floor(performance.now() * 1000)}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
};

/** Parse-boundary check of a cached bundle file. */
export function parseEndoZipBundle(text: string): EndoZipBase64Bundle | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const candidate = parsed as Partial<EndoZipBase64Bundle> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    candidate.moduleFormat !== 'endoZipBase64' ||
    typeof candidate.endoZipBase64 !== 'string' ||
    typeof candidate.endoZipBase64Sha512 !== 'string'
  ) {
    return undefined;
  }
  return {
    moduleFormat: 'endoZipBase64',
    endoZipBase64: candidate.endoZipBase64,
    endoZipBase64Sha512: candidate.endoZipBase64Sha512,
  };
}

const parseMeta = (text: string): CacheMeta | undefined => {
  try {
    const meta = JSON.parse(text) as Partial<CacheMeta>;
    if (meta.recipe !== CACHE_RECIPE || !Array.isArray(meta.files) || typeof meta.bundleFile !== 'string') {
      return undefined;
    }
    return meta as CacheMeta;
  } catch {
    return undefined;
  }
};

/** True when every recorded file still has its recorded content (or absence). */
export function filesUnchanged(files: readonly RecordedFile[]): boolean {
  return files.every(file => fileHashOrNull(file.path) === file.sha256);
}

export function makeSourceBundler(options: SourceBundlerOptions = {}): SourceBundler {
  const { cacheDir = defaultBundleCacheDir(), dev = false, log = () => {} } = options;
  let builds = 0;
  // One bundling per entry at a time within this process.
  const inFlight = new Map<string, Promise<EndoZipBase64Bundle>>();

  const metaFileFor = (entry: string): string => {
    const key = sha256(JSON.stringify({ recipe: CACHE_RECIPE, entry, dev, version: bundleSourceVersion() }));
    return path.join(cacheDir, `${key}.meta.json`);
  };

  const readCached = (entry: string): EndoZipBase64Bundle | undefined => {
    const metaFile = metaFileFor(entry);
    if (!fs.existsSync(metaFile)) return undefined;
    const meta = parseMeta(fs.readFileSync(metaFile, 'utf8'));
    if (meta === undefined || meta.entry !== entry || meta.dev !== dev) return undefined;
    if (!filesUnchanged(meta.files)) return undefined;
    const bundleFile = path.join(cacheDir, meta.bundleFile);
    if (!fs.existsSync(bundleFile)) return undefined;
    return parseEndoZipBundle(fs.readFileSync(bundleFile, 'utf8'));
  };

  const build = async (entry: string): Promise<EndoZipBase64Bundle> => {
    const recorded = new Map<string, string | null>();
    const note = (location: string, bytes: Uint8Array | undefined): void => {
      const file = locationToPath(location);
      if (file !== undefined) recorded.set(file, bytes === undefined ? null : sha256(bytes));
    };
    const read = async (location: string): Promise<Uint8Array> => {
      const file = locationToPath(location) ?? location;
      try {
        const bytes = await fs.promises.readFile(file);
        note(location, bytes);
        return bytes;
      } catch (err) {
        note(location, undefined);
        throw err;
      }
    };
    const maybeRead = async (location: string): Promise<Uint8Array | undefined> => {
      try {
        return await read(location);
      } catch {
        return undefined;
      }
    };
    const maybeReadNow = (location: string): Uint8Array | undefined => {
      const file = locationToPath(location) ?? location;
      try {
        const bytes = fs.readFileSync(file);
        note(location, bytes);
        return bytes;
      } catch {
        note(location, undefined);
        return undefined;
      }
    };
    // Loaded lazily: bundle-source is large and unused on a warm cache.
    const { default: bundleSource } = await import('@endo/bundle-source');
    let bundle: EndoZipBase64Bundle;
    try {
      const built = await bundleSource(entry, { format: 'endoZipBase64', dev }, {
        read,
        maybeRead,
        maybeReadNow,
      } as Parameters<typeof bundleSource>[2]);
      bundle = {
        moduleFormat: 'endoZipBase64',
        endoZipBase64: built.endoZipBase64,
        endoZipBase64Sha512: built.endoZipBase64Sha512,
      };
    } catch (err) {
      throw new ConfigError('BUNDLE_FAILED', `bundling ${entry} failed: ${(err as Error).message}`, { cause: err });
    }
    builds += 1;
    log(`bundled ${entry} (${recorded.size} files)`);
    // Without a record of inputs the cache could not be validated: skip it.
    if (recorded.size > 0) {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const bundleFile = `${bundle.endoZipBase64Sha512}.bundle.json`;
        writeAtomically(path.join(cacheDir, bundleFile), JSON.stringify(bundle));
        const files = [...recorded.entries()]
          .map(([file, hash]) => ({ path: file, sha256: hash }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        const meta: CacheMeta = {
          recipe: CACHE_RECIPE,
          entry,
          dev,
          bundleSourceVersion: bundleSourceVersion(),
          files,
          bundleFile,
        };
        // The meta goes last: it is what makes the entry valid.
        writeAtomically(metaFileFor(entry), JSON.stringify(meta));
      } catch (err) {
        // A read-only or full cache directory costs speed, never correctness.
        log(`bundle cache ${cacheDir} not written: ${(err as Error).message}`);
      }
    }
    return bundle;
  };

  const bundle = (sourcePath: string): Promise<EndoZipBase64Bundle> => {
    const entry = path.resolve(sourcePath);
    const running = inFlight.get(entry);
    if (running !== undefined) return running;
    const job = (async () => readCached(entry) ?? build(entry))();
    inFlight.set(entry, job);
    const forget = (): void => {
      inFlight.delete(entry);
    };
    job.then(forget, forget);
    return job;
  };

  return { bundle, cacheDir, builds: () => builds };
}
