import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * No package source file may reach itself through relative imports, type-only imports included:
 * a cycle, even of types, means one of its files holds something that belongs to another
 * (issue 11: lane.ts and records.ts).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = join(ROOT, 'packages');
/** `import ... from './x.js'`, `export ... from '../y.js'`, `import('./z.js')`; a specifier in quotes. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports of a file, resolved to .ts paths. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(RELATIVE_IMPORT)) out.push(resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
  return out;
}

/** Every cycle found by a depth-first walk, each as the list of files around it (one per back edge). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a type-only cycle (the check itself works)', () => {
    const a = '/p/a.ts';
    const b = '/p/b.ts';
    const graph = new Map([
      [a, importsOf(a, "import { B } from './b.js';")],
      [b, importsOf(b, "import type { A } from './a.js';\nexport { x } from './c.js';")],
    ]);
    expect(findCycles(graph)).toEqual([[a, b, a]]);
  });

  it('packages/*/src has none', () => {
    const cycles: string[] = [];
    for (const pkg of readdirSync(PACKAGES)) {
      const files = sourceFiles(join(PACKAGES, pkg, 'src'));
      const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
      for (const cycle of findCycles(graph)) cycles.push(cycle.map((file) => relative(ROOT, file)).join(' -> '));
    }
    expect(cycles).toEqual([]);
  });
});
