// Resolving a package specifier ("pkg", "pkg/sub/path.js", "@scope/pkg/x")
// from a directory, the way an ES module import would: find the package in
// the nearest node_modules, then apply its `exports` map with the
// conditions import/node/default. Returns undefined when there is no such
// package or the map does not export the subpath.
import fs from 'node:fs';
import path from 'node:path';

const CONDITIONS = ['import', 'node', 'default'];

/** Split "pkg/sub" or "@scope/pkg/sub" into the package name and "./sub" (or "."). */
export function splitSpecifier(spec: string): { name: string; subpath: string } | undefined {
  const parts = spec.split('/');
  const nameParts = spec.startsWith('@') ? 2 : 1;
  if (parts.length < nameParts || parts.slice(0, nameParts).some(p => p.length === 0)) return undefined;
  const name = parts.slice(0, nameParts).join('/');
  const rest = parts.slice(nameParts).join('/');
  return { name, subpath: rest.length === 0 ? '.' : `./${rest}` };
}

function findPackageDir(name: string, fromDir: string): string | undefined {
  let dir = path.resolve(fromDir);
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Pick a target from an exports value using our conditions. */
function pickTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const picked = pickTarget(item);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [condition, target] of Object.entries(value)) {
      if (CONDITIONS.includes(condition)) {
        const picked = pickTarget(target);
        if (picked !== undefined) return picked;
      }
    }
  }
  return undefined;
}

/** The exports target for `subpath`, supporting one "*" wildcard per key. */
export function matchExports(exportsField: unknown, subpath: string): string | undefined {
  const isSubpathMap =
    typeof exportsField === 'object' &&
    exportsField !== null &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).every(key => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? pickTarget(exportsField) : undefined;
  const map = exportsField as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return pickTarget(map[subpath]);
  // Longest matching prefix wins among wildcard keys.
  let best: { prefix: string; target: unknown; star: string } | undefined;
  for (const [key, target] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      if (best === undefined || prefix.length > best.prefix.length) {
        best = { prefix, target, star: subpath.slice(prefix.length, subpath.length - suffix.length) };
      }
    }
  }
  if (best === undefined) return undefined;
  const picked = pickTarget(best.target);
  return picked?.replaceAll('*', best.star);
}

export function resolvePackageSpecifier(spec: string, fromDir: string): string | undefined {
  const split = splitSpecifier(spec);
  if (split === undefined) return undefined;
  const packageDir = findPackageDir(split.name, fromDir);
  if (packageDir === undefined) return undefined;
  let manifest: { exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  if (manifest.exports !== undefined) {
    const target = matchExports(manifest.exports, split.subpath);
    return target === undefined ? undefined : path.resolve(packageDir, target);
  }
  if (split.subpath !== '.') return path.resolve(packageDir, split.subpath);
  const main = typeof manifest.main === 'string' ? manifest.main : 'index.js';
  return path.resolve(packageDir, main);
}
