// The Lambda helpers on records our producer really wrote to kinesis-local: aggregates with
// real sequence numbers and arrival times, turned into events the way the event source mapping
// builds them. No fault injection here: the code under test makes no Kinesis call (the
// producer's behaviour under faults is tested in packages/producer).
import { processPartialResponse } from '@aws-lambda-powertools/batch';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@kinesis-kit/producer';
import type { Context, KinesisStreamEvent as AwsKinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, type TestStream } from '../../../test/harness/index.js';
import type { ReadRecord } from '../../../test/harness/read.js';
import { kinesisWindowHandler } from '../src/index.js';
import type { KinesisStreamTumblingWindowEvent, KinesisUserRecord } from '../src/index.js';
import { KplBatchProcessor } from '../src/powertools.js';
import { WINDOW, eventFromRead, lambdaContext } from './fixtures/events.js';

const USERS = 10;
const PUTS = 300;
const context = lambdaContext() as unknown as Context;

interface Order {
  readonly user: string;
  readonly n: number;
}

const orderOf = (record: KinesisUserRecord): Order => JSON.parse(record.data.toString('utf8')) as Order;

/** The Kinesis records in batches of `size`, as the event source mapping would deliver them. */
function batches(read: readonly ReadRecord[], size: number, streamARN: string): AwsKinesisStreamEvent[] {
  const events: AwsKinesisStreamEvent[] = [];
  for (let i = 0; i < read.length; i += size) events.push(eventFromRead(read.slice(i, i + size), streamARN) as AwsKinesisStreamEvent);
  return events;
}

/** Per user, the order numbers in the order they were handled. */
function perUser(orders: readonly Order[]): Map<string, number[]> {
  const byUser = new Map<string, number[]>();
  for (const { user, n } of orders) byUser.set(user, [...(byUser.get(user) ?? []), n]);
  return byUser;
}

describe('Lambda helpers on records our producer wrote to kinesis-local', () => {
  let client: KinesisClient;
  let stream: TestStream;
  let read: ReadRecord[];

  beforeAll(async () => {
    client = kinesisClient({ accountId: testAccountId() });
    stream = await createStream(client, 1, 'lambda');
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client, ordering: 'per-shard', aggregation: { maxSize: 2_000 } });
    const puts = Array.from({ length: PUTS }, (_, n) =>
      producer.put({ partitionKey: `user-${n % USERS}`, data: Buffer.from(JSON.stringify({ user: `user-${n % USERS}`, n })) }),
    );
    await Promise.all(puts);
    await producer.close();
    read = await readAllRecords(client, stream.streamName);
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('KplBatchProcessor hands over every user record, each user in put order, across batches of aggregates', async () => {
    expect(read.length).toBeGreaterThan(3);
    expect(read.length).toBeLessThan(PUTS); // aggregated
    const handled: Order[] = [];
    const processor = new KplBatchProcessor();

    for (const event of batches(read, 4, stream.streamARN)) {
      const response = await processPartialResponse(event, (record: KinesisUserRecord) => void handled.push(orderOf(record)), processor, { context });
      expect(response).toEqual({ batchItemFailures: [] });
    }

    expect(handled).toHaveLength(PUTS);
    for (const [, numbers] of perUser(handled)) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('after a failure, resuming from the reported sequence number as Lambda does loses nothing and keeps each user in order', async () => {
    const event = eventFromRead(read, stream.streamARN) as AwsKinesisStreamEvent;
    const handled: (Order & { readonly sequenceNumber: string })[] = [];
    let failed = false;
    const handler = (record: KinesisUserRecord): void => {
      const order = orderOf(record);
      if (order.n === 150 && !failed) {
        failed = true;
        throw new Error('downstream timeout');
      }
      handled.push({ ...order, sequenceNumber: record.sequenceNumber });
    };
    const processor = new KplBatchProcessor();

    const first = await processPartialResponse(event, handler, processor, { context });
    const [failure] = first.batchItemFailures;
    if (failure === undefined) throw new Error('expected a reported failure');
    const resumeAt = BigInt(failure.itemIdentifier);
    const retry = { Records: event.Records.filter((record) => BigInt(record.kinesis.sequenceNumber) >= resumeAt) };
    await expect(processPartialResponse(retry, handler, processor, { context })).resolves.toEqual({ batchItemFailures: [] });

    expect(new Set(handled.map((o) => o.n)).size).toBe(PUTS);
    const seen = new Set<number>();
    const firstTimes = handled.filter((o) => !seen.has(o.n) && seen.add(o.n));
    for (const [, numbers] of perUser(firstTimes)) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // Handled twice: only the failed record's siblings that came before it in its aggregate.
    const twice = handled.filter((o, i) => handled.findIndex((p) => p.n === o.n) !== i);
    expect(twice.every((o) => o.sequenceNumber === failure.itemIdentifier && o.n < 150)).toBe(true);
  });

  it('kinesisWindowHandler totals every user record once over a window of several invocations', async () => {
    const handler = kinesisWindowHandler<Record<string, number>>(
      (records, window) => {
        const state = { ...window.state };
        for (const record of records) state[orderOf(record).user] = (state[orderOf(record).user] ?? 0) + 1;
        return { state };
      },
      { reportBatchItemFailures: true, initialState: () => ({}) },
    );
    let state: Record<string, number> = {};
    const windowed = (event: AwsKinesisStreamEvent, isFinalInvokeForWindow: boolean): KinesisStreamTumblingWindowEvent => ({
      ...event,
      window: WINDOW,
      state,
      shardId: read[0]?.shardId,
      eventSourceARN: stream.streamARN,
      isFinalInvokeForWindow,
      isWindowTerminatedEarly: false,
    });

    for (const event of batches(read, 3, stream.streamARN)) state = (await handler(windowed(event, false), context)).state;
    const final = await handler(windowed({ Records: [] }, true), context);

    expect(final.state).toEqual(Object.fromEntries(Array.from({ length: USERS }, (_, u) => [`user-${u}`, PUTS / USERS])));
  });
});
