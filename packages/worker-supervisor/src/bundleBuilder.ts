// Building and caching the two worker bundles (lockdown, supervisor) from
// our compiled TypeScript. The cache lives in `<package>/bundles/` and is
// keyed by a hash of every input: our compiled modules plus the versions of
// the packages bundled with them. A matching cache is read, never rebuilt.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeB0BundleID } from './bundleIDs.js';
import { WorkerError } from './errors.js';
import type { NestedEvaluateBundle } from './types.js';

/** Bump when the cache layout or the build recipe changes. */
export const BUNDLE_RECIPE_VERSION = 1;

/** Packages whose code ends up in the bundles (their versions key the cache). */
export const BUNDLED_PACKAGES: readonly string[] = [
  'ses',
  '@endo/init',
  '@endo/lockdown',
  '@endo/eventual-send',
  '@endo/promise-kit',
  '@endo/base64',
  '@endo/errors',
  '@endo/harden',
  '@endo/marshal',
  '@endo/pass-style',
  '@endo/patterns',
  '@endo/exo',
  '@endo/far',
  '@endo/import-bundle',
  '@endo/compartment-mapper',
  '@endo/bundle-source',
  '@agoric/swingset-liveslots',
  '@agoric/internal',
  '@agoric/store',
];

export interface WorkerBundles {
  lockdown: NestedEvaluateBundle;
  supervisor: NestedEvaluateBundle;
  lockdownID: string;
  supervisorID: string;
}

interface Manifest {
  recipe: number;
  inputHash: string;
  lockdownID: string;
  supervisorID: string;
}

export interface BundleBuildOptions {
  /** Root of this package (holds dist/ and bundles/). */
  packageDir?: string;
  /** Rebuild even if the cache matches. */
  force?: boolean;
  log?: (message: string) => void;
}

const defaultPackageDir = (): string => fileURLToPath(new URL('../../', import.meta.url));

const ENTRIES = {
  lockdown: 'dist/src/lockdown/entry.js',
  supervisor: 'dist/src/supervisor/entry.js',
} as const;

// Relative imports in our compiled output: `from './x.js'` / `import './x.js'`.
const RELATIVE_IMPORT = /(?:from|import)\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Our own modules reachable from the bundle entry points, sorted. */
export function listBundledModules(packageDir: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    // a match inside a comment may name no file: skip it
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(RELATIVE_IMPORT)) {
      const specifier = match[1];
      if (specifier !== undefined) visit(path.resolve(path.dirname(file), specifier));
    }
  };
  for (const entry of Object.values(ENTRIES)) {
    const file = path.join(packageDir, entry);
    if (!fs.existsSync(file)) {
      throw new WorkerError('BUNDLE_BUILD', `worker bundle entry ${file} is missing: run "tsc -b" first`);
    }
    visit(file);
  }
  return [...seen].sort();
}

/** Find `<node_modules>/<name>/package.json` walking up from `fromDir`. */
const readPackageVersion = (fromDir: string, name: string): string => {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    if (fs.existsSync(candidate)) {
      const parsed = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version?: unknown };
      return typeof parsed.version === 'string' ? parsed.version : 'unknown';
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'absent';
    dir = parent;
  }
};

/**
 * Hash of everything the bundles are built from: our modules they include
 * (by content) and the packages bundled with them (by installed version).
 */
export function computeBundleInputHash(packageDir: string = defaultPackageDir()): string {
  const hash = createHash('sha256');
  hash.update(`recipe ${BUNDLE_RECIPE_VERSION}\n`);
  for (const file of listBundledModules(packageDir)) {
    hash.update(`file ${path.relative(packageDir, file)}\n`);
    hash.update(fs.readFileSync(file));
    hash.update('\n');
  }
  for (const name of BUNDLED_PACKAGES) {
    hash.update(`package ${name} ${readPackageVersion(packageDir, name)}\n`);
  }
  return hash.digest('hex');
}

const bundleDir = (packageDir: string): string => path.join(packageDir, 'bundles');
const bundleFile = (packageDir: string, which: keyof typeof ENTRIES): string =>
  path.join(bundleDir(packageDir), `${which}.bundle.json`);
const manifestFile = (packageDir: string): string => path.join(bundleDir(packageDir), 'manifest.json');

// Write-then-rename so a concurrent reader never sees half a file.
const writeAtomically = (file: string, text: string): void => {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
};

const readBundleFile = (file: string, expectedID: string): NestedEvaluateBundle | undefined => {
  if (!fs.existsSync(file)) return undefined;
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as NestedEvaluateBundle;
  return computeB0BundleID(bundle) === expectedID ? bundle : undefined;
};

/** The cached bundles if the cache matches `inputHash`, else undefined. */
export function readCachedBundles(packageDir: string, inputHash: string): WorkerBundles | undefined {
  const file = manifestFile(packageDir);
  if (!fs.existsSync(file)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
  if (manifest.recipe !== BUNDLE_RECIPE_VERSION || manifest.inputHash !== inputHash) return undefined;
  const { lockdownID, supervisorID } = manifest;
  if (typeof lockdownID !== 'string' || typeof supervisorID !== 'string') return undefined;
  const lockdown = readBundleFile(bundleFile(packageDir, 'lockdown'), lockdownID);
  const supervisor = readBundleFile(bundleFile(packageDir, 'supervisor'), supervisorID);
  if (lockdown === undefined || supervisor === undefined) return undefined;
  return { lockdown, supervisor, lockdownID, supervisorID };
}

const bundleEntry = async (packageDir: string, which: keyof typeof ENTRIES): Promise<NestedEvaluateBundle> => {
  // Loaded only when a build is needed: bundle-source is large.
  const { default: bundleSource } = await import('@endo/bundle-source');
  const entry = path.join(packageDir, ENTRIES[which]);
  const built = (await bundleSource(entry, { format: 'nestedEvaluate' })) as { source: string };
  // Plain, key-ordered object: its JSON text is what the b0 ID hashes.
  return { moduleFormat: 'nestedEvaluate', source: built.source, sourceMap: '' };
};

/** Build both bundles from the compiled entry points and write the cache. */
export async function buildAndCacheBundles(packageDir: string, inputHash: string): Promise<WorkerBundles> {
  let lockdown: NestedEvaluateBundle;
  let supervisor: NestedEvaluateBundle;
  try {
    lockdown = await bundleEntry(packageDir, 'lockdown');
    supervisor = await bundleEntry(packageDir, 'supervisor');
  } catch (err) {
    throw new WorkerError('BUNDLE_BUILD', `building worker bundles failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const lockdownID = computeB0BundleID(lockdown);
  const supervisorID = computeB0BundleID(supervisor);
  fs.mkdirSync(bundleDir(packageDir), { recursive: true });
  writeAtomically(bundleFile(packageDir, 'lockdown'), JSON.stringify(lockdown));
  writeAtomically(bundleFile(packageDir, 'supervisor'), JSON.stringify(supervisor));
  const manifest: Manifest = { recipe: BUNDLE_RECIPE_VERSION, inputHash, lockdownID, supervisorID };
  // The manifest goes last: it is what marks the cache valid.
  writeAtomically(manifestFile(packageDir), `${JSON.stringify(manifest, null, 2)}\n`);
  return { lockdown, supervisor, lockdownID, supervisorID };
}

export interface EnsureResult {
  bundles: WorkerBundles;
  rebuilt: boolean;
}

/** Return the worker bundles, building them only if the cache is stale. */
export async function ensureWorkerBundles(options: BundleBuildOptions = {}): Promise<EnsureResult> {
  const { packageDir = defaultPackageDir(), force = false, log = () => {} } = options;
  const inputHash = computeBundleInputHash(packageDir);
  if (!force) {
    const cached = readCachedBundles(packageDir, inputHash);
    if (cached !== undefined) {
      return { bundles: cached, rebuilt: false };
    }
  }
  log(`building worker bundles (inputs ${inputHash.slice(0, 12)})`);
  const bundles = await buildAndCacheBundles(packageDir, inputHash);
  log(`built lockdown ${bundles.lockdownID} and supervisor ${bundles.supervisorID}`);
  return { bundles, rebuilt: true };
}

let memo: Promise<WorkerBundles> | undefined;

/** The current worker bundles, checked against the cache once per process. */
export function loadWorkerBundles(): Promise<WorkerBundles> {
  memo ??= ensureWorkerBundles().then(r => r.bundles);
  // A failed load may be retried later (e.g. after a build).
  memo.catch(() => {
    memo = undefined;
  });
  return memo;
}
