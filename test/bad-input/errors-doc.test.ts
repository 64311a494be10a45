// docs/errors.md and the bad-input tests stay matched: every row names a test that exists, and
// every test in test/bad-input has a row.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');

/** `file › name` pairs from the last column of every table row of docs/errors.md. */
function rowsOfDoc(): string[] {
  return [...doc.matchAll(/\| `([\w-]+\.test\.ts)` › `([^`]+)` \|$/gm)].map((m) => `${m[1]} › ${m[2]}`);
}

/** `file › name` of every `it('...')` in test/bad-input, this file excepted. */
function testsOnDisk(): string[] {
  return readdirSync(here)
    .filter((file) => file.endsWith('.test.ts') && file !== 'errors-doc.test.ts')
    .flatMap((file) => [...readFileSync(`${here}/${file}`, 'utf8').matchAll(/^\s+it\('([^']+)'/gm)].map((m) => `${file} › ${m[1]}`));
}

describe('docs/errors.md', () => {
  it('names a test for every row, and every named test exists', () => {
    const rows = rowsOfDoc();
    const tableRows = doc.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| bad input') && !line.startsWith('|---'));
    expect(rows).toHaveLength(tableRows.length);
    expect(new Set(rows).size).toBe(rows.length);
    expect(testsOnDisk()).toEqual(expect.arrayContaining(rows));
  });

  it('has a row for every bad-input test', () => {
    expect(rowsOfDoc()).toEqual(expect.arrayContaining(testsOnDisk()));
    expect(testsOnDisk().length).toBeGreaterThanOrEqual(20);
  });
});
