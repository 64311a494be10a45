import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type ConsumerTunables, type ShardConsumerEvent } from '@kinesis-kit/consumer';
import { afterEach, beforeAll, afterAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, dynamoClient, kinesisClient, listAllShards, testAccountId, uniqueName, waitFor, waitForStreamActive, type FaultPlan, type TestStream } from './harness/index.js';
import { FAST_CONSUMER, deliveries, putTexts, reportingProcessor, type Report } from './workers/fixtures.js';

const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}/${i}`);

describe('KinesisConsumer: shards survive hung reads and gone parents (kinesis-local + dynalite + FaultProxy)', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  async function stream(shards: number, prefix: string): Promise<TestStream> {
    const created = await createStream(kinesis, shards, prefix);
    cleanups.push(() => created.delete());
    return created;
  }

  /** A consumer whose Kinesis requests go through a FaultProxy with `plan`; what it reported and emitted. */
  async function consumerThrough(streamName: string, plan: FaultPlan, tunables: ConsumerTunables = {}) {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), plan);
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    const reports: Report[] = [];
    const events: ShardConsumerEvent[] = [];
    const applicationName = uniqueName('app');
    const consumer = new KinesisConsumer({
      streamName,
      applicationName,
      workerId: 'worker-a',
      kinesisClient: proxied,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('worker-a', (r) => reports.push(r)),
      ...FAST_CONSUMER,
      ...tunables,
    });
    consumer.on('processing', (event) => events.push(event));
    cleanups.push(
      () => proxy.close(),
      () => proxied.destroy(),
      () => consumer.stop(),
    );
    await consumer.start();
    return { consumer, reports, events, proxy, applicationName };
  }

  it('a GetRecords that never answers does not freeze the shard: it is restarted after the stall time, every record delivered in order', async () => {
    const { streamName } = await stream(1, 'hung-read');
    const sent = texts('hung', 60);
    await putTexts(kinesis, streamName, sent, ['k']);
    let getRecords = 0;
    // The request timeout is far away: the stall detection alone must get the shard going again.
    const plan: FaultPlan = ({ operation }) => (operation === 'GetRecords' && ++getRecords === 2 ? { kind: 'blackHole' } : undefined);
    const { reports, events, proxy } = await consumerThrough(streamName, plan, { maxRecords: 25, pollingStallTimeoutMillis: 2_000, kinesisRequestTimeoutMillis: 300_000 });
    await waitFor(() => deliveries(reports).length >= sent.length && proxy.count('GetRecords', 'blackHole') === 1, { description: 'every record' });
    // At-least-once: nothing skipped; the restart continues after the last record fetched, so nothing repeats either.
    expect(deliveries(reports).map((r) => r.data)).toEqual(sent);
    expect(events.filter((e) => e.type === 'retrievalStalled').length).toBeGreaterThanOrEqual(1);
  });

  it('a parent shard that no longer exists (ResourceNotFoundException) reaches SHARD_END and its children, found with ListShards, are consumed', async () => {
    const { streamName } = await stream(1, 'gone-parent');
    const [parent] = (await listAllShards(kinesis, streamName)).map((s) => s.ShardId!);
    await putTexts(kinesis, streamName, texts('parent', 10), ['k0', 'k1']);
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent, NewStartingHashKey: String(2n ** 127n) }));
    await waitForStreamActive(kinesis, streamName);
    const children = (await listAllShards(kinesis, streamName)).map((s) => s.ShardId!).filter((id) => id !== parent);
    const sent = texts('child', 40);
    await putTexts(kinesis, streamName, sent, ['k0', 'k1', 'k2', 'k3']);
    // The parent is gone (aged out past retention): GetShardIterator on it answers ResourceNotFoundException.
    const plan: FaultPlan = ({ operation, body }) => (operation === 'GetShardIterator' && body.ShardId === parent ? { kind: 'gone' } : undefined);
    const { reports, events, applicationName } = await consumerThrough(streamName, plan);
    await waitFor(() => sent.every((t) => deliveries(reports).some((r) => r.data === t)), { description: "every child record (the children started after the parent's end)" });
    expect(deliveries(reports).filter((r) => r.shardId === parent)).toEqual([]);
    expect(new Set(deliveries(reports).map((r) => r.shardId))).toEqual(new Set(children));
    expect(events).toContainEqual({ type: 'shardGone', shardId: parent, operation: 'GetShardIterator' });
    const { Item: lease } = await dynamo.send(new GetItemCommand({ TableName: applicationName, Key: { leaseKey: { S: parent! } }, ConsistentRead: true }));
    expect(lease?.checkpoint).toEqual({ S: 'SHARD_END' });
    expect(new Set(lease?.childShardIds?.SS)).toEqual(new Set(children));
  });
});
