// Benchmark suite: the consumer's per-shard processing pipeline (polling GetRecords through the
// AWS SDK, de-aggregation, processRecords, a checkpoint per batch), run in its own
// process by bench/run.ts. Prints the markdown section for docs/benchmarks.md on stdout.
//
// Records come from a loopback GetRecords sink in a child process (this file with `--serve`),
// not from kinesis-local: kinesis-local serves about 10-14k user records/s of 100 B records
// (1-1.5 MB/s, measured here on the same machine), a small fraction of what the pipeline
// handles, so it would measure the emulator. The sink answers GetShardIterator and GetRecords
// with pre-encoded KPL aggregates, so the numbers include the SDK's HTTP and JSON/base64 work.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { aggregate, deaggregate, type UserRecord } from '@kinesis-kit/aggregation';
import { kinesisReadPort, pollingRetrieval, TRIM_HORIZON, type Position, type ShardRecordProcessor } from '@kinesis-kit/consumer';
import { formatCount, formatRate, markdownTable, seededRandom } from '../lib/measure.js';
import { awsKinesisAgg, awsKinesisAggVersion } from './peers.js';
import type * as ShardConsumerModule from '../../packages/consumer/dist/processing/shard-consumer.js';

// startShardConsumer is the seam KinesisConsumer drives, not part of the public API: loaded from the
// built package (this file runs from bench/dist/suites, hence the URL relative to the compiled file).
const shardConsumerModule = new URL('../../../packages/consumer/dist/processing/shard-consumer.js', import.meta.url).href;

const RECORD_SIZE = 100;
const DISTINCT_KEYS = 1_000;
/** Distinct aggregates the sink cycles through (each about 51,200 B, the KPL default). */
const DISTINCT_AGGREGATES = 40;
/** Kinesis records per GetRecords page: 100 aggregates is about 5 MB, under the 10 MB response limit. */
const AGGREGATES_PER_PAGE = 100;
const PLAIN_PER_PAGE = 10_000;
const ROUNDS = 3;
const FIRST_SEQUENCE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

type Mode = 'aggregated' | 'plain';

// ---------------------------------------------------------------- the sink (child process)

function makeUsers(count: number, seed: number): UserRecord[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const data = new Uint8Array(RECORD_SIZE);
    for (let j = 0; j < RECORD_SIZE; j++) data[j] = (random() * 256) | 0;
    return { partitionKey: `partition-key-${((random() * DISTINCT_KEYS) | 0).toString().padStart(4, '0')}`, data };
  });
}

/** JSON fragments of one page's records (without sequence numbers), and user records per page. */
function pageTemplate(mode: Mode): { fragments: string[]; usersPerPage: number } {
  if (mode === 'plain') {
    const users = makeUsers(PLAIN_PER_PAGE, 2);
    return { fragments: users.map((u) => fragment(u.partitionKey, u.data)), usersPerPage: users.length };
  }
  const users = makeUsers(600 * DISTINCT_AGGREGATES, 1);
  const outer = aggregate(users).slice(0, DISTINCT_AGGREGATES);
  const distinct = outer.map((o) => ({ json: fragment(o.partitionKey, o.data), users: deaggregate({ ...o, sequenceNumber: '1' }).length }));
  const page = Array.from({ length: AGGREGATES_PER_PAGE }, (_, i) => distinct[i % distinct.length]!);
  return { fragments: page.map((p) => p.json), usersPerPage: page.reduce((n, p) => n + p.users, 0) };
}

function fragment(partitionKey: string, data: Uint8Array): string {
  return `"Data":"${Buffer.from(data).toString('base64')}","PartitionKey":"${partitionKey}","ApproximateArrivalTimestamp":1.7e9`;
}

/** Answers GetShardIterator (`<pages>:0`) and GetRecords (page n of `<pages>`; no next iterator after the last). */
function serve(mode: Mode): void {
  const { fragments, usersPerPage } = pageTemplate(mode);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ShardIterator?: string; Limit?: number; ShardId?: string };
      const answer = target.endsWith('GetShardIterator') ? `{"ShardIterator":"${body.ShardId}:0"}` : page(body.ShardIterator ?? '', body.Limit ?? 10_000);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(answer) });
      response.end(answer);
    });
  });
  const pagesPerShard = new Map<string, number>();
  const page = (iterator: string, limit: number): string => {
    const [shard = '', n = '0'] = iterator.split(':');
    const index = Number(n);
    const pages = pagesPerShard.get(shard) ?? 0;
    const count = Math.min(limit, fragments.length);
    const base = FIRST_SEQUENCE + BigInt(index * fragments.length);
    const records = fragments.slice(0, count).map((f, i) => `{${f},"SequenceNumber":"${base + BigInt(i)}"}`);
    const last = index + 1 >= pages;
    const next = last ? '"ChildShards":[]' : `"NextShardIterator":"${shard}:${index + 1}"`;
    return `{"Records":[${records.join(',')}],"MillisBehindLatest":${last ? 0 : (pages - index) * 1000},${next}}`;
  };
  process.on('message', (message: { shard: string; pages: number }) => pagesPerShard.set(message.shard, message.pages));
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port, usersPerPage }));
}

// ---------------------------------------------------------------- the consumer side

interface Sink {
  readonly child: ChildProcess;
  readonly client: KinesisClient;
  readonly usersPerPage: number;
  /** Tells the sink how many pages `shard` has; returns its id. */
  shard(pages: number): string;
}

async function startSink(mode: Mode): Promise<Sink> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port, usersPerPage } = await new Promise<{ port: number; usersPerPage: number }>((resolve) => child.once('message', resolve));
  const client = new KinesisClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
  });
  let next = 0;
  return {
    child,
    client,
    usersPerPage,
    shard(pages) {
      const id = `shardId-${String(next++).padStart(12, '0')}`;
      child.send({ shard: id, pages });
      return id;
    },
  };
}

/** Per-batch work a minimal real processor does: touch every record, then checkpoint the batch. */
function countingProcessor(counter: { records: number; bytes: number }): ShardRecordProcessor {
  return {
    async processRecords({ records, checkpointer }) {
      for (const record of records) counter.bytes += record.data.byteLength;
      counter.records += records.length;
      await checkpointer.checkpoint();
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint();
    },
  };
}

const memoryLease = (shardId: string) => ({
  shardId,
  checkpoint: async (_position: Position) => 'ok' as const,
  recordChildShards: async () => 'ok' as const,
});

interface Measured {
  readonly users: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

async function measure(run: () => Promise<number>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const users = await run();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { users, wallSeconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** `shards` shard consumers in this process, each reading `pages` pages to shard end. */
async function shardConsumers(sink: Sink, shards: number, pages: number): Promise<number> {
  const { startShardConsumer } = (await import(shardConsumerModule)) as typeof ShardConsumerModule;
  const counter = { records: 0, bytes: 0 };
  const retrieval = pollingRetrieval(kinesisReadPort(sink.client, { streamName: 'bench' }), { idleTimeBetweenReadsMillis: 0, minTimeBetweenReadsMillis: 0 });
  const consumers = Array.from({ length: shards }, () => {
    const shardId = sink.shard(pages);
    return startShardConsumer({
      shardId,
      streamName: 'bench',
      startingPosition: TRIM_HORIZON,
      processor: countingProcessor(counter),
      leaseHandle: memoryLease(shardId),
      retrieval,
    });
  });
  const outcomes = await Promise.all(consumers.map((c) => c.finished));
  if (outcomes.some((o) => o.kind !== 'shardEnded')) throw new Error(`unexpected outcome ${JSON.stringify(outcomes)}`);
  return counter.records;
}

/** The hand-written baseline: GetRecords in a loop and a de-aggregation function, no consumer machinery. */
async function handLoop(sink: Sink, pages: number, decode: (record: { data: Uint8Array; partitionKey: string; sequenceNumber: string }) => number): Promise<number> {
  const shardId = sink.shard(pages);
  let iterator = (await sink.client.send(new GetShardIteratorCommand({ StreamName: 'bench', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  let users = 0;
  while (iterator !== undefined) {
    const page = await sink.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) users += decode({ data: r.Data!, partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber! });
    iterator = page.NextShardIterator;
  }
  return users;
}

function awsAggDecode(record: { data: Uint8Array; partitionKey: string; sequenceNumber: string }): number {
  let n = 0;
  awsKinesisAgg.deaggregateSync(record, true, (error, users) => {
    if (error) throw error;
    n = users!.length;
  });
  return n;
}

async function median(label: string, run: () => Promise<number>): Promise<Measured> {
  await run(); // warm-up
  const results: Measured[] = [];
  for (let i = 0; i < ROUNDS; i++) results.push(await measure(run));
  results.sort((a, b) => a.wallSeconds - b.wallSeconds);
  const m = results[results.length >> 1]!;
  const rates = `${formatCount(m.users / m.wallSeconds)} records/s wall, ${formatCount(m.users / m.cpuSeconds)} per CPU-s`;
  process.stderr.write(`  ${label}: ${rates}\n`);
  return m;
}

function row(name: string, m: Measured): string[] {
  const megabytesPerSecond = (m.users * RECORD_SIZE) / m.wallSeconds / 1e6;
  return [name, formatCount(m.users), formatCount(m.users / m.wallSeconds), formatCount(m.users / m.cpuSeconds), formatRate(megabytesPerSecond)];
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const aggregated = await startSink('aggregated');
  const plain = await startSink('plain');
  try {
    const pages = Math.ceil(1_000_000 / aggregated.usersPerPage);
    const plainPages = Math.ceil(200_000 / plain.usersPerPage);
    process.stderr.write(`aggregated: ${aggregated.usersPerPage} user records per GetRecords page, ${pages} pages per shard\n`);
    const cases: readonly (readonly [name: string, run: () => Promise<number>])[] = [
      ['kinesis-kit shard consumer, 1 shard', () => shardConsumers(aggregated, 1, pages)],
      ['kinesis-kit shard consumers, 4 shards in one process', () => shardConsumers(aggregated, 4, Math.ceil(pages / 4))],
      ['hand loop: SDK GetRecords + @kinesis-kit/aggregation deaggregate', () => handLoop(aggregated, pages, (r) => deaggregate(r).length)],
      [`hand loop: SDK GetRecords + aws-kinesis-agg ${awsKinesisAggVersion} deaggregateSync`, () => handLoop(aggregated, pages, awsAggDecode)],
      ['kinesis-kit shard consumer, 1 shard, plain (not aggregated) records', () => shardConsumers(plain, 1, plainPages)],
    ];
    for (const [name, run] of cases) rows.push(row(name, await median(name, run)));
  } finally {
    for (const sink of [aggregated, plain]) {
      sink.client.destroy();
      sink.child.kill();
    }
  }
  const table = markdownTable(['pipeline', 'user records per round', 'user records/s', 'user records per CPU-second', 'MB/s (user data)'], rows);
  process.stdout.write(
    [
      '## Consumer: per-shard processing',
      '',
      `Run ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- consumer-processing\`. One consumer process (one core for the pipeline);`,
      'the GetRecords sink runs in a child process on loopback and serves pre-encoded pages: KPL aggregates of 100 B user records',
      `(51,200 B each, about ${Math.round(aggregated.usersPerPage / AGGREGATES_PER_PAGE)} user records; ${AGGREGATES_PER_PAGE} aggregates per GetRecords page),`,
      'or 10,000 plain 100 B records per page.',
      'The consumer path is the shipped one: `kinesisReadPort` over an SDK `KinesisClient` (HTTP/1.1), `pollingRetrieval`',
      '(no pacing: idle and minimum read intervals 0), `startShardConsumer` with de-aggregation and a processor that',
      'touches every record and calls `checkpoint()` once per batch. The lease is in memory, so a checkpoint',
      'costs no DynamoDB round trip here (about one conditional UpdateItem per batch in production).',
      '"Per CPU-second" divides by the consumer process\'s user + system CPU time (GC and SDK threads included).',
      `Median of ${ROUNDS} rounds (by wall time) after a warm-up round. The sink shares the machine's cores, so the wall-clock`,
      'rate can trail the per-CPU-second rate. kinesis-local is not used: it serves about 10-14k user records/s',
      '(1-1.5 MB/s) of the same records, far below these rates, so it would measure the emulator instead.',
      '',
      table,
    ].join('\n') + '\n',
  );
}

if (process.argv[2] === '--serve') serve(process.argv[3] === 'plain' ? 'plain' : 'aggregated');
else await main();
