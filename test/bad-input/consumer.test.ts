// Bad input to the consumer: every row of docs/errors.md whose component is the consumer. Each
// test checks the typed error and that every good record in the stream was still delivered.
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { ConfigurationError, OperationFailedError, type Metrics } from '@kinesis-kit/core';
import {
  ConsumerStateError,
  InvalidCheckpointError,
  KinesisConsumer,
  LeaseTableSchemaError,
  PROCESSING_METRICS,
  ShardEndNotCheckpointedError,
  type ConsumerEvents,
  type KinesisConsumerOptions,
  type ShardConsumerEvent,
  type ShardRecordProcessorFactory,
} from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, dynamoClient, FaultProxy, kinesisClient, listAllShards, testAccountId, uniqueName, waitFor, waitForStreamActive, type TestStream } from '../harness/index.js';
import { deliveries, FAST_CONSUMER, putTexts, reportingProcessor, type Report } from '../workers/fixtures.js';

class CountingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  count(name: string, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  gauge(): void {}
  timing(): void {}
}

describe('bad input: consumer', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const streams: TestStream[] = [];
  const running: KinesisConsumer[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
    dynamo.destroy();
  });

  async function newStream(): Promise<TestStream> {
    const stream = await createStream(kinesis, 1, 'bad-input');
    streams.push(stream);
    return stream;
  }

  function consumer(stream: TestStream, overrides: Partial<KinesisConsumerOptions> = {}): KinesisConsumer {
    const c = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: uniqueName('app'),
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('w', () => undefined),
      ...FAST_CONSUMER,
      ...overrides,
    } as KinesisConsumerOptions);
    running.push(c);
    return c;
  }

  const delivered = (reports: readonly Report[]) => new Set(deliveries(reports).map((r) => r.data));
  const allDelivered = (reports: readonly Report[], texts: readonly string[]) => () => {
    const seen = delivered(reports);
    return texts.every((t) => seen.has(t));
  };
  function processingEvents(c: KinesisConsumer): ShardConsumerEvent[] {
    const events: ShardConsumerEvent[] = [];
    c.on('processing', (e) => void events.push(e));
    return events;
  }

  it('corrupt aggregate (consumer)', async () => {
    const stream = await newStream();
    const [valid] = aggregate([
      { partitionKey: 'a', data: new TextEncoder().encode('member-1') },
      { partitionKey: 'b', data: new TextEncoder().encode('member-2') },
    ]);
    const corrupt = Uint8Array.from(valid!.data);
    corrupt[corrupt.length - 1]! ^= 0xff; // break the MD5 trailer
    await putTexts(kinesis, stream.streamName, ['ca-before'], ['k']);
    await kinesis.send(new PutRecordsCommand({ StreamName: stream.streamName, Records: [{ PartitionKey: 'k', Data: corrupt }] }));
    await putTexts(kinesis, stream.streamName, ['ca-after'], ['k']);

    const reports: Report[] = [];
    const metrics = new CountingMetrics();
    const c = consumer(stream, { metrics, processor: reportingProcessor('w', (r) => reports.push(r)) });
    const events = processingEvents(c);
    await c.start();
    await waitFor(allDelivered(reports, ['ca-before', 'ca-after']), { description: 'the records around the corrupt aggregate' });

    const records = deliveries(reports);
    expect(records.map((r) => r.data.startsWith('ca-') ? r.data : 'corrupt')).toEqual(['ca-before', 'corrupt', 'ca-after']);
    expect(Buffer.from(records[1]!.data, 'utf8').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'corruptAggregate')).toEqual([
      expect.objectContaining({ type: 'corruptAggregate', info: expect.objectContaining({ reason: expect.any(String) as string }) as object }),
    ]);
    expect(metrics.counts.get(PROCESSING_METRICS.corruptAggregates)).toBe(1);
  });

  it('missing stream (consumer)', async () => {
    const c = consumer({ streamName: uniqueName('missing') } as TestStream);
    const error = await c.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'ResourceNotFoundException', retriable: false });
    expect(c.state).toBe('idle');
    expect(c.stats().leasesHeld).toEqual([]);
  });

  it('lease table with the wrong key schema', async () => {
    const stream = await newStream();
    const tableName = uniqueName('not-a-lease-table');
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    await waitFor(async () => (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE', {
      description: 'the other table to become ACTIVE',
    });
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: 'someone-elses-item' }, value: { N: '1' } } }));
    const c = consumer(stream, { tableName });
    const error = await c.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseTableSchemaError);
    expect(error).toMatchObject({ code: 'LEASE_TABLE_SCHEMA', retriable: false });
    expect(c.state).toBe('idle');
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: 'someone-elses-item' } }, ConsistentRead: true }));
    expect(Item).toEqual({ id: { S: 'someone-elses-item' }, value: { N: '1' } });
  });

  it('wrong credentials (consumer)', async () => {
    // kinesis-local and dynalite accept any signature and key, so the proxy answers what AWS does.
    const stream = await newStream();
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'), () => ({
      kind: 'error',
      status: 400,
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    }));
    const badDynamo = dynamoClient({ accountId, endpoint: proxy.endpoint });
    try {
      const c = consumer(stream, { dynamoDBClient: badDynamo });
      const error = await c.start().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OperationFailedError);
      expect(error).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'UnrecognizedClientException', retriable: false });
      expect(c.state).toBe('idle');
      expect(c.stats().leasesHeld).toEqual([]);
    } finally {
      await Promise.all(running.splice(0).map((c) => c.stop()));
      badDynamo.destroy();
      await proxy.close();
    }
  });

  it('a processor that throws', async () => {
    const stream = await newStream();
    await putTexts(kinesis, stream.streamName, ['pt-0', 'poison', 'pt-2'], ['k']);
    const reports: Report[] = [];
    const metrics = new CountingMetrics();
    const poison = new Error('cannot handle this record');
    let thrown = false;
    const inner = reportingProcessor('w', (r) => reports.push(r));
    const processor: ShardRecordProcessorFactory = (shard) => {
      const base = inner(shard);
      return {
        ...base,
        async processRecords(input) {
          if (!thrown && input.records.some((r) => new TextDecoder().decode(r.data) === 'poison')) {
            thrown = true;
            throw poison;
          }
          await base.processRecords(input);
        },
      };
    };
    const c = consumer(stream, { metrics, processor });
    const events = processingEvents(c);
    await c.start();
    await waitFor(allDelivered(reports, ['pt-0', 'poison', 'pt-2']), { description: 'every record, the poison one retried' });
    expect(events.filter((e) => e.type === 'processorError')).toEqual([
      expect.objectContaining({ phase: 'processRecords', error: poison, willRetry: true }),
    ]);
    expect(metrics.counts.get(PROCESSING_METRICS.processRecordsErrors)).toBe(1);
  });

  it('a processor that never checkpoints at shard end', async () => {
    const stream = await newStream();
    await putTexts(kinesis, stream.streamName, ['se-0', 'se-1'], ['k']);
    const reports: Report[] = [];
    let shardEndCalls = 0;
    const inner = reportingProcessor('w', (r) => reports.push(r));
    const processor: ShardRecordProcessorFactory = (shard) => {
      const base = inner(shard);
      return {
        ...base,
        async shardEnded(input) {
          shardEndCalls++;
          if (shardEndCalls > 1) await base.shardEnded(input); // the first time it "forgets"
        },
      };
    };
    const c = consumer(stream, { processor });
    const finished: ConsumerEvents['shardFinished'][] = [];
    c.on('shardFinished', (e) => void finished.push(e));
    await c.start();
    await waitFor(allDelivered(reports, ['se-0', 'se-1']), { description: 'the parent records' });

    const [parent] = await listAllShards(kinesis, stream.streamName);
    await kinesis.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: parent!.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(kinesis, stream.streamName);
    const failed = await waitFor(() => finished.find((e) => e.outcome.kind === 'failed'), { description: 'the shard consumer to fail' });
    expect(failed.shardId).toBe(parent!.ShardId);
    const error = (failed.outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(ShardEndNotCheckpointedError);
    expect(error).toMatchObject({ code: 'SHARD_END_NOT_CHECKPOINTED', retriable: true, shardId: parent!.ShardId });

    // The shard is retried; once the processor checkpoints SHARD_END the children start.
    const childTexts = Array.from({ length: 8 }, (_, i) => `se-child-${i}`);
    await putTexts(kinesis, stream.streamName, childTexts, childTexts);
    await waitFor(allDelivered(reports, ['se-0', 'se-1', ...childTexts]), { timeoutMs: 25_000, description: 'the child shards to be consumed' });
    expect(shardEndCalls).toBeGreaterThanOrEqual(2);
  });

  it('stop() during startup', async () => {
    const stream = await newStream();
    await putTexts(kinesis, stream.streamName, ['sd-0', 'sd-1'], ['k']);
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'), ({ operation }) => (operation === 'DescribeTable' ? { kind: 'delay', ms: 1_000 } : undefined));
    const slowDynamo = dynamoClient({ accountId, endpoint: proxy.endpoint });
    const applicationName = uniqueName('app');
    try {
      const c = consumer(stream, { applicationName, dynamoDBClient: slowDynamo });
      const starting = c.start();
      await waitFor(() => proxy.count('DescribeTable') > 0, { description: 'start() to reach DynamoDB' });
      await c.stop();
      await expect(starting).rejects.toMatchObject({ name: 'AbortedError', code: 'ABORTED', retriable: false });
      expect(c.state).toBe('stopped');
      expect(c.stats().leasesHeld).toEqual([]);
    } finally {
      slowDynamo.destroy();
      await proxy.close();
    }
    // Nothing was lost: a fresh worker of the same application reads every record.
    const reports: Report[] = [];
    await consumer(stream, { applicationName, processor: reportingProcessor('w2', (r) => reports.push(r)) }).start();
    await waitFor(allDelivered(reports, ['sd-0', 'sd-1']), { description: 'every record after the interrupted start' });
  });

  it('double start', async () => {
    const stream = await newStream();
    const reports: Report[] = [];
    const c = consumer(stream, { processor: reportingProcessor('w', (r) => reports.push(r)) });
    const first = c.start();
    const error = await c.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConsumerStateError);
    expect(error).toMatchObject({ code: 'ALREADY_STARTED', retriable: false });
    await first;
    await expect(c.start()).rejects.toMatchObject({ code: 'ALREADY_STARTED' });
    await putTexts(kinesis, stream.streamName, ['ds-0', 'ds-1'], ['k']);
    await waitFor(allDelivered(reports, ['ds-0', 'ds-1']), { description: 'the running consumer to keep delivering' });
  });

  it('bad options at construction (consumer)', () => {
    const attempt = () =>
      new KinesisConsumer({
        streamName: 's',
        applicationName: 'app',
        initialPosition: 'EARLIEST',
        processor: reportingProcessor('w', () => undefined),
        maxRecords: 0,
        failoverTimeMilis: 5,
      } as unknown as KinesisConsumerOptions);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', retriable: false }) as Error);
    expect(attempt).toThrow(/initialPosition/);
    expect(attempt).toThrow(/maxRecords/);
    expect(attempt).toThrow(/failoverTimeMilis/);
  });

  it('invalid checkpoint target', async () => {
    const stream = await newStream();
    await putTexts(kinesis, stream.streamName, ['ic-0', 'ic-1'], ['k']);
    const reports: Report[] = [];
    const refused: unknown[] = [];
    const inner = reportingProcessor('w', (r) => reports.push(r));
    const processor: ShardRecordProcessorFactory = (shard) => {
      const base = inner(shard);
      return {
        ...base,
        async processRecords(input) {
          if (refused.length === 0) {
            const last = input.records.at(-1)!;
            const refuse = (attempt: Promise<void>) => attempt.catch((e: unknown) => void refused.push(e));
            await refuse(input.checkpointer.checkpoint((BigInt(last.sequenceNumber) + 1n).toString())); // after the last delivered record
            await refuse(input.checkpointer.checkpoint('not-a-sequence-number'));
            await input.checkpointer.checkpoint(last);
            await refuse(input.checkpointer.checkpoint('0')); // before the last checkpoint
          }
          await base.processRecords(input); // then a valid checkpoint, which is written
        },
      };
    };
    const c = consumer(stream, { processor });
    await c.start();
    await waitFor(() => reports.some((r) => r.type === 'checkpoint'), { description: 'a valid checkpoint after the invalid ones' });
    expect(delivered(reports)).toEqual(new Set(['ic-0', 'ic-1']));
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(InvalidCheckpointError);
      expect(error).toMatchObject({ code: 'INVALID_CHECKPOINT', retriable: false });
    }
  });
});
