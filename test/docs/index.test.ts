// docs/README.md lists every document in docs/.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

it('docs/README.md has a line for every document in docs/', () => {
  const index = readFileSync(`${docs}README.md`, 'utf8');
  const missing = readdirSync(docs).filter((file) => file.endsWith('.md') && file !== 'README.md' && !index.includes(`](${file})`));
  expect(missing).toEqual([]);
});
