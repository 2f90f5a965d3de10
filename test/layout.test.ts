// The repository's layout rules: no module imports one that imports it back
// (directly or through others), inside each package; the kernel's subsystem
// folders import one another one way only; each subsystem folder says what it
// owns in a README.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildImportGraph, folderGraph, importCircles, listSources, relativeSpecifiers } from './layout/importGraph.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packages = ['swing-store', 'worker-supervisor', 'vat-warehouse', 'kernel', 'cli'];
const kernelSrc = path.join(repo, 'packages/kernel/src');
const rel = (p: string): string => path.relative(repo, p);

test('relativeSpecifiers sees imports, re-exports, side-effect imports and import()', t => {
  const source = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "export * from './c.js';",
    "import './d.js';",
    "const e = await import('./e.js');",
    "import fs from 'node:fs';",
    "const s = 'from ./not-an-import.js';",
  ].join('\n');
  t.deepEqual(relativeSpecifiers(source), ['./a.js', '../b.js', './c.js', './d.js', './e.js']);
});

test('importCircles finds circles of any length and nothing in a DAG', t => {
  const dag = new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]);
  t.deepEqual(importCircles(dag), []);
  const two = new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]]);
  t.deepEqual(importCircles(two), [['a', 'b']]);
  const three = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']]]);
  t.deepEqual(importCircles(three).sort(), [['a', 'b', 'c'], ['d']]);
});

for (const name of packages) {
  test(`${name}: no import circles between modules`, t => {
    const root = path.join(repo, 'packages', name);
    const files = ['src', 'vats'].flatMap(dir => (fs.existsSync(path.join(root, dir)) ? listSources(path.join(root, dir)) : []));
    t.true(files.length > 0, `no sources found in ${rel(root)}`);
    const circles = importCircles(buildImportGraph(files)).map(c => c.map(rel));
    t.deepEqual(circles, [], `import circles in ${name}: ${JSON.stringify(circles)}`);
  });
}

const kernelFolders = fs
  .readdirSync(kernelSrc, { withFileTypes: true })
  .filter(entry => entry.isDirectory())
  .map(entry => entry.name)
  .sort();

test('kernel/src is laid out by subsystem, each folder with a README', t => {
  for (const room of ['controller', 'crank', 'syscalls', 'gc', 'vat-admin', 'devices', 'bundles', 'slog', 'state', 'shared']) {
    t.true(kernelFolders.includes(room), `kernel/src/${room} is missing`);
  }
  for (const room of kernelFolders) {
    t.true(fs.existsSync(path.join(kernelSrc, room, 'README.md')), `kernel/src/${room}/README.md is missing`);
  }
  const loose = fs.readdirSync(kernelSrc).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  t.deepEqual(loose, ['index.ts'], 'only the public entry point sits at the top of kernel/src');
});

test('kernel subsystem folders import one another one way only', t => {
  const files = listSources(kernelSrc);
  const folderOf = (file: string): string => path.relative(kernelSrc, file).split(path.sep)[0] ?? '';
  const circles = importCircles(folderGraph(buildImportGraph(files), folderOf));
  t.deepEqual(circles, [], `folder circles in kernel/src: ${JSON.stringify(circles)}`);
});
