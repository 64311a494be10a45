// Benchmark suite: @kinesis-kit/producer against the raw AWS SDK, aws-kinesis-agg + SDK and
// lifion-kinesis, all writing to the same loopback no-op Kinesis endpoint (bench/lib/kinesis-sink.ts,
// its own process). Each contender runs in its own process (producer-contenders.ts) so its CPU
// time and peak memory are its own. Prints the markdown section on stdout, progress on stderr.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAYLOAD_UNIT_BYTES, sinkControl, type SinkStats } from '../lib/kinesis-sink.js';
import { formatCount, markdownTable } from '../lib/measure.js';
import { DISTINCT_KEYS, RECORD_BYTES, type ContenderResult } from './producer-contenders.js';

const SHARDS = 16;
/** Contender -> user records in its timed run (sized for a few seconds each; about a minute in all). */
const RUNS: readonly (readonly [contender: string, records: number, label: string])[] = [
  ['ours-aggregated', 1_000_000, '@kinesis-kit/producer, aggregation on'],
  ['ours-unaggregated', 300_000, '@kinesis-kit/producer, aggregation off'],
  ['sdk-raw', 300_000, 'AWS SDK v3 alone, PutRecords of 500'],
  ['aws-kinesis-agg+sdk', 500_000, 'aws-kinesis-agg + AWS SDK v3'],
  ['lifion-kinesis', 100_000, 'lifion-kinesis'],
  ['sdk-floor', 1_000_000, 'floor: the SDK sending our aggregates, built before the clock starts'],
];
/** The libraries a user would pick instead of ours (the raw SDK is the baseline, not a producer library). */
const PEERS = ['aws-kinesis-agg+sdk', 'lifion-kinesis'];

const here = dirname(fileURLToPath(import.meta.url));

/** Bytes one user record takes inside a KPL aggregate at least: tag, length, key index (1 byte), data tag, data length, data. */
function aggregatedEntryBytes(dataBytes: number): number {
  const varint = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : 3);
  const body = 2 + 1 + varint(dataBytes) + dataBytes;
  return 1 + varint(body) + body;
}

/** 1.094 -> "1.09x", 256 -> "256x". */
function ratio(value: number): string {
  return value >= 10 ? `${value.toFixed(0)}x` : `${value.toFixed(2)}x`;
}

function startSink(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(here, '..', 'lib', 'kinesis-sink.js'), String(SHARDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, stop: () => child.kill() });
    });
  });
}

function runContender(contender: string, records: number, endpoint: string): Promise<ContenderResult> {
  const child = spawn(process.execPath, [join(here, 'producer-contenders.js'), contender, String(records), endpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ContenderResult);
      else reject(new Error(`${contender} exited with ${code}`));
    });
  });
}

interface Row {
  readonly result: ContenderResult;
  readonly label: string;
  readonly sink: SinkStats;
}

async function main(): Promise<void> {
  const sink = await startSink();
  const rows: Row[] = [];
  try {
    for (const [contender, records, label] of RUNS) {
      process.stderr.write(`${contender}: ${records.toLocaleString('en-US')} records\n`);
      const result = await runContender(contender, records, sink.endpoint);
      const stats = await sinkControl(sink.endpoint, 'stats');
      process.stderr.write(`  ${formatCount(result.records / result.seconds)} records/s, ${result.cpuSeconds.toFixed(2)} CPU s, ${stats.requests} requests\n`);
      rows.push({ result, label, sink: stats });
    }
  } finally {
    sink.stop();
  }
  process.stdout.write(render(rows));
}

function render(rows: readonly Row[]): string {
  const perMillion = (value: number, records: number): number => (value / records) * 1e6;
  const dataMinimum = (RECORD_BYTES * 1e6) / PAYLOAD_UNIT_BYTES;
  const formatMinimum = (aggregatedEntryBytes(RECORD_BYTES) * 1e6) / PAYLOAD_UNIT_BYTES;
  const rate = (row: Row): number => row.result.records / row.result.seconds;
  const table = markdownTable(
    ['producer', 'user records/s', 'user records per CPU-second', 'CPU s / M user records', 'peak RSS (MB)', 'Kinesis records / M', 'PUT payload units / M', 'units / data minimum', 'units / format minimum'],
    rows.map((row) => {
      const units = perMillion(row.sink.payloadUnits, row.result.records);
      return [
        row.label,
        formatCount(rate(row)),
        formatCount(row.result.records / row.result.cpuSeconds),
        perMillion(row.result.cpuSeconds, row.result.records).toFixed(2),
        row.result.peakRssMB.toFixed(0),
        formatCount(perMillion(row.sink.kinesisRecords, row.result.records)),
        formatCount(units),
        ratio(units / dataMinimum),
        ratio(units / formatMinimum),
      ];
    }),
  );
  const ours = rows.find((row) => row.result.contender === 'ours-aggregated')!;
  const floor = rows.find((row) => row.result.contender === 'sdk-floor')!;
  const peers = rows.filter((row) => PEERS.includes(row.result.contender));
  const best = peers.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
  const oursUnits = perMillion(ours.sink.payloadUnits, ours.result.records);
  const perCpu = (row: Row): number => row.result.records / row.result.cpuSeconds;
  return [
    `## Producer: \`@kinesis-kit/producer\` vs the raw SDK, aws-kinesis-agg and lifion-kinesis`,
    '',
    `Run ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- producer\`. Every contender writes ${RECORD_BYTES}-byte user records`,
    `(${DISTINCT_KEYS.toLocaleString('en-US')} partition keys of 18 characters, picked at random) to one loopback no-op Kinesis endpoint`,
    `(bench/lib/kinesis-sink.ts, its own process, ${SHARDS} shards) that parses every request and answers success. Each contender runs in`,
    'its own process after a warm-up run of a tenth of its records; CPU seconds are that process\'s user + system time (all its',
    'threads, garbage collection included), peak RSS its maximum resident set. Our producer runs with its defaults except',
    '`rateLimit`, lifted to 1,000,000 % because the sink is not a shard (at the default 150 % the producer would pace itself',
    `to 1.5 x ${SHARDS} shards' limits, i.e. about ${formatCount(1.5 * SHARDS * 1024 * 1024 / (aggregatedEntryBytes(RECORD_BYTES) + 1))} aggregated user records/s here),`,
    'and is driven the way docs/producer.md recommends: `await producer.enqueue(record)` per record, failures counted from the',
    '`recordFailed` event. Peers with no concurrency limit of their own get 24 requests in flight, like ours.',
    '',
    table,
    '',
    'What each does for the same records: ours returns a result (shard, sequence number, attempts) or a typed error for every',
    'user record, aggregates per predicted shard, retries with backoff and bounds its buffer. The raw SDK and lifion-kinesis send',
    'one Kinesis record per user record (lifion retries failed records; neither aggregates). aws-kinesis-agg packs everything,',
    'whatever its shard, into ~1 MiB aggregates and gives no per-record outcome: on a real stream each of those records uses a',
    "whole shard's 1 MiB/s, and a Java KCL consumer drops such an aggregate whole, since its members' hash keys span every shard",
    "(its own README warns of data loss).",
    '',
    `PUT payload units: each Kinesis record's data rounded up to 25 KiB (${PAYLOAD_UNIT_BYTES.toLocaleString('en-US')} B), counted by the sink.`,
    `Data minimum: ${formatCount(dataMinimum)} units per million = user data alone, perfectly packed. Format minimum:`,
    `${formatCount(formatMinimum)} = every user record's smallest entry inside a KPL aggregate (${aggregatedEntryBytes(RECORD_BYTES)} B: ${RECORD_BYTES} B of data and 6 B of`,
    'protobuf framing), perfectly packed; no producer that writes the KPL format (which the KCL and Lambda read) can go below it.',
    '',
    `Against the targets: ${formatCount(rate(ours))} user records/s wall clock (${formatCount(perCpu(ours))} per CPU-second);`,
    `payload units ${((oursUnits / formatMinimum - 1) * 100).toFixed(1)} % above the format minimum (${((oursUnits / dataMinimum - 1) * 100).toFixed(1)} % above the data minimum);`,
    `${(rate(ours) / rate(best)).toFixed(1)}x the best producer library (${best.label}) in user records/s,`,
    `${(perCpu(ours) / perCpu(best)).toFixed(1)}x per CPU-second. The last row is a ceiling for every producer that sends through the AWS SDK:`,
    `sending already-built aggregates alone costs ${perMillion(floor.result.cpuSeconds, floor.result.records).toFixed(2)} CPU s per million user records here`,
    `(SDK serialisation with its own base64, SigV4 SHA-256 of every body, HTTP), i.e. at most ${formatCount(perCpu(floor))} user records per CPU-second.`,
    '',
  ].join('\n');
}

await main();
