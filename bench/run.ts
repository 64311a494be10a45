// Runs the benchmark suites, each in a fresh child process, and rewrites each suite's section of
// docs/benchmarks.md between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`.
//
//   npm run bench                 # every suite
//   npm run bench -- aggregation  # only the named suites
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/measure.js';

/** Suite name -> compiled entry point under bench/dist. Adding a suite is one line here. */
const SUITES: Readonly<Record<string, string>> = {
  aggregation: 'suites/aggregation.js',
  producer: 'suites/producer.js',
  'consumer-processing': 'suites/consumer-processing.js',
  'consumer-leases': 'suites/consumer-leases.js',
  'consumer-fanout': 'suites/consumer-fanout.js',
  'consumer-scale': 'suites/consumer-scale.js',
};

const distDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(distDir, '..', '..');
const docPath = join(repoRoot, 'docs', 'benchmarks.md');
const HEADER_START = '<!-- bench:header:start -->';
const HEADER_END = '<!-- bench:header:end -->';

function runSuite(name: string, entry: string): string {
  process.stderr.write(`== ${name}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(distDir, entry)], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`suite ${name} failed (exit ${result.status ?? result.signal})`);
  }
  return result.stdout.trim();
}

function header(): string {
  const m = machine();
  return [
    HEADER_START,
    '# Benchmarks',
    '',
    'Reproduce with `npm run bench` (all suites) or `npm run bench -- <suite>`; each suite runs in its own',
    'Node process and rewrites only its own section below. Benchmarks are not part of `npm test`.',
    '',
    `Last run on: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.os}.`,
    HEADER_END,
  ].join('\n');
}

function replaceBetween(doc: string, start: string, end: string, body: string): string {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  const block = `${start}\n${body}\n${end}`;
  if (from < 0 || to < from) return `${doc.trimEnd()}\n\n${block}\n`;
  return doc.slice(0, from) + block + doc.slice(to + end.length);
}

function main(): void {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in SUITES));
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
  const names = requested.length > 0 ? requested : Object.keys(SUITES);
  for (const name of names) {
    const section = runSuite(name, SUITES[name]!);
    // Read when the suite is done, not before: a suite runs for minutes, and edits made to the
    // hand-written parts meanwhile must not be overwritten.
    let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    const headerBlock = header();
    doc = doc.includes(HEADER_START)
      ? doc.slice(0, doc.indexOf(HEADER_START)) + headerBlock + doc.slice(doc.indexOf(HEADER_END) + HEADER_END.length)
      : `${headerBlock}\n${doc}`;
    doc = replaceBetween(doc, `<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`, section);
    writeFileSync(docPath, doc);
    process.stdout.write(`${section}\n\n`);
  }
}

main();
