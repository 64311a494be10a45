import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateMaxRecordSizeCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type ConsumerRecord, type KinesisConsumerOptions } from '@kinesis-kit/consumer';
import { KinesisProducer, sdkWritePort, type KinesisWritePort, type PutRecordError } from '@kinesis-kit/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_CONSUMER } from './workers/fixtures.js';
import { createStream, dynamoClient, kinesisClient, testAccountId, uniqueName, waitFor, waitForStreamActive, type TestStream } from './harness/index.js';

/*
 * Large records (issue 11) end to end on kinesis-local, which implements UpdateMaxRecordSize and
 * refuses a record above the stream's limit. kinesis-local takes 10-20 s to store or return a
 * 9 MiB record on a busy machine, hence the long deadlines. Memory: the 9 MiB payload exists once
 * in the test; what the consumer reads is hashed in the processor and dropped.
 */

const MiB = 1024 * 1024;
const SLOW = { requestTimeout: 120_000, recordTtl: 300_000 } as const;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface Seen {
  readonly partitionKey: string;
  readonly length: number;
  readonly hash: string;
  readonly aggregated: boolean;
  readonly subSequenceNumber: number;
}

async function raise(client: KinesisClient, stream: TestStream, kib: number): Promise<void> {
  await client.send(new UpdateMaxRecordSizeCommand({ StreamARN: stream.streamARN, MaxRecordSizeInKiB: kib }));
  await waitForStreamActive(client, stream.streamName);
}

describe('large records on kinesis-local', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const streams: TestStream[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
    dynamo.destroy();
  });

  async function stream(): Promise<TestStream> {
    const created = await createStream(kinesis, 1, 'large');
    streams.push(created);
    return created;
  }

  /** Reads the stream with a KinesisConsumer until `count` user records arrived; keeps only their hashes. */
  async function consume(streamName: string, count: number, overrides: Partial<KinesisConsumerOptions> = {}): Promise<Seen[]> {
    const seen: Seen[] = [];
    const keep = (r: ConsumerRecord): Seen => ({ partitionKey: r.partitionKey, length: r.data.length, hash: sha256(r.data), aggregated: r.aggregated, subSequenceNumber: r.subSequenceNumber });
    const consumer = new KinesisConsumer({
      streamName,
      applicationName: uniqueName('large'),
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      ...FAST_CONSUMER,
      kinesisRequestTimeoutMillis: 120_000,
      pollingStallTimeoutMillis: 300_000,
      processor: () => ({
        processRecords: ({ records }) => {
          for (const record of records) seen.push(keep(record));
        },
        shardEnded: async ({ checkpointer }) => checkpointer.checkpoint(),
      }),
      ...overrides,
    } as KinesisConsumerOptions);
    await consumer.start();
    try {
      await waitFor(() => seen.length >= count, { description: `${count} records consumed`, timeoutMs: 150_000 });
    } finally {
      await consumer.stop();
    }
    return seen;
  }

  it(
    "a 9 MiB record on a stream raised to 10 MiB: written with maxRecordSize 'auto' and aggregation on, read back by the consumer (prefetch bound 1 MiB) with the same bytes",
    async () => {
      const created = await stream();
      const { streamName } = created;
      await raise(kinesis, created, 10_240);
      const requests: number[] = [];
      const sdk = sdkWritePort(kinesis, { streamName });
      const port: KinesisWritePort = {
        ...sdk,
        putRecords: (records, signal) => {
          requests.push(records.reduce((sum, r) => sum + r.data.length + Buffer.byteLength(r.partitionKey), 0));
          return sdk.putRecords(records, signal);
        },
      };
      const producer = new KinesisProducer({ streamName, writePort: port, maxRecordSize: 'auto', ...SLOW });
      const big = new Uint8Array(9 * MiB);
      for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
      const small = ['a', 'b', 'c'].map((key) => ({ partitionKey: `small-${key}`, data: new TextEncoder().encode(`payload ${key}`) }));
      const results = await Promise.all([...small.map((r) => producer.put(r)), producer.put({ partitionKey: 'big', data: big })]);
      await producer.close();
      expect(results.at(-1)).toMatchObject({ subSequenceNumber: 0 });
      expect(Math.max(...requests)).toBeLessThanOrEqual(10 * MiB);

      const seen = await consume(streamName, 4, { maxPrefetchBytes: MiB });
      const bigSeen = seen.find((r) => r.partitionKey === 'big');
      // One user record alone goes unaggregated (KPL format); the small ones share an aggregate.
      expect(bigSeen).toEqual({ partitionKey: 'big', length: 9 * MiB, hash: sha256(big), aggregated: false, subSequenceNumber: 0 });
      const smallSeen = seen.filter((r) => r.partitionKey !== 'big');
      expect(smallSeen.map((r) => r.hash).sort()).toEqual(small.map((r) => sha256(r.data)).sort());
      expect(smallSeen.every((r) => r.aggregated)).toBe(true);
    },
    400_000,
  );

  it("'auto' on a 1 MiB stream: a larger record fails alone (RECORD_TOO_LARGE); after UpdateMaxRecordSize the producer, still running, writes it", async () => {
    const created = await stream();
    const { streamName } = created;
    const producer = new KinesisProducer({ streamName, kinesisClient: kinesis, maxRecordSize: 'auto', ...SLOW });
    const large = { partitionKey: 'large', data: new Uint8Array(1.5 * MiB) };
    const outcomes = await Promise.allSettled([
      producer.put({ partitionKey: 'ok-1', data: new Uint8Array(10) }),
      producer.put(large),
      producer.put({ partitionKey: 'ok-2', data: new Uint8Array(10) }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason as PutRecordError).toMatchObject({ code: 'RECORD_TOO_LARGE', retriable: false });

    await raise(kinesis, created, 2_048);
    // Each refused put is answered at once; once the known limit is older than the recheck
    // interval, the next one waits for a fresh read and is written.
    const written = await waitFor(
      async () => {
        try {
          return await producer.put(large);
        } catch (error) {
          if ((error as PutRecordError).code !== 'RECORD_TOO_LARGE') throw error;
          return undefined;
        }
      },
      { description: 'the raised limit to be picked up', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(written.shardId).toBe('shardId-000000000000');
    await producer.close();
  }, 120_000);
});
