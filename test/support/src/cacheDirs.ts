// The one cache folder the tests and benchmarks share, inside the checkout
// (`.cache/`, ignored by git), so a run reuses what the install step or an
// earlier test file already built instead of starting cold in the OS temp dir.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/dist/src/cacheDirs.js). */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `.cache/<name>` in the checkout, created on first use. */
export function sharedCacheDir(name: string): string {
  const dir = path.join(repoRoot, '.cache', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
