// A producer and a consumer against the emulators (kinesis-local, dynalite), through injected
// faults, reporting into the real OpenTelemetry SDK: what an application's MeterProvider
// exports has the mapped instruments, units and attributes, and the library reports nothing unmapped.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-kit/consumer';
import { DEFAULT_INSTRUMENTS, DURATION_BUCKETS_SECONDS } from '@kinesis-kit/otel';
import { KinesisProducer } from '@kinesis-kit/producer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStream, dynamoClient, FaultProxy, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from '../../../test/harness/index.js';
import { FAST_CONSUMER, reportingProcessor } from '../../../test/workers/fixtures.js';
import { find, inMemoryOtel, total, type InMemoryOtel, type Series } from './support/in-memory-otel.js';

const COUNT = 40;

describe('OtelMetrics with a producer and a consumer on the emulators', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;
  let proxy: FaultProxy;
  let otel: InMemoryOtel;

  beforeAll(async () => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
    stream = await createStream(kinesis, 2, 'otel');
    // One partial PutRecords failure (a retry and an error code) and one throttled read.
    const seen = new Map<string, number>();
    proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) => {
      const n = (seen.get(operation) ?? 0) + 1;
      seen.set(operation, n);
      if (operation === 'PutRecords' && n === 1) return { kind: 'partial', indices: [0], code: 'ProvisionedThroughputExceededException' };
      if (operation === 'GetRecords' && n === 2) return { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' };
      return undefined;
    });
  });

  afterAll(async () => {
    await otel.shutdown();
    await proxy.close();
    await stream.delete();
    kinesis.destroy();
    dynamo.destroy();
  });

  it('exports KPL and KCL metrics as OTel instruments with semantic-convention names, units and attributes', async () => {
    otel = inMemoryOtel({ attributes: { 'messaging.destination.name': stream.streamName } });
    const metrics = otel.metrics;
    const faulty = kinesisClient({ accountId, endpoint: proxy.endpoint });
    const delivered = new Set<string>();
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: uniqueName('otel'),
      kinesisClient: faulty,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('otel', (r) => void (r.type === 'record' && delivered.add(r.data))),
      metrics,
      ...FAST_CONSUMER,
    });
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: faulty, metrics, recordMaxBufferedTime: 20 });
    try {
      await consumer.start();
      await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.put({ partitionKey: `pk-${i % 7}`, data: Buffer.from(`otel-${i}`) })));
      await waitFor(() => delivered.size === COUNT, { timeoutMs: 25_000, description: 'every record delivered' });
    } finally {
      await consumer.stop();
      await producer.close();
      faulty.destroy();
    }
    const series = await otel.collect();

    expectProducerSeries(series, stream.streamName);
    expectConsumerSeries(series);
    // Every instrument has the kind its mapping declares, and nothing fell back to an unmapped name.
    const kinds = new Map(Object.values(DEFAULT_INSTRUMENTS).map((m) => [m.name, m.kind]));
    expect(series.filter((s) => kinds.get(s.name) !== s.type).map((s) => `${s.name} (${s.type})`)).toEqual([]);
  });
});

function expectProducerSeries(series: readonly Series[], streamName: string): void {
  const sent = find(series, 'messaging.client.sent.messages');
  expect(sent.map((s) => [s.unit, s.type, s.attributes, s.value])).toEqual([
    [
      '{message}',
      'counter',
      { 'messaging.destination.name': streamName, 'messaging.system': 'aws_kinesis', 'messaging.operation.name': 'PutRecords', 'messaging.operation.type': 'send' },
      COUNT,
    ],
  ]);
  expect(total(series, 'kinesis_kit.producer.errors', { 'error.type': 'ProvisionedThroughputExceededException' })).toBe(1);
  expect(total(series, 'kinesis_kit.producer.retries')).toBeGreaterThanOrEqual(1);
  expect(total(series, 'kinesis_kit.producer.data.put')).toBeGreaterThan(0);
  expect(find(series, 'kinesis_kit.producer.data.put')[0]!.unit).toBe('By');
  const [putRecords] = find(series, 'messaging.client.operation.duration', { 'messaging.operation.name': 'PutRecords' });
  expect(putRecords).toMatchObject({ type: 'histogram', unit: 's', boundaries: DURATION_BUCKETS_SECONDS });
  expect(putRecords!.count).toBeGreaterThanOrEqual(2);
  expect(find(series, 'kinesis_kit.producer.buffering.duration')[0]).toMatchObject({ type: 'histogram', unit: 's' });
  expect(find(series, 'kinesis_kit.producer.outstanding.messages').map((s) => [s.type, s.value])).toEqual([['gauge', 0]]);
}

function expectConsumerSeries(series: readonly Series[]): void {
  const consumed = find(series, 'messaging.client.consumed.messages', { 'messaging.operation.name': 'processRecords', 'messaging.operation.type': 'process' });
  expect(consumed.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(COUNT);
  expect(consumed.map((s) => s.attributes['messaging.destination.partition.id']).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
  expect(find(series, 'kinesis_kit.consumer.time_behind_latest').every((s) => s.type === 'gauge' && s.unit === 's')).toBe(true);
  expect(find(series, 'kinesis_kit.consumer.time_behind_latest')).toHaveLength(2);
  expect(total(series, 'kinesis_kit.consumer.lease.transitions', { 'kinesis_kit.lease.transition': 'taken' })).toBe(2);
  expect(total(series, 'kinesis_kit.consumer.lease.transitions', { 'kinesis_kit.lease.transition': 'released' })).toBe(2);
  expect(find(series, 'kinesis_kit.consumer.leases.held').map((s) => s.value)).toEqual([0]);
  expect(total(series, 'kinesis_kit.lease_table.requests', { 'db.system.name': 'aws.dynamodb', 'db.operation.name': 'UpdateItem' })).toBeGreaterThan(0);
  expect(find(series, 'messaging.client.operation.duration', { 'messaging.operation.name': 'GetRecords' })[0]!.count).toBeGreaterThan(0);
  expect(total(series, 'kinesis_kit.consumer.throttles', { 'messaging.operation.name': 'GetRecords' })).toBe(1);
  expect(find(series, 'kinesis_kit.consumer.checkpoint.duration')[0]).toMatchObject({ type: 'histogram', unit: 's' });
}
