import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors.js';
import { REPOSITORY_ROOT } from './support/cli.js';

const read = (file: string) => readFileSync(new URL(file, `file://${REPOSITORY_ROOT}`), 'utf8');

describe('the kinesis-kit bin as installed from npm', () => {
  it('package.json points the bin at the compiled dist/bin.js, which starts with a node shebang and runs', async () => {
    const manifest = JSON.parse(read('packages/cli/package.json')) as { bin: Record<string, string>; files: string[] };
    expect(manifest.bin).toEqual({ 'kinesis-kit': 'dist/bin.js' });
    expect(manifest.files).toEqual(['dist']);
    // dist/ is built by `tsc -b`, which `npm test` runs before vitest.
    const bin = `${REPOSITORY_ROOT}packages/cli/dist/bin.js`;
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
    expect(stdout).toContain('kinesis-kit <command> [arguments] [options]');
  });

  it('docs/cli.md lists exactly the exit codes the CLI uses', () => {
    const section = read('docs/cli.md').split('<!-- exit-codes:start -->')[1]!.split('<!-- exit-codes:end -->')[0]!;
    const documented = [...section.matchAll(/^\| `(\d+)` \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(documented)).toEqual(EXIT_CODES);
  });
});
