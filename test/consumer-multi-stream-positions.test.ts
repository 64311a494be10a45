import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type InitialPosition, type StreamSpec } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, readAllRecords, testAccountId, uniqueName, waitFor, type TestStream } from './harness/index.js';
import { FAST_CONSUMER, deliveries, putTexts, reportingProcessor, type Report } from './workers/fixtures.js';

const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}/${i}`);

/**
 * Multi-stream: each stream's own initialPosition, timestamps included, decides where its shards
 * start (also for addStream()), not the consumer-level one.
 */
describe('KinesisConsumer: each stream starts at its own initial position (kinesis-local + dynalite)', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const streams: TestStream[] = [];
  const consumers: KinesisConsumer[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await Promise.all(streams.splice(0).map((s) => s.delete()));
  });

  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  /**
   * Two one-shard streams, each with three waves of records put at least a second apart
   * (`early`, `middle`, `late`), and two timestamps between them, taken from the records' own
   * arrival times: `middle` starts the middle wave, `late` the late one.
   */
  async function streamsWithWaves(): Promise<{ a: TestStream; b: TestStream; middle: Date; late: Date }> {
    const [a, b] = await Promise.all([createStream(kinesis, 1, 'pos-a'), createStream(kinesis, 1, 'pos-b')]);
    streams.push(a, b);
    const marks: Date[] = [];
    for (const wave of ['early', 'middle', 'late']) {
      if (wave !== 'early') {
        const after = (await Promise.all([a, b].map((s) => readAllRecords(kinesis, s.streamName)))).flat();
        const newest = Math.max(...after.map((r) => r.ApproximateArrivalTimestamp!.getTime()));
        // The next wave arrives more than a second after the newest record (arrival times may be whole seconds).
        await waitFor(() => Date.now() > newest + 1_100, { description: 'a second to pass' });
        marks.push(new Date(newest + 1_000));
      }
      await Promise.all([a, b].map((s) => putTexts(kinesis, s.streamName, texts(`${s.streamName}/${wave}`, 10), ['k'])));
    }
    return { a, b, middle: marks[0]!, late: marks[1]! };
  }

  function worker(specs: readonly StreamSpec[], initialPosition: InitialPosition, reports: Report[]): KinesisConsumer {
    const consumer = new KinesisConsumer({
      streams: specs,
      applicationName: uniqueName('app'),
      workerId: 'worker-a',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition,
      processor: reportingProcessor('worker-a', (r) => reports.push(r)),
      ...FAST_CONSUMER,
    });
    consumers.push(consumer);
    return consumer;
  }

  const delivered = (reports: readonly Report[], stream: TestStream) => deliveries(reports).filter((r) => r.data.startsWith(`${stream.streamName}/`)).map((r) => r.data);
  const waves = (stream: TestStream, ...names: string[]) => names.flatMap((wave) => texts(`${stream.streamName}/${wave}`, 10));

  it("a stream's own timestamp is honoured under a consumer-level TRIM_HORIZON (the shard starts instead of failing forever)", async () => {
    const { a, b, middle } = await streamsWithWaves();
    const reports: Report[] = [];
    await worker([{ streamName: a.streamName, initialPosition: { timestamp: middle } }, { streamName: b.streamName }], 'TRIM_HORIZON', reports).start();
    const expectedA = waves(a, 'middle', 'late');
    const expectedB = waves(b, 'early', 'middle', 'late');
    await waitFor(() => delivered(reports, a).length >= expectedA.length && delivered(reports, b).length >= expectedB.length, { description: 'both streams read' });
    expect(delivered(reports, a)).toEqual(expectedA);
    expect(delivered(reports, b)).toEqual(expectedB);
  });

  it("a stream's earlier timestamp is honoured under a later consumer-level one, for addStream() too: nothing skipped", async () => {
    const { a, b, middle, late } = await streamsWithWaves();
    const reports: Report[] = [];
    const consumer = worker([{ streamName: b.streamName }], { timestamp: late }, reports);
    await consumer.start();
    expect(await consumer.addStream({ streamName: a.streamName, initialPosition: { timestamp: middle } })).toBe('added');
    const expectedA = waves(a, 'middle', 'late');
    const expectedB = waves(b, 'late');
    await waitFor(() => delivered(reports, a).length >= expectedA.length && delivered(reports, b).length >= expectedB.length, { description: 'both streams read' });
    expect(delivered(reports, a)).toEqual(expectedA);
    expect(delivered(reports, b)).toEqual(expectedB);
  });
});
