// The TypeScript in these docs is quoted from examples/, which `tsc -p tsconfig.test.json`
// type-checks: every ```ts block must appear verbatim in an examples file.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = ['getting-started.md', 'observability.md', 'operations.md', 'migration.md']; // operations.md has none today
const examples = readdirSync(`${root}examples`)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => readFileSync(`${root}examples/${file}`, 'utf8'));

describe('docs quote type-checked examples', () => {
  for (const doc of DOCS) {
    it(`every TypeScript block of docs/${doc} is in examples/`, () => {
      const text = readFileSync(`${root}docs/${doc}`, 'utf8');
      const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());
      for (const block of blocks) expect(examples.some((source) => source.includes(block)), block.slice(0, 200)).toBe(true);
    });
  }
});
