// The IAM policies in docs/operations.md grant exactly the API calls the sources make.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** `kinesis:PutRecords`-style actions for every `new XCommand(` in a package's sources. */
function actionsCalledBy(pkg: string): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const service = text.includes("from '@aws-sdk/client-dynamodb'") ? 'dynamodb' : 'kinesis';
    for (const match of text.matchAll(/new (\w+)Command\(/g)) actions.add(`${service}:${match[1]}`);
  }
  return actions;
}

/** Actions of the JSON policy after `<!-- iam:name -->`. */
function policyActions(name: string): Set<string> {
  const match = new RegExp(`<!-- iam:${name} -->\\n\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(doc);
  expect(match, `policy ${name}`).not.toBeNull();
  const policy = JSON.parse(match![1]!) as { Statement: { Action: string[] }[] };
  return new Set(policy.Statement.flatMap((statement) => statement.Action));
}

describe('docs/operations.md IAM policies', () => {
  it('the producer policy grants exactly what the producer calls', () => {
    expect([...policyActions('producer')].sort()).toEqual([...actionsCalledBy('producer')].sort());
  });

  it('the consumer policies (polling plus fan-out) grant exactly what the consumer calls', () => {
    const granted = new Set([...policyActions('consumer'), ...policyActions('consumer-fanout')]);
    expect([...granted].sort()).toEqual([...actionsCalledBy('consumer')].sort());
    expect(policyActions('consumer').has('kinesis:SubscribeToShard')).toBe(false);
  });
});
