import { ListStreamConsumersCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisConsumer } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from './harness/index.js';
import { deliveries, FAST_CONSUMER, putTexts, reportingProcessor, type Report } from './workers/fixtures.js';

describe("KinesisConsumer with retrieval: 'fanout' (kinesis-local over HTTP/1.1 + dynalite)", () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;
  const consumers: KinesisConsumer[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await stream?.delete();
  });

  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  const consumerNames = async () =>
    ((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: stream.streamARN }))).Consumers ?? [])
      .filter((c) => c.ConsumerStatus !== 'DELETING')
      .map((c) => c.ConsumerName);

  it('registers the stream consumer, delivers every record in order per key, and deregisters on stop when asked', async () => {
    stream = await createStream(kinesis, 2, 'fanout-e2e');
    const applicationName = uniqueName('app');
    const reports: Report[] = [];
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName,
      workerId: 'fan-out-worker',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('fan-out-worker', (r) => reports.push(r)),
      ...FAST_CONSUMER,
      retrieval: 'fanout',
      deregisterStreamConsumerOnShutdown: true,
    });
    consumers.push(consumer);
    await consumer.start();
    expect(await consumerNames()).toEqual([applicationName]);

    const keys = ['k1', 'k2', 'k3', 'k4'];
    const texts = Array.from({ length: 200 }, (_, i) => `fan-${keys[i % keys.length]}-${i}`);
    await putTexts(kinesis, stream.streamName, texts, keys);
    await waitFor(() => new Set(deliveries(reports).map((r) => r.data)).size === texts.length, { description: 'every record delivered', timeoutMs: 30_000 });

    const seen = deliveries(reports).map((r) => r.data);
    for (const key of keys) {
      const perKey = seen.filter((t) => t.startsWith(`fan-${key}-`));
      const expected = texts.filter((t) => t.startsWith(`fan-${key}-`));
      expect([...new Set(perKey)]).toEqual(expected);
    }
    await consumer.stop();
    await waitFor(async () => (await consumerNames()).length === 0, { description: 'stream consumer deregistered' });
  });

  it('gives each stream of a multi-stream consumer its own stream consumer, and deregisters a removed one', async () => {
    stream = await createStream(kinesis, 1, 'fanout-multi-a');
    const other = await createStream(kinesis, 1, 'fanout-multi-b');
    try {
      const applicationName = uniqueName('app');
      const reports: Report[] = [];
      const consumer = new KinesisConsumer({
        streams: [{ streamName: stream.streamName }, { streamName: other.streamName }],
        applicationName,
        workerId: 'multi-fan-out',
        kinesisClient: kinesis,
        dynamoDBClient: dynamo,
        initialPosition: 'TRIM_HORIZON',
        processor: reportingProcessor('multi-fan-out', (r) => reports.push(r)),
        ...FAST_CONSUMER,
        retrieval: 'fanout',
        deregisterStreamConsumerOnShutdown: true,
      });
      consumers.push(consumer);
      await consumer.start();
      const namesOn = async (arn: string) =>
        ((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: arn }))).Consumers ?? []).filter((c) => c.ConsumerStatus !== 'DELETING').map((c) => c.ConsumerName);
      expect(await namesOn(stream.streamARN)).toEqual([applicationName]);
      expect(await namesOn(other.streamARN)).toEqual([applicationName]);

      const texts = (prefix: string) => Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`);
      await putTexts(kinesis, stream.streamName, texts('first'), ['k']);
      await putTexts(kinesis, other.streamName, texts('second'), ['k']);
      const expected = [...texts('first'), ...texts('second')];
      await waitFor(() => expected.every((t) => deliveries(reports).some((r) => r.data === t)), { description: 'both streams delivered', timeoutMs: 30_000 });

      expect(await consumer.removeStream(other.streamName)).toBe('removed');
      await waitFor(async () => (await namesOn(other.streamARN)).length === 0, { description: 'removed stream deregistered' });
      expect(await namesOn(stream.streamARN)).toEqual([applicationName]);
    } finally {
      await Promise.all(consumers.splice(0).map((c) => c.stop()));
      await other.delete();
    }
  });

  it("rejects an unknown retrieval at construction", () => {
    expect(
      () =>
        new KinesisConsumer({
          streamName: 's',
          applicationName: 'a',
          initialPosition: 'LATEST',
          processor: reportingProcessor('x', () => undefined),
          retrieval: 'push' as never,
        }),
    ).toThrow(/retrieval must be 'polling', 'fanout' or a Retrieval/);
  });
});
