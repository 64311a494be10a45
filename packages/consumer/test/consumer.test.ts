import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError, type Dimensions, type Metrics } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  createStream,
  dynamoClient,
  FaultProxy,
  kinesisClient,
  testAccountId,
  uniqueName,
  waitFor,
  type TestStream,
} from '../../../test/harness/index.js';
import { FAST_CONSUMER, putTexts, reportingProcessor, type Report } from '../../../test/workers/fixtures.js';
import { KinesisConsumer, LEASE_METRICS, LeaseTableSchemaError, PROCESSING_METRICS, type ConsumerEvents, type KinesisConsumerOptions } from '../src/index.js';

const noProcessor = reportingProcessor('unused', () => undefined);

function options(overrides: Record<string, unknown> = {}): KinesisConsumerOptions {
  return { streamName: 'stream', applicationName: 'app', initialPosition: 'LATEST', processor: noProcessor, ...overrides } as KinesisConsumerOptions;
}

describe('KinesisConsumer options', () => {
  it('reports every problem at construction, tunables and structure alike', () => {
    const attempt = () =>
      new KinesisConsumer(
        options({ streamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s', initialPosition: 'EARLIEST', failoverTimeMilis: 5, maxRecords: 0 }),
      );
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/exactly one of streamName and streamARN/);
    expect(attempt).toThrow(/initialPosition must be/);
    expect(attempt).toThrow(/failoverTimeMilis is not an option/);
    expect(attempt).toThrow(/maxRecords must be an integer/);
  });

  it('rejects misspelt and out-of-range tunables and a failover too short for renewals', () => {
    expect(() => new KinesisConsumer(options({ failoverTimeMilis: 5 }))).toThrow(/failoverTimeMilis is not an option of KinesisConsumer/);
    expect(() => new KinesisConsumer(options({ maxRecords: 0 }))).toThrow(/maxRecords must be an integer from 1 to 10000/);
    expect(() => new KinesisConsumer(options({ failoverTimeMillis: 300, epsilonMillis: 60 }))).toThrow(/must be at least 50 ms/);
  });

  it('fleet coordination: rejects heartbeats too slow for a worker’s life, and a leader slower than its workers', () => {
    expect(() => new KinesisConsumer(options({ failoverTimeMillis: 4_000, heartbeatIntervalMillis: 2_000 }))).toThrow(/heartbeatIntervalMillis must be at most \(failoverTimeMillis - leaseLossMarginMillis\) \/ 2/);
    expect(() => new KinesisConsumer(options({ leaderIntervalMillis: 2_000 }))).toThrow(/leaderIntervalMillis must be at most heartbeatIntervalMillis/);
    expect(() => new KinesisConsumer(options({ coordination: 'kcl2', failoverTimeMillis: 4_000, heartbeatIntervalMillis: 2_000 }))).not.toThrow();
    expect(() => new KinesisConsumer(options({ coordination: 'raft' as 'fleet' }))).toThrow(/coordination must be one of 'fleet', 'kcl2'/);
  });

  it('defaults the table name to the application name and keeps KCL defaults', () => {
    const consumer = new KinesisConsumer(options({ workerId: 'w1' }));
    expect(consumer.tableName).toBe('app');
    expect(consumer.workerId).toBe('w1');
    expect(consumer.settings).toMatchObject({ failoverTimeMillis: 10_000, epsilonMillis: 25, maxRecords: 10_000, shardSyncIntervalMillis: 60_000 });
  });

  it('accepts a stream ARN and an AT_TIMESTAMP initial position', () => {
    const consumer = new KinesisConsumer(options({ streamName: undefined, streamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders', initialPosition: { timestamp: new Date() } }));
    expect(consumer.state).toBe('idle');
  });
});

class RecordingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly timings = new Map<string, number>();
  count(name: string, value = 1, dimensions?: Dimensions): void {
    const key = dimensions?.operation === undefined ? name : `${name}:${dimensions.operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }
  timing(name: string): void {
    this.timings.set(name, (this.timings.get(name) ?? 0) + 1);
  }
}

describe('KinesisConsumer lifecycle (kinesis-local + dynalite)', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;

  beforeAll(async () => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
    stream = await createStream(kinesis, 1, 'lifecycle');
  });

  afterAll(async () => {
    await stream.delete();
    kinesis.destroy();
    dynamo.destroy();
  });

  const consumer = (overrides: Partial<KinesisConsumerOptions> = {}) =>
    new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: uniqueName('app'),
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: noProcessor,
      ...FAST_CONSUMER,
      ...overrides,
    } as KinesisConsumerOptions);

  it('start() twice is a typed error; stop() is idempotent; start() after stop() is a typed error', async () => {
    const c = consumer();
    await c.start();
    await expect(c.start()).rejects.toMatchObject({ name: 'ConsumerStateError', code: 'ALREADY_STARTED' });
    const first = c.stop();
    expect(c.stop()).toBe(first);
    await first;
    expect(c.state).toBe('stopped');
    await expect(c.start()).rejects.toMatchObject({ code: 'CONSUMER_STOPPED' });
  });

  it('stop() before start() just marks the consumer stopped', async () => {
    const c = consumer();
    await c.stop();
    expect(c.state).toBe('stopped');
  });

  it('stop() during start() interrupts it: start() rejects with AbortedError, nothing keeps running', async () => {
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'), ({ operation }) => (operation === 'DescribeTable' ? { kind: 'delay', ms: 1_000 } : undefined));
    const slowDynamo = dynamoClient({ accountId, endpoint: proxy.endpoint });
    try {
      const c = consumer({ dynamoDBClient: slowDynamo });
      const starting = c.start();
      await waitFor(() => proxy.count('DescribeTable') > 0, { description: 'start() to reach DynamoDB' });
      await c.stop();
      await expect(starting).rejects.toMatchObject({ code: 'ABORTED' });
      expect(c.state).toBe('stopped');
      expect(c.stats().leasesHeld).toEqual([]);
    } finally {
      slowDynamo.destroy();
      await proxy.close();
    }
  });

  it('a lease table with the wrong key schema fails start() with a typed error; start() may be retried', async () => {
    const tableName = uniqueName('not-a-lease-table');
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    const c = consumer({ tableName });
    await expect(c.start()).rejects.toBeInstanceOf(LeaseTableSchemaError);
    expect(c.state).toBe('idle');
    await expect(c.start()).rejects.toMatchObject({ code: 'LEASE_TABLE_SCHEMA' });
    await c.stop();
  });

  it('reports typed events and metrics: leases taken and held, records processed, checkpoints, DynamoDB calls', async () => {
    const metrics = new RecordingMetrics();
    const reports: Report[] = [];
    const c = consumer({ metrics, workerId: 'observed', processor: reportingProcessor('observed', (r) => reports.push(r)) });
    const events: { -readonly [E in keyof ConsumerEvents]?: ConsumerEvents[E][] } = {};
    for (const name of ['started', 'leaseTaken', 'shardStarted', 'leaseReleased', 'stopped', 'processing'] as const) {
      c.on(name, (payload) => void (events[name] ??= [] as never[]).push(payload as never));
    }
    await c.start();
    await putTexts(kinesis, stream.streamName, ['m0', 'm1', 'm2'], ['k']);
    await waitFor(() => reports.filter((r) => r.type === 'record' && r.data.startsWith('m')).length === 3, { description: 'three records' });
    await c.stop();

    expect(events.started).toEqual([{ workerId: 'observed' }]);
    expect(events.leaseTaken?.[0]).toMatchObject({ shardId: expect.stringMatching(/^shardId-/) as string, from: undefined });
    expect(events.shardStarted?.[0]?.startingPosition).toEqual({ sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
    expect(events.leaseReleased).toEqual([{ shardId: events.leaseTaken?.[0]?.shardId, reason: 'shutdown' }]);
    expect(events.stopped).toHaveLength(1);
    expect(events.processing?.some((e) => e.type === 'checkpointed')).toBe(true);

    expect(metrics.counts.get(LEASE_METRICS.leasesTaken)).toBe(1);
    expect(metrics.counts.get(LEASE_METRICS.leasesReleased)).toBe(1);
    expect(metrics.gauges.get(LEASE_METRICS.leasesHeld)).toBe(0);
    expect(metrics.counts.get(PROCESSING_METRICS.recordsProcessed)).toBeGreaterThanOrEqual(3);
    expect(metrics.timings.get(PROCESSING_METRICS.checkpointTime)).toBeGreaterThan(0);
    expect(metrics.counts.get(`${LEASE_METRICS.dynamoDBRequests}:UpdateItem`)).toBeGreaterThan(0);
    expect(c.stats().dynamoDBRequests.Scan).toBeGreaterThan(0);
  });
});
