// The import graph of the repository's own TypeScript sources, for the
// layout test: which module imports which, by relative specifier, and the
// strongly connected components (import circles) in it.
import fs from 'node:fs';
import path from 'node:path';

/** Every relative specifier a module names: static imports, re-exports, import(). */
export function relativeSpecifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  return found;
}

/** All .ts files under `dir` (skipping dist and node_modules). */
export function listSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

export type ImportGraph = Map<string, string[]>;

/** module -> the modules it imports, both as absolute .ts paths. */
export function buildImportGraph(files: readonly string[]): ImportGraph {
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = relativeSpecifiers(fs.readFileSync(file, 'utf8'))
      .map(spec => path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'))
      .filter(target => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Collapse a module graph to a graph of folders (edges inside one folder dropped). */
export function folderGraph(graph: ImportGraph, folderOf: (file: string) => string): ImportGraph {
  const out: ImportGraph = new Map();
  for (const [from, tos] of graph) {
    const a = folderOf(from);
    const edges = out.get(a) ?? [];
    for (const to of tos) {
      const b = folderOf(to);
      if (b !== a && !edges.includes(b)) edges.push(b);
    }
    out.set(a, edges);
  }
  return out;
}

/** Tarjan's algorithm: the components of more than one node, or with a self-edge. */
export function importCircles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfEdge = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfEdge) circles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return circles;
}
