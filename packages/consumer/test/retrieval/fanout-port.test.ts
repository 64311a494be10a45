import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, uniqueName, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { kinesisFanOutPort, type FanOutPort, type SubscriptionEvent } from '../../src/retrieval/fanout-port.js';
import type { IteratorStart } from '../../src/retrieval/kinesis-port.js';
import { registerTestConsumer } from '../support/fanout.js';
import { putRecords, shardIds, text, userRecords } from '../support/processing.js';

/** Subscribes, reads until `records` records arrived, closes; the events read. */
async function subscribeAndRead(port: FanOutPort, consumerARN: string, shardId: string, start: IteratorStart, records: number): Promise<SubscriptionEvent[]> {
  const controller = new AbortController();
  const events: SubscriptionEvent[] = [];
  try {
    const subscription = await port.subscribeToShard({ consumerARN, shardId, start, signal: controller.signal });
    let seen = 0;
    for await (const event of subscription) {
      events.push(event);
      seen += event.records.length;
      if (seen >= records) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

// Independent tests (each subscription has its own stream consumer): run concurrently.
describe.concurrent('fan-out port (SDK adapter) against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let port: FanOutPort;
  let stream: TestStream;
  let shardId: string;
  const put = userRecords(12, 'port');

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    port = kinesisFanOutPort(client);
    stream = await createStream(client, 1, 'fanout-port');
    [shardId] = (await shardIds(client, stream.streamName)) as [string];
    await putRecords(client, stream.streamName, put);
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('registers, describes (by name and by ARN), lists and deregisters consumers; expected outcomes are values', async ({ expect }) => {
    const streamARN = await port.describeStreamARN({ streamName: stream.streamName });
    expect(streamARN).toBe(stream.streamARN);
    expect(await port.describeStreamARN({ streamARN })).toBe(streamARN);
    const consumerName = uniqueName('reg');
    const registered = await port.registerStreamConsumer(streamARN, consumerName);
    expect(registered).toMatchObject({ kind: 'registered', consumer: { consumerName, status: 'CREATING' } });
    const consumerARN = registered.kind === 'registered' ? registered.consumer.consumerARN : '';
    expect(await port.registerStreamConsumer(streamARN, consumerName)).toEqual({ kind: 'alreadyExists' });
    await waitFor(async () => {
      const found = await port.describeStreamConsumer({ streamARN, consumerName });
      return found.kind === 'found' && found.consumer.status === 'ACTIVE';
    });
    expect(await port.describeStreamConsumer({ consumerARN })).toMatchObject({ kind: 'found', consumer: { consumerName, consumerARN, status: 'ACTIVE' } });
    expect(await port.describeStreamConsumer({ streamARN, consumerName: 'absent' })).toEqual({ kind: 'notFound' });
    expect((await port.listStreamConsumers(streamARN)).map((c) => c.consumerName)).toContain(consumerName);

    expect(await port.deregisterStreamConsumer({ consumerARN })).toBe('deregistering');
    expect(await port.deregisterStreamConsumer({ consumerARN })).toBe('notActive');
    expect(await port.describeStreamConsumer({ consumerARN })).toMatchObject({ kind: 'found', consumer: { status: 'DELETING' } });
    await waitFor(async () => (await port.describeStreamConsumer({ consumerARN })).kind === 'notFound', { description: 'the consumer to be gone' });
    expect(await port.deregisterStreamConsumer({ streamARN, consumerName })).toBe('notFound');
  });

  it('subscribes from each starting position and maps events to camelCase values', async ({ expect }) => {
    const stored = await readAllRecords(client, stream.streamName);
    const sequence = (i: number) => stored[i]!.SequenceNumber!;
    // One consumer per subscription: a shard accepts one subscription per consumer at a time.
    const consumers = await Promise.all(['trim', 'at', 'after'].map((name) => registerTestConsumer(client, stream.streamName, name)));
    const [fromTrim, atSeq, afterSeq] = await Promise.all([
      subscribeAndRead(port, consumers[0]!, shardId, { type: 'TRIM_HORIZON' }, put.length),
      subscribeAndRead(port, consumers[1]!, shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: sequence(4) }, put.length - 4),
      subscribeAndRead(port, consumers[2]!, shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sequence(4) }, put.length - 5),
    ]);
    const records = (events: SubscriptionEvent[]) => events.flatMap((e) => e.records);
    expect(records(fromTrim).map(text)).toEqual(put.map(text));
    expect(records(fromTrim)[0]).toMatchObject({ partitionKey: put[0]!.partitionKey, sequenceNumber: sequence(0) });
    expect(records(fromTrim)[0]!.data).toBeInstanceOf(Uint8Array);
    expect(records(atSeq).map(text)).toEqual(put.slice(4).map(text));
    expect(records(afterSeq).map(text)).toEqual(put.slice(5).map(text));
    const last = fromTrim.at(-1)!;
    // kinesis-local: the continuation is the last record's sequence number (the service may give a later one).
    expect(BigInt(last.continuationSequenceNumber!)).toBeGreaterThanOrEqual(BigInt(sequence(put.length - 1)));
    expect(last.millisBehindLatest).toBeTypeOf('number');
    expect(last.childShards).toEqual([]);
  });

  it('subscribes AT_TIMESTAMP and LATEST', async ({ expect }) => {
    const own = await createStream(client, 1, 'fanout-port-ts');
    try {
      const [ownShard] = (await shardIds(client, own.streamName)) as [string];
      await putRecords(client, own.streamName, userRecords(3, 'before'));
      const lastArrival = (await readAllRecords(client, own.streamName)).at(-1)!.ApproximateArrivalTimestamp!.getTime();
      await waitFor(() => Date.now() > lastArrival + 1, { description: 'the clock to pass the last arrival' });
      await putRecords(client, own.streamName, userRecords(3, 'after'));
      const [tsConsumer, latestConsumer] = await Promise.all(['ts', 'latest'].map((name) => registerTestConsumer(client, own.streamName, name)));
      const fromTimestamp = await subscribeAndRead(port, tsConsumer!, ownShard, { type: 'AT_TIMESTAMP', timestamp: new Date(lastArrival + 1) }, 3);
      expect(fromTimestamp.flatMap((e) => e.records).map(text)).toEqual(['after-0', 'after-1', 'after-2']);

      const controller = new AbortController();
      const latest = await port.subscribeToShard({ consumerARN: latestConsumer!, shardId: ownShard, start: { type: 'LATEST' }, signal: controller.signal });
      const iterator = latest[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      await putRecords(client, own.streamName, userRecords(2, 'new'));
      const fresh: string[] = [...(first.value as SubscriptionEvent).records.map(text)];
      while (fresh.length < 2) fresh.push(...((await iterator.next()).value as SubscriptionEvent).records.map(text));
      controller.abort();
      expect(fresh).toEqual(['new-0', 'new-1']);
    } finally {
      await own.delete();
    }
  });

  it('closes a subscription when its signal aborts: the pending read rejects instead of waiting for the next event', async ({ expect }) => {
    const consumerARN = await registerTestConsumer(client, stream.streamName, 'close');
    const controller = new AbortController();
    const subscription = await port.subscribeToShard({ consumerARN, shardId, start: { type: 'LATEST' }, signal: controller.signal });
    const iterator = subscription[Symbol.asyncIterator]();
    await iterator.next(); // the first event arrived with the established subscription
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toThrow();
  });

  it('throws ResourceInUseException (to be retried) for a second subscription of the same consumer and shard', async ({ expect }) => {
    const consumerARN = await registerTestConsumer(client, stream.streamName, 'inuse');
    const controller = new AbortController();
    try {
      await port.subscribeToShard({ consumerARN, shardId, start: { type: 'LATEST' }, signal: controller.signal });
      await expect(port.subscribeToShard({ consumerARN, shardId, start: { type: 'LATEST' }, signal: controller.signal })).rejects.toMatchObject({
        name: 'ResourceInUseException',
      });
    } finally {
      controller.abort();
    }
  });
});
