// One contender of the producer benchmark, run in its own process by bench/suites/producer.ts so
// that CPU time and peak memory are its own:
//   node bench/dist/suites/producer-contenders.js <contender> <records> <sinkEndpoint>
// Prints one JSON line with the measurements on stdout.
import { hash } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_AGGREGATION_MAX_SIZE, MAX_HASH_KEY, ShardMap, aggregateByShard, type OuterRecord } from '@kinesis-kit/aggregation';
import { KinesisProducer, sdkWritePort, type PutRecordInput, type PutResult } from '@kinesis-kit/producer';
import { seededRandom } from '../lib/measure.js';
import { type AwsAggEncodedRecord, type AwsAggInputRecord, awsKinesisAgg } from './peers.js';

const require = createRequire(import.meta.url);

export const DISTINCT_KEYS = 1_000;
export const RECORD_BYTES = 100;
/** Requests in flight for the peers that do not limit themselves: the same as our default maxConcurrentRequests. */
const PEER_CONCURRENCY = 24;
const STREAM = 'bench';
/** Shards of the sink (bench/lib/kinesis-sink.ts), which the per-shard peer must know to group by. */
export const SINK_SHARDS = 16;
/** The largest aggregate a 1 MiB record holds: 1 MiB minus the aggregate's 1-byte partition key. */
const ONE_MIB_AGGREGATE = 1024 * 1024 - 1;

/**
 * The user records: 100-byte ASCII payloads (so every peer sends the same bytes), 1,000 keys
 * picked at random, or (`uniqueKeys`) a different key per record, made before the clock starts.
 */
export class Workload {
  readonly keys: string[];
  readonly payloads: Uint8Array[];
  readonly texts: string[];
  readonly keyIndex: Uint16Array;
  readonly uniqueKeys: string[] | undefined;

  constructor(
    readonly count: number,
    unique = false,
  ) {
    const random = seededRandom(42);
    this.keys = Array.from({ length: DISTINCT_KEYS }, (_, i) => `partition-key-${i.toString().padStart(4, '0')}`);
    this.texts = Array.from({ length: DISTINCT_KEYS }, () => Array.from({ length: RECORD_BYTES }, () => String.fromCharCode(33 + Math.floor(random() * 94))).join(''));
    this.payloads = this.texts.map((text) => new TextEncoder().encode(text));
    this.keyIndex = new Uint16Array(count);
    for (let i = 0; i < count; i++) this.keyIndex[i] = Math.floor(random() * DISTINCT_KEYS);
    // Unique keys of the same length as the shared ones (18 characters).
    this.uniqueKeys = unique ? Array.from({ length: count }, (_, i) => `unique-key-${i.toString(36).padStart(7, '0')}`) : undefined;
  }

  key(i: number): string {
    return this.uniqueKeys?.[i] ?? this.keys[this.keyIndex[i]!]!;
  }
}

function sdkClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
}

/** Runs `send` for each batch with at most PEER_CONCURRENCY in flight. */
async function withConcurrency<T>(batches: Iterable<T>, send: (batch: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const batch of batches) {
    const request: Promise<void> = send(batch).finally(() => inFlight.delete(request));
    inFlight.add(request);
    if (inFlight.size >= PEER_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** How a contender drives our producer. */
interface OursVariant {
  readonly aggregation: boolean;
  /** aggregation.maxSize (default: the KPL's 51,200 B). */
  readonly maxSize?: number;
  readonly recordMaxBufferedTime?: number;
  /**
   * `enqueue`: `await producer.enqueue(record)` per record, failures through the event (what
   * docs/producer.md recommends). `put`: `put()` per record, every result read, at most
   * PUT_WINDOW records awaited in chunks. `writable`: `pipeline(Readable.from(records), producer.writable())`.
   */
  readonly drive: 'enqueue' | 'put' | 'writable';
}

/** put(): records outstanding at most (below maxBufferedRecords, so no put waits for room). */
const PUT_WINDOW = 50_000;

/**
 * put() for every record, every result read (`.then` per put), at most PUT_WINDOW outstanding:
 * past it, the loop waits until half of them have settled.
 */
async function putAll(producer: KinesisProducer, count: number, record: (i: number) => PutRecordInput): Promise<void> {
  let written = 0;
  let failed = 0;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  const settled = (): void => {
    if (--outstanding <= PUT_WINDOW / 2 && wake !== undefined) {
      wake();
      wake = undefined;
    }
  };
  const onResult = (result: PutResult): void => {
    if (result.sequenceNumber.length > 0) written++;
    settled();
  };
  const onError = (): void => {
    failed++;
    settled();
  };
  for (let i = 0; i < count; i++) {
    outstanding++;
    producer.put(record(i)).then(onResult, onError);
    if (outstanding >= PUT_WINDOW) await new Promise<void>((resolve) => (wake = resolve));
  }
  while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (written !== count || failed > 0) throw new Error(`${count - written} puts not written`);
}

async function ours(w: Workload, endpoint: string, variant: OursVariant): Promise<void> {
  const client = sdkClient(endpoint);
  const aggregation = variant.aggregation ? { maxSize: variant.maxSize ?? DEFAULT_AGGREGATION_MAX_SIZE } : false;
  // rateLimit lifted: the no-op sink is not a real shard, and the point is the producer's own cost.
  const producer = new KinesisProducer({
    streamName: STREAM,
    kinesisClient: client,
    aggregation,
    rateLimit: 1_000_000,
    ...(variant.recordMaxBufferedTime === undefined ? {} : { recordMaxBufferedTime: variant.recordMaxBufferedTime }),
  });
  let failed = 0;
  producer.on('recordFailed', () => failed++);
  const record = (i: number): PutRecordInput => ({ partitionKey: w.key(i), data: w.payloads[i % DISTINCT_KEYS]! });
  if (variant.drive === 'enqueue') {
    for (let i = 0; i < w.count; i++) await producer.enqueue(record(i));
  } else if (variant.drive === 'put') {
    await putAll(producer, w.count, record);
  } else {
    function* records(): Generator<PutRecordInput> {
      for (let i = 0; i < w.count; i++) yield record(i);
    }
    await pipeline(Readable.from(records()), producer.writable());
  }
  await producer.close();
  client.destroy();
  if (failed > 0) throw new Error(`${failed} records failed`);
}

/** The raw SDK: PutRecords batches of 500 unaggregated records. */
async function rawSdk(w: Workload, endpoint: string): Promise<void> {
  const client = sdkClient(endpoint);
  function* batches(): Generator<PutRecordsRequestEntry[]> {
    for (let start = 0; start < w.count; start += 500) {
      const entries: PutRecordsRequestEntry[] = [];
      for (let i = start; i < Math.min(w.count, start + 500); i++) entries.push({ PartitionKey: w.key(i), Data: w.payloads[i % DISTINCT_KEYS]! });
      yield entries;
    }
  }
  await withConcurrency(batches(), async (Records) => {
    const output = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
    if ((output.FailedRecordCount ?? 0) > 0) throw new Error('records failed');
  });
  client.destroy();
}

/**
 * aws-kinesis-agg fed per-shard groups: what a user must do for aggregates the Java KCL keeps.
 * Each record's shard is predicted as Kinesis would (MD5 of the key, remembered per key, against
 * the stream's 16 equal ranges), and each shard gets its own RecordAggregator.
 */
async function awsKinesisAggPerShard(w: Workload, endpoint: string): Promise<void> {
  const client = sdkClient(endpoint);
  const shift = 128n - BigInt(Math.log2(SINK_SHARDS));
  const shardOfKey = new Map<string, number>();
  const shardOf = (key: string): number => {
    let shard = shardOfKey.get(key);
    if (shard === undefined) {
      shard = Number(BigInt('0x' + hash('md5', key, 'hex')) >> shift);
      if (shardOfKey.size < 10_000) shardOfKey.set(key, shard);
    }
    return shard;
  };
  function* batches(): Generator<AwsAggEncodedRecord[]> {
    const aggregators = Array.from({ length: SINK_SHARDS }, () => new awsKinesisAgg.RecordAggregator());
    let ready: AwsAggEncodedRecord[] = [];
    let bytes = 0;
    const chunk = 1_000;
    for (let start = 0; start < w.count; start += chunk) {
      const groups: AwsAggInputRecord[][] = Array.from({ length: SINK_SHARDS }, () => []);
      for (let i = start; i < Math.min(w.count, start + chunk); i++) {
        const partitionKey = w.key(i);
        groups[shardOf(partitionKey)]!.push({ partitionKey, data: w.payloads[i % DISTINCT_KEYS]! });
      }
      const last = start + chunk >= w.count;
      const out: AwsAggEncodedRecord[] = [];
      groups.forEach((records, shard) =>
        aggregators[shard]!.aggregateRecords(records, last, (error, encoded) => {
          if (error) throw error;
          out.push(encoded!);
        }),
      );
      for (const encoded of out) {
        if (ready.length === 500 || bytes + encoded.data.length > 5 * 1024 * 1024) {
          yield ready;
          ready = [];
          bytes = 0;
        }
        ready.push(encoded);
        bytes += encoded.data.length + encoded.partitionKey.length;
      }
    }
    if (ready.length > 0) yield ready;
  }
  await withConcurrency(batches(), async (encoded) => {
    const Records = encoded.map((e) => ({ PartitionKey: e.partitionKey, ExplicitHashKey: e.ExplicitHashKey, Data: e.data }));
    const output = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
    if ((output.FailedRecordCount ?? 0) > 0) throw new Error('records failed');
  });
  client.destroy();
}

/** aws-kinesis-agg aggregating (to its ~1 MiB records, across shards), sent with the SDK 5 MiB at a time. */
async function awsKinesisAggWithSdk(w: Workload, endpoint: string): Promise<void> {
  const client = sdkClient(endpoint);
  function* batches(): Generator<AwsAggEncodedRecord[]> {
    const aggregator = new awsKinesisAgg.RecordAggregator();
    let ready: AwsAggEncodedRecord[] = [];
    let bytes = 0;
    const chunk = 1_000;
    for (let start = 0; start < w.count; start += chunk) {
      const records = [];
      for (let i = start; i < Math.min(w.count, start + chunk); i++) records.push({ partitionKey: w.key(i), data: w.payloads[i % DISTINCT_KEYS]! });
      const out: AwsAggEncodedRecord[] = [];
      aggregator.aggregateRecords(records, start + chunk >= w.count, (error, encoded) => {
        if (error) throw error;
        out.push(encoded!);
      });
      for (const encoded of out) {
        if (ready.length === 500 || bytes + encoded.data.length > 5 * 1024 * 1024) {
          yield ready;
          ready = [];
          bytes = 0;
        }
        ready.push(encoded);
        bytes += encoded.data.length + encoded.partitionKey.length;
      }
    }
    if (ready.length > 0) yield ready;
  }
  await withConcurrency(batches(), async (encoded) => {
    const Records = encoded.map((e) => ({ PartitionKey: e.partitionKey, ExplicitHashKey: e.ExplicitHashKey, Data: e.data }));
    const output = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
    if ((output.FailedRecordCount ?? 0) > 0) throw new Error('records failed');
  });
  client.destroy();
}

/** Our aggregates for the sink's shards, built before the clock starts, sent 5 MiB at a time. */
function prebuiltAggregates(w: Workload, shards: number): OuterRecord[][] {
  const width = (MAX_HASH_KEY + 1n) / BigInt(shards);
  const map = new ShardMap(
    Array.from({ length: shards }, (_, i) => ({ shardId: String(i), hashKeyRange: { startingHashKey: width * BigInt(i), endingHashKey: width * BigInt(i + 1) - 1n } })),
  );
  const users = Array.from({ length: w.count }, (_, i) => ({ partitionKey: w.key(i), data: w.payloads[i % DISTINCT_KEYS]! }));
  const outer = [...aggregateByShard(users, map).values()].flat();
  const batches: OuterRecord[][] = [];
  for (let i = 0; i < outer.length; i += 100) batches.push(outer.slice(i, i + 100)); // 100 x 51,200 B < 5 MiB
  return batches;
}

/**
 * The floor of any producer built on the SDK: only the sending of already-built aggregates
 * (SDK serialisation, SigV4 signing, HTTP), none of the producing.
 */
/** Sends aggregates built before the clock starts (what sending alone costs), each batch through what `connect` returns for the client. */
function floorContender(shards: number, connect: (client: KinesisClient) => (batch: OuterRecord[]) => Promise<void>): Contender {
  const prepared = new Map<Workload, OuterRecord[][]>();
  return {
    prepare: (w) => void prepared.set(w, prebuiltAggregates(w, shards)),
    run: async (w, endpoint) => {
      const client = sdkClient(endpoint);
      await withConcurrency(prepared.get(w) ?? prebuiltAggregates(w, shards), connect(client));
      client.destroy();
    },
  };
}

/** The SDK's own PutRecords. */
const sdkFloor = (shards: number): Contender =>
  floorContender(shards, (client) => async (batch) => {
    const Records = batch.map((o) => ({ PartitionKey: o.partitionKey, ExplicitHashKey: o.explicitHashKey, Data: o.data }));
    const output = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
    if ((output.FailedRecordCount ?? 0) > 0) throw new Error('records failed');
  });

/** Our SDK adapter (its own PutRecords serializer; the SDK signs and sends). */
const portFloor = (shards: number): Contender =>
  floorContender(shards, (client) => {
    const port = sdkWritePort(client, { streamName: STREAM });
    const signal = new AbortController().signal;
    return async (batch) => {
      const results = await port.putRecords(batch, signal);
      if (results.some((r) => r.errorCode !== undefined)) throw new Error('records failed');
    };
  });

interface LifionKinesis {
  putRecords(params: { records: { partitionKey: string; data: string }[] }): Promise<unknown>;
}

/** lifion-kinesis (AWS SDK v2 underneath), putRecords 500 at a time. */
async function lifion(w: Workload, endpoint: string): Promise<void> {
  const Kinesis = require('lifion-kinesis') as new (options: Record<string, unknown>) => LifionKinesis;
  const kinesis = new Kinesis({
    streamName: STREAM,
    createStreamIfNeeded: false,
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'bench',
    secretAccessKey: 'bench',
    maxRetries: 0,
    httpOptions: { agent: new http.Agent({ keepAlive: true, maxSockets: 64 }) },
  });
  function* batches(): Generator<{ partitionKey: string; data: string }[]> {
    for (let start = 0; start < w.count; start += 500) {
      const records = [];
      for (let i = start; i < Math.min(w.count, start + 500); i++) records.push({ partitionKey: w.key(i), data: w.texts[i % DISTINCT_KEYS]! });
      yield records;
    }
  }
  await withConcurrency(batches(), async (records) => {
    await kinesis.putRecords({ records });
  });
}

export interface Contender {
  /** A different partition key for every record (else 1,000 keys). */
  readonly uniqueKeys?: boolean;
  /** Work done before the clock starts. */
  readonly prepare?: (w: Workload) => void;
  /** Writes every record of the workload; resolves when all are acknowledged. */
  readonly run: (w: Workload, endpoint: string) => Promise<void>;
}

export const CONTENDERS: Readonly<Record<string, Contender>> = {
  'ours-aggregated': { run: (w, endpoint) => ours(w, endpoint, { aggregation: true, drive: 'enqueue' }) },
  'ours-aggregated-unique-keys': { uniqueKeys: true, run: (w, endpoint) => ours(w, endpoint, { aggregation: true, drive: 'enqueue' }) },
  'ours-aggregated-put': { run: (w, endpoint) => ours(w, endpoint, { aggregation: true, drive: 'put' }) },
  'ours-aggregated-writable': { run: (w, endpoint) => ours(w, endpoint, { aggregation: true, drive: 'writable' }) },
  'ours-aggregated-1mib': {
    run: (w, endpoint) => ours(w, endpoint, { aggregation: true, maxSize: ONE_MIB_AGGREGATE, recordMaxBufferedTime: 1_000, drive: 'enqueue' }),
  },
  'ours-unaggregated': { run: (w, endpoint) => ours(w, endpoint, { aggregation: false, drive: 'enqueue' }) },
  'ours-unaggregated-unique-keys': { uniqueKeys: true, run: (w, endpoint) => ours(w, endpoint, { aggregation: false, drive: 'enqueue' }) },
  'ours-unaggregated-put': { run: (w, endpoint) => ours(w, endpoint, { aggregation: false, drive: 'put' }) },
  'sdk-raw': { run: rawSdk },
  'aws-kinesis-agg+sdk': { run: awsKinesisAggWithSdk },
  'aws-kinesis-agg+sdk-per-shard': { run: awsKinesisAggPerShard },
  'lifion-kinesis': { run: lifion },
  'sdk-floor': sdkFloor(SINK_SHARDS),
  'port-floor': portFloor(SINK_SHARDS),
};

export interface ContenderResult {
  readonly contender: string;
  readonly records: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
}

async function main(): Promise<void> {
  const [name, countArg, endpoint] = process.argv.slice(2);
  const contender = CONTENDERS[name ?? ''];
  if (contender === undefined || endpoint === undefined) throw new Error(`usage: producer-contenders <${Object.keys(CONTENDERS).join('|')}> <records> <endpoint>`);
  const count = Number(countArg);
  const unique = contender.uniqueKeys === true;
  const warmUp = new Workload(Math.max(1_000, Math.floor(count / 10)), unique);
  contender.prepare?.(warmUp);
  await contender.run(warmUp, endpoint); // let the JIT settle
  const workload = new Workload(count, unique);
  globalThis.gc?.(); // the warm-up's garbage is not the timed run's
  contender.prepare?.(workload);
  await fetch(`${endpoint}/__reset`, { method: 'POST' });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await contender.run(workload, endpoint);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const result: ContenderResult = {
    contender: name!,
    records: count,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1]?.endsWith('producer-contenders.js') === true) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  });
}
