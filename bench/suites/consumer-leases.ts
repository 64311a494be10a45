// Benchmark suite: the consumer's lease coordination at the library defaults (failoverTimeMillis
// 10,000, leaseTakingIntervalMillis 2,000, renewal every 3,308 ms), run in its own process by
// bench/run.ts. Prints the markdown section for docs/benchmarks.md on stdout, progress on stderr.
//
// The lease table is dynalite, in this process. Kinesis is a loopback stand-in in this process
// too (ListShards, GetShardIterator, GetRecords): `idle` answers no records, `busy` one record
// per GetRecords, so processors checkpoint about once a second per shard. What is measured is
// the lease layer, not an emulator. The SIGKILL scenario runs one worker as a child process
// (this file with `--worker`), killed for real.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CONSUMER_OPTION_SPECS, KinesisConsumer, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { markdownTable } from '../lib/measure.js';

const MAX_HASH_KEY = (1n << 128n) - 1n;
const RUNS = 3;
const STEADY_STATE_MS = 45_000;
const ACCOUNT = '000000000000';
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- stand-ins for the services

/** A loopback Kinesis with `shardCount` open shards. `busy`: one record per GetRecords call. */
async function fakeKinesis(shardCount: number, busy: boolean): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const width = (MAX_HASH_KEY + 1n) / BigInt(shardCount);
  const shards = Array.from({ length: shardCount }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(width * BigInt(i)), EndingHashKey: String(i === shardCount - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: '1000' },
  }));
  const answer = (operation: string, body: Record<string, unknown>): unknown => {
    if (operation === 'ListShards') return { Shards: shards };
    if (operation === 'GetShardIterator') {
      const after = body.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? BigInt(String(body.StartingSequenceNumber)) - 1n : 1000n;
      return { ShardIterator: `${String(body.ShardId)}|${after}` };
    }
    if (operation === 'GetRecords') {
      const [shardId, last] = String(body.ShardIterator).split('|') as [string, string];
      if (!busy) return { Records: [], NextShardIterator: body.ShardIterator, MillisBehindLatest: 0 };
      const next = BigInt(last) + 1n;
      const record = { SequenceNumber: String(next), Data: 'eA==', PartitionKey: 'k', ApproximateArrivalTimestamp: Date.now() / 1000 };
      return { Records: [record], NextShardIterator: `${shardId}|${next}`, MillisBehindLatest: 0 };
    }
    return undefined;
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const result = answer(target.slice(target.indexOf('.') + 1), JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>);
      const data = Buffer.from(JSON.stringify(result ?? { __type: 'UnknownOperationException' }));
      response.writeHead(result === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(data.length) });
      response.end(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function startDynalite(): Promise<{ endpoint: string; close: () => void }> {
  const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => http.Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

function clients(kinesisEndpoint: string, dynamoEndpoint: string): { kinesis: KinesisClient; dynamo: DynamoDBClient } {
  const base = (endpoint: string) => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  return { kinesis: new KinesisClient(base(kinesisEndpoint)), dynamo: new DynamoDBClient(base(dynamoEndpoint)) };
}

// ---------------------------------------------------------------- workers

let checkpoints = 0;
const processor: ShardRecordProcessorFactory = () => ({
  async processRecords({ records, checkpointer }) {
    if (records.length === 0) return;
    await checkpointer.checkpoint();
    checkpoints++;
  },
  async shardEnded({ checkpointer }) {
    await checkpointer.checkpoint();
  },
  async shutdownRequested({ checkpointer }) {
    await checkpointer.checkpoint().catch(() => undefined);
  },
});

interface Env {
  readonly kinesisEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly applicationName: string;
}

function worker(env: Env, workerId: string): KinesisConsumer {
  const { kinesis, dynamo } = clients(env.kinesisEndpoint, env.dynamoEndpoint);
  return new KinesisConsumer({
    streamName: 'bench',
    applicationName: env.applicationName,
    workerId,
    kinesisClient: kinesis,
    dynamoDBClient: dynamo,
    initialPosition: 'TRIM_HORIZON',
    processor,
  });
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('benchmark condition not reached in time');
    await sleep(10);
  }
  return performance.now() - start;
}

const held = (c: KinesisConsumer): number => c.stats().leasesHeld.length;
const balanced = (fleet: readonly KinesisConsumer[], leases: number) => () => {
  const counts = fleet.map(held);
  return counts.reduce((a, b) => a + b, 0) === leases && Math.max(...counts) - Math.min(...counts) <= 1;
};

let runCounter = 0;
async function withFleet<T>(shards: number, busy: boolean, dynamoEndpoint: string, body: (env: Env) => Promise<T>): Promise<T> {
  const kinesis = await fakeKinesis(shards, busy);
  try {
    return await body({ kinesisEndpoint: kinesis.endpoint, dynamoEndpoint, applicationName: `bench-leases-${process.pid}-${runCounter++}` });
  } finally {
    await kinesis.close();
  }
}

// ---------------------------------------------------------------- scenarios

interface RequestRates {
  renewals: number;
  checkpoints: number;
  scans: number;
  other: number;
}

/** DynamoDB requests per lease per hour of a balanced fleet, over STEADY_STATE_MS. */
async function steadyState(dynamo: string, workers: number, leases: number, busy: boolean): Promise<RequestRates> {
  return withFleet(leases, busy, dynamo, async (env) => {
    const fleet = Array.from({ length: workers }, (_, i) => worker(env, `steady-${i}`));
    await Promise.all(fleet.map((c) => c.start()));
    await until(balanced(fleet, leases));
    await sleep(5_000); // let the first checkpoints and renewals settle
    const total = (op: string) => fleet.reduce((n, c) => n + (c.stats().dynamoDBRequests[op] ?? 0), 0);
    const ops = () => fleet.reduce((n, c) => n + Object.values(c.stats().dynamoDBRequests).reduce((a, b) => a + b, 0), 0);
    const before = { update: total('UpdateItem'), scan: total('Scan'), all: ops(), checkpoints };
    await sleep(STEADY_STATE_MS);
    const perLeaseHour = (count: number) => (count / leases) * (3_600_000 / STEADY_STATE_MS);
    const written = checkpoints - before.checkpoints;
    const updates = total('UpdateItem') - before.update;
    const scans = total('Scan') - before.scan;
    const rates = {
      renewals: perLeaseHour(updates - written),
      checkpoints: perLeaseHour(written),
      scans: perLeaseHour(scans),
      other: perLeaseHour(ops() - before.all - updates - scans),
    };
    await Promise.all(fleet.map((c) => c.stop()));
    return rates;
  });
}

/** stop() of one of two workers: how long stop() takes, and from its end until the other holds every lease. */
async function handoff(dynamo: string, leases: number): Promise<{ stopMs: number; takenMs: number }> {
  return withFleet(leases, true, dynamo, async (env) => {
    const [a, b] = [worker(env, 'handoff-a'), worker(env, 'handoff-b')];
    await Promise.all([a.start(), b.start()]);
    await until(balanced([a, b], leases));
    const start = performance.now();
    await a.stop();
    const stopMs = performance.now() - start;
    const takenMs = await until(() => held(b) === leases);
    await b.stop();
    return { stopMs, takenMs };
  });
}

/**
 * A worker joins a balanced fleet: time from its start() until it holds its share (and how many
 * taking rounds that took), and until every victim has noticed its loss at a renewal.
 */
async function join(dynamo: string, workers: number, leases: number): Promise<{ shareMs: number; rounds: number; settledMs: number }> {
  return withFleet(leases, true, dynamo, async (env) => {
    const fleet = Array.from({ length: workers }, (_, i) => worker(env, `join-${i}`));
    await Promise.all(fleet.map((c) => c.start()));
    await until(balanced(fleet, leases));
    const joiner = worker(env, 'join-new');
    const share = Math.floor(leases / (workers + 1));
    const start = performance.now();
    await joiner.start();
    await until(() => held(joiner) >= share);
    const shareMs = performance.now() - start;
    // One consistent scan per taking round (start() itself makes one more, for shard sync).
    const rounds = (joiner.stats().dynamoDBRequests.Scan ?? 1) - 1;
    await until(balanced([...fleet, joiner], leases));
    const settledMs = performance.now() - start;
    await Promise.all([...fleet, joiner].map((c) => c.stop()));
    return { shareMs, rounds, settledMs };
  });
}

/** Two workers (one a child process); SIGKILL the child: time until the survivor holds every lease. */
async function failover(dynamo: string, leases: number): Promise<number> {
  return withFleet(leases, true, dynamo, async (env) => {
    const survivor = worker(env, 'failover-survivor');
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--worker'], {
      env: { ...process.env, BENCH_ENV: JSON.stringify(env) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      });
      await survivor.start();
      await until(() => held(survivor) === leases / 2);
      await sleep(2_000); // both workers renewing normally
      const start = performance.now();
      child.kill('SIGKILL');
      await until(() => held(survivor) === leases);
      const ms = performance.now() - start;
      await survivor.stop();
      return ms;
    } finally {
      child.kill('SIGKILL');
    }
  });
}

// ---------------------------------------------------------------- report

const seconds = (ms: number) => (ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const fmt = (value: number) => Math.round(value).toLocaleString('en-US');

/** The Java KCL 2.x at its defaults: renewal every failover/3 - epsilon, one full scan per worker every (failover + epsilon) x 2. */
const KCL = { renewalMs: 10_000 / 3 - 25, takingMs: (10_000 + 25) * 2 };

async function main(): Promise<void> {
  const dynamo = await startDynalite();
  const runs = <T>(label: string, scenario: () => Promise<T>) => async (): Promise<T[]> => {
    const results: T[] = [];
    for (let i = 0; i < RUNS; i++) {
      log(`${label} ${i + 1}/${RUNS}`);
      results.push(await scenario());
    }
    return results;
  };
  try {
    const failovers = await runs('failover after SIGKILL', () => failover(dynamo.endpoint, 8))();
    const handoffs = await runs('handoff after stop()', () => handoff(dynamo.endpoint, 16))();
    const joins = await runs('joining worker', () => join(dynamo.endpoint, 3, 24))();
    log('steady state, idle');
    const idle = await steadyState(dynamo.endpoint, 4, 32, false);
    log('steady state, busy');
    const busy = await steadyState(dynamo.endpoint, 4, 32, true);
    process.stdout.write(render(failovers, handoffs, joins, idle, busy));
  } finally {
    dynamo.close();
  }
}

function render(
  failovers: number[],
  handoffs: { stopMs: number; takenMs: number }[],
  joins: { shareMs: number; rounds: number; settledMs: number }[],
  idle: RequestRates,
  busy: RequestRates,
): string {
  const kclRenewals = 3_600_000 / KCL.renewalMs;
  const kclScans = (3_600_000 / KCL.takingMs) * (4 / 32);
  const kclStealRounds = 6; // the joiner needs 6 of 24 leases; the KCL steals 1 per round
  const defaults = CONSUMER_OPTION_SPECS;
  const timing = markdownTable(
    ['scenario', 'kinesis-kit, median (max) of 3', 'Java KCL 2.x at its defaults (computed)'],
    [
      [
        'failover after SIGKILL (2 workers, 8 leases): until the survivor holds all',
        `${seconds(median(failovers))} (${seconds(Math.max(...failovers))})`,
        `failover 10 s + up to one 20 s taking round: 10-30 s`,
      ],
      [
        'handoff after stop() (2 workers, 16 leases): stop() itself',
        `${seconds(median(handoffs.map((h) => h.stopMs)))} (${seconds(Math.max(...handoffs.map((h) => h.stopMs)))})`,
        'no release at shutdown',
      ],
      [
        'handoff after stop(): from stop() returning until the other worker holds all',
        `${seconds(median(handoffs.map((h) => h.takenMs)))} (${seconds(Math.max(...handoffs.map((h) => h.takenMs)))})`,
        'leases expire first: 10-30 s',
      ],
      [
        'a 4th worker joins 3 holding 24 leases: until it holds its 6',
        `${seconds(median(joins.map((j) => j.shareMs)))} (${seconds(Math.max(...joins.map((j) => j.shareMs)))}), ${median(joins.map((j) => j.rounds))} taking round(s)`,
        `1 steal per 20 s round: ${kclStealRounds} rounds, about ${Math.round((kclStealRounds * KCL.takingMs) / 1000)} s`,
      ],
      [
        '... until every victim has noticed its loss (next renewal or taking round)',
        `${seconds(median(joins.map((j) => j.settledMs)))} (${seconds(Math.max(...joins.map((j) => j.settledMs)))})`,
        'the same, plus up to one renewal interval',
      ],
    ],
  );
  const row = (label: string, r: RequestRates, kclCheckpoints: number) => [
    label,
    fmt(r.renewals),
    fmt(r.checkpoints),
    fmt(r.scans),
    fmt(r.other),
    `**${fmt(r.renewals + r.checkpoints + r.scans + r.other)}**`,
    `${fmt(kclRenewals + kclCheckpoints + kclScans)} (${fmt(kclRenewals)} + ${fmt(kclCheckpoints)} + ${fmt(kclScans)})`,
  ];
  const requests = markdownTable(
    ['4 workers, 32 leases', 'renewals', 'checkpoints', 'scans', 'other', 'kinesis-kit total', 'KCL total (renewals + checkpoints + scans)'],
    [row('idle (no records)', idle, 0), row('busy (a checkpoint per second per shard)', busy, busy.checkpoints)],
  );
  return [
    '## Consumer: lease coordination',
    '',
    `Run ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- consumer-leases\`. Library defaults: failoverTimeMillis ${fmt(defaults.failoverTimeMillis.default)},`,
    `leaseTakingIntervalMillis ${fmt(defaults.leaseTakingIntervalMillis.default)}, renewals every ${fmt(10_000 / 3 - 25)} ms. dynalite and a loopback Kinesis stand-in in the benchmark process;`,
    'the SIGKILLed worker is a child process. The Java KCL column is computed from its defaults (renewal every 3,308 ms,',
    'one full scan per worker every 20,050 ms, maxLeasesToStealAtOneTime 1), not measured.',
    '',
    timing,
    '',
    '### DynamoDB requests per lease per hour at steady state',
    '',
    `Measured over ${STEADY_STATE_MS / 1000} s of a balanced fleet, every attempt counted. Renewals are skipped for a lease whose counter a`,
    'checkpoint moved less than half a renewal interval ago, so a busy shard costs its checkpoints and almost no renewals.',
    'A taking round is one consistent Scan per worker every 2 s, shared by taking, stealing, parent checks, shard sync and',
    'cleanup: that is the price of a 2 s handoff; `leaseTakingIntervalMillis: 20_050` gives the KCL\'s scan rate back.',
    '',
    requests,
    '',
  ].join('\n');
}

/** `--worker`: one consumer in a child process (the one the failover scenario kills). */
async function childWorker(): Promise<void> {
  const env = JSON.parse(process.env.BENCH_ENV ?? '{}') as Env;
  const consumer = worker(env, `failover-child-${process.pid}`);
  await consumer.start();
  await until(() => held(consumer) > 0);
  process.send?.('started');
}

if (process.argv[2] === '--worker') void childWorker();
else await main();
