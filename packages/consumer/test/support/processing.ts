// Test doubles and helpers for the per-shard processing tests: an in-memory LeaseHandle (the
// DynamoDB lease layer is tested on its own), a recording processor, a recording Metrics, and
// PutRecords helpers. Nothing here is a mock of the AWS SDK: records go through kinesis-local.
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { exponentialBackoff, type Dimensions, type Logger, type Metrics } from '@kinesis-kit/core';
import type { ChildShard, LeaseHandle, ShardConsumer } from '../../src/processing/contracts.js';
import type { ShardConsumerEvent } from '../../src/processing/events.js';
import { startShardConsumer } from '../../src/processing/shard-consumer.js';
import type { ShardConsumerOptions } from '../../src/processing/shard-consumer-options.js';
import { TRIM_HORIZON, type Position } from '../../src/position.js';
import type {
  ConsumerRecord,
  InitializeInput,
  ProcessRecordsInput,
  ShardEndedInput,
  ShardInfo,
  ShardRecordProcessor,
  ShutdownRequestedInput,
} from '../../src/processor.js';
import { kinesisReadPort, type KinesisReadPort } from '../../src/retrieval/kinesis-port.js';
import { pollingRetrieval } from '../../src/retrieval/polling.js';
import type { PollingOptions } from '../../src/retrieval/polling-options.js';
import type { RecordBatch, Retrieval, ShardRecordSource } from '../../src/retrieval/retrieval.js';
import { seededRandom } from '../../../../test/harness/index.js';

/** A lease held in memory; `lose()` makes every later call answer leaseLost. Appends to a shared call log. */
export class MemoryLeaseHandle implements LeaseHandle {
  readonly checkpoints: Position[] = [];
  readonly childShards: (readonly ChildShard[])[] = [];
  lost = false;

  constructor(
    readonly shardId: string,
    readonly log: string[] = [],
  ) {}

  get lastCheckpoint(): Position | undefined {
    return this.checkpoints.at(-1);
  }

  lose(): void {
    this.lost = true;
  }

  async checkpoint(position: Position): Promise<'ok' | 'leaseLost'> {
    await Promise.resolve();
    if (this.lost) return 'leaseLost';
    this.checkpoints.push(position);
    this.log.push(`lease.checkpoint ${position.sequenceNumber}/${position.subSequenceNumber}`);
    return 'ok';
  }

  async recordChildShards(children: readonly ChildShard[]): Promise<'ok' | 'leaseLost'> {
    await Promise.resolve();
    if (this.lost) return 'leaseLost';
    this.childShards.push(children);
    this.log.push(`lease.recordChildShards ${children.map((c) => c.shardId).join(',')}`);
    return 'ok';
  }
}

export interface RecordingProcessorOptions {
  /** Checkpoint after every batch (default true). */
  readonly checkpointEveryBatch?: boolean;
  /** Checkpoint SHARD_END in shardEnded (default true). */
  readonly checkpointAtShardEnd?: boolean;
  /** Checkpoint in shutdownRequested (default true). */
  readonly checkpointAtShutdown?: boolean;
  /** Runs inside processRecords before the checkpoint (may throw, wait, checkpoint itself). */
  readonly onBatch?: (input: ProcessRecordsInput, batchIndex: number) => Promise<void> | void;
}

/** A processor that records every call and every record, in order. */
export class RecordingProcessor implements ShardRecordProcessor {
  readonly records: ConsumerRecord[] = [];
  readonly batches: number[] = [];
  readonly signals: AbortSignal[] = [];
  readonly errors: unknown[] = [];
  shardEndedCheckpointer: ShardEndedInput['checkpointer'] | undefined;
  lastCheckpointer: ProcessRecordsInput['checkpointer'] | undefined;

  constructor(
    readonly log: string[] = [],
    private readonly options: RecordingProcessorOptions = {},
  ) {}

  initialize(input: InitializeInput): void {
    this.log.push(`initialize ${input.startingPosition.sequenceNumber}/${input.startingPosition.subSequenceNumber}`);
  }

  async processRecords(input: ProcessRecordsInput): Promise<void> {
    const index = this.batches.length;
    this.batches.push(input.records.length);
    this.signals.push(input.signal);
    this.lastCheckpointer = input.checkpointer;
    this.log.push(`processRecords ${input.records.length}`);
    await this.options.onBatch?.(input, index);
    this.records.push(...input.records);
    if (this.options.checkpointEveryBatch ?? true) await input.checkpointer.checkpoint();
  }

  leaseLost(_input: ShardInfo): void {
    this.log.push('leaseLost');
  }

  async shardEnded(input: ShardEndedInput): Promise<void> {
    this.log.push('shardEnded');
    this.shardEndedCheckpointer = input.checkpointer;
    if (this.options.checkpointAtShardEnd ?? true) await input.checkpointer.checkpoint();
  }

  async shutdownRequested(input: ShutdownRequestedInput): Promise<void> {
    this.log.push('shutdownRequested');
    if (this.options.checkpointAtShutdown ?? true) {
      try {
        await input.checkpointer.checkpoint();
      } catch (error) {
        this.errors.push(error);
      }
    }
  }
}

/** A Metrics that keeps counter totals and the last gauge value per name (dimensions ignored). */
export class RecordingMetrics implements Metrics {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly timings = new Map<string, number[]>();

  count(name: string, value = 1, _dimensions?: Dimensions): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }

  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  timing(name: string, milliseconds: number): void {
    this.timings.set(name, [...(this.timings.get(name) ?? []), milliseconds]);
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }
}

export interface TestRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly explicitHashKey?: string | undefined;
}

/** PutRecords in order, 500 at a time; every entry must succeed (kinesis-local never throttles). */
export async function putRecords(client: KinesisClient, streamName: string, records: readonly TestRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500).map((r) => ({
      PartitionKey: r.partitionKey,
      Data: r.data,
      ...(r.explicitHashKey === undefined ? {} : { ExplicitHashKey: r.explicitHashKey }),
    }));
    const result = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: chunk }));
    if ((result.FailedRecordCount ?? 0) > 0) throw new Error(`${result.FailedRecordCount} records failed`);
  }
}

/** `count` small user records `prefix-0`, `prefix-1`, ... over `keys` partition keys. */
export function userRecords(count: number, prefix: string, keys = 4): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: `key-${i % keys}`, data: new TextEncoder().encode(`${prefix}-${i}`) }));
}

export function text(record: { readonly data: Uint8Array }): string {
  return new TextDecoder().decode(record.data);
}

/** Fast polling for tests: no idle pause to speak of, tiny deterministic backoff. */
export function testPolling(port: KinesisReadPort, options: PollingOptions = {}): Retrieval {
  return pollingRetrieval(port, {
    idleTimeBetweenReadsMillis: 20,
    minTimeBetweenReadsMillis: 0,
    backoff: exponentialBackoff({ initialDelayMs: 5, maxDelayMs: 50, random: seededRandom(7) }),
    ...options,
  });
}

export function testPort(client: KinesisClient, streamName: string): KinesisReadPort {
  return kinesisReadPort(client, { streamName });
}

/** A Logger that keeps warnings and errors (by message) for assertions. */
export function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => void lines.push(`warn ${message}`),
    error: (message) => void lines.push(`error ${message}`),
  };
}

export interface ConsumeOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly shardId: string;
  readonly processor: ShardRecordProcessor;
  readonly startingPosition?: Position;
  readonly timestamp?: Date;
  readonly handle?: MemoryLeaseHandle;
  readonly polling?: PollingOptions;
  readonly metrics?: RecordingMetrics;
  readonly overrides?: Partial<ShardConsumerOptions>;
}

/** Starts a shard consumer over kinesis-local with fast test polling and an in-memory lease. */
export function consume(options: ConsumeOptions): { consumer: ShardConsumer; handle: MemoryLeaseHandle; metrics: RecordingMetrics; events: ShardConsumerEvent[] } {
  const handle = options.handle ?? new MemoryLeaseHandle(options.shardId);
  const metrics = options.metrics ?? new RecordingMetrics();
  const events: ShardConsumerEvent[] = [];
  const consumer = startShardConsumer({
    shardId: options.shardId,
    streamName: options.streamName,
    startingPosition: options.startingPosition ?? TRIM_HORIZON,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    processor: options.processor,
    leaseHandle: handle,
    retrieval: testPolling(testPort(options.client, options.streamName), options.polling),
    processRecordsBackoff: exponentialBackoff({ initialDelayMs: 5, maxDelayMs: 20, random: seededRandom(3) }),
    metrics,
    onEvent: (event) => events.push(event),
    ...options.overrides,
  });
  return { consumer, handle, metrics, events };
}

/** The shard ids of a stream, in ListShards order. */
export async function shardIds(client: KinesisClient, streamName: string): Promise<string[]> {
  return (await testPort(client, streamName).listShards()).map((s) => s.shardId);
}

/** Drains a source until `count` records arrived (or shard end); the batches in order. */
export async function drain(source: ShardRecordSource, count: number): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  let seen = 0;
  while (seen < count) {
    const batch = await source.next();
    batches.push(batch);
    seen += batch.records.length;
    if (batch.shardEnd !== undefined) break;
  }
  return batches;
}

/** The shard's hash key range start as an explicit hash key, so test records land in one shard. */
const HASH_KEY_0 = '0';

/** `records` routed to the stream's first shard (explicit hash key 0). */
export function onShard0(records: readonly TestRecord[]): TestRecord[] {
  return records.map((r) => ({ ...r, explicitHashKey: HASH_KEY_0 }));
}

/** `count` KPL aggregates of `size` user records each, all bound for the first shard. */
export function aggregates(count: number, size: number, prefix: string): { users: TestRecord[]; outer: TestRecord[] } {
  const users = userRecords(count * size, prefix, 8);
  const outer = Array.from({ length: count }, (_, i) => aggregate(users.slice(i * size, (i + 1) * size))).flat();
  return { users, outer: onShard0(outer) };
}
