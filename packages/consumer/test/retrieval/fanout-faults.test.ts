import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { noopLogger } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { kinesisClient, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { streamARNOfConsumer } from '../../src/retrieval/fanout.js';
import { FAN_OUT_METRICS } from '../../src/retrieval/fanout-metric-names.js';
import type { SubscriptionEvent } from '../../src/retrieval/fanout-port.js';
import type { RecordBatch, RetrievalEvent } from '../../src/retrieval/retrieval.js';
import { awsError, oneShardWithConsumer, shardEndAfter, testFanOut, wrapPort } from '../support/fanout.js';
import { RecordingMetrics, drain, putRecords, text, userRecords } from '../support/processing.js';

const texts = (batches: readonly RecordBatch[]): string[] => batches.flatMap((b) => b.records.map(text));

// Each test has its own stream and stream consumer, so they run concurrently (most of the time is
// spent waiting on kinesis-local's subscriptions).
describe.concurrent('fan-out retrieval: hung subscribe calls and shard ends without ChildShards (kinesis-local)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  const streams: TestStream[] = [];

  const setUp = (prefix: string, count: number) => oneShardWithConsumer(client, streams, prefix, count);

  function open(retrieval: ReturnType<typeof testFanOut>, shardId: string) {
    const metrics = new RecordingMetrics();
    const events: RetrievalEvent[] = [];
    const source = retrieval.open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger, onEvent: (e) => events.push(e) });
    return { source, metrics, events };
  }

  beforeAll(() => {
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    client.destroy();
  });

  it('gives up on a SubscribeToShard with no answer after kinesisRequestTimeoutMillis and subscribes again', async ({ expect }) => {
    const { shardId, put, consumerARN, port } = await setUp('subscribe-hang', 40);
    // A hung subscribe whose SDK call ignores its abort signal. A port wrapper: the FaultProxy cannot
    // pass event streams on (it answers only once the upstream body ended), so it can only black-hole them.
    let hung = 0;
    const wrapped = wrapPort(port);
    const hanging = {
      ...wrapped,
      subscribeToShard: (input: Parameters<typeof port.subscribeToShard>[0]) =>
        hung++ === 0 ? new Promise<AsyncIterable<SubscriptionEvent>>(() => undefined) : wrapped.subscribeToShard(input),
    };
    // The stall deadline (35 s) is beyond the test's timeout: only the request timeout can end the hung call.
    const { source, metrics } = open(testFanOut(hanging, { consumerARN, kinesisRequestTimeoutMillis: 5_000 }), shardId);
    try {
      expect(texts(await drain(source, put.length))).toEqual(put.map(text));
      expect(hung).toBeGreaterThanOrEqual(2);
      expect(metrics.counter(FAN_OUT_METRICS.failures)).toBeGreaterThanOrEqual(1);
    } finally {
      source.close();
    }
  });

  it('counts a subscribe call with no event within the stall deadline as a stall, with a retrievalStalled event', async ({ expect }) => {
    const { shardId, put, consumerARN, port } = await setUp('subscribe-stall', 10);
    let hung = 0;
    const hanging = { ...port, subscribeToShard: (input: Parameters<typeof port.subscribeToShard>[0]) => (hung++ === 0 ? new Promise<never>(() => undefined) : port.subscribeToShard(input)) };
    // The stall deadline is the shorter one here: the hung call is a stall, not a request timeout.
    const { source, metrics, events } = open(testFanOut(hanging, { consumerARN, subscriptionStallTimeoutMillis: 5_000, kinesisRequestTimeoutMillis: 300_000 }), shardId);
    try {
      expect(texts(await drain(source, put.length))).toEqual(put.map(text));
      expect(metrics.counter(FAN_OUT_METRICS.stalled)).toBeGreaterThanOrEqual(1);
      expect(events).toContainEqual({ type: 'retrievalStalled', shardId, retrieval: 'fanOut', stallTimeoutMs: 5_000 });
    } finally {
      source.close();
    }
  });

  it('does not end an open shard on a last event without ChildShards: ListShards shows it open, it resubscribes after the last continuation', async ({ expect }) => {
    const { stream, shardId, put, consumerARN, port } = await setUp('spurious-end', 40);
    // The first subscription's second event is followed by a fake "shard end" with no children
    // (kinesis-local never sends one, with or without children), carrying records that must not be taken.
    const wrapped = wrapPort(port, {
      transform: (events, _input, index) =>
        index !== 0
          ? events
          : (async function* () {
              let seen = 0;
              for await (const event of events) {
                yield event;
                if (++seen === 2) {
                  yield { records: event.records.slice(0, 1), continuationSequenceNumber: undefined, millisBehindLatest: 0, childShards: [] };
                  return;
                }
              }
            })(),
    });
    const { source, metrics, events } = open(testFanOut(wrapped, { consumerARN }), shardId);
    try {
      const first = await drain(source, put.length);
      await waitFor(() => wrapped.subscriptions.length >= 2, { description: 'a second subscription after the fake end' });
      const later = userRecords(30, 'after-fake-end');
      await putRecords(client, stream.streamName, later);
      const batches = [...first, ...(await drain(source, later.length))];
      expect(texts(batches)).toEqual([...put, ...later].map(text));
      expect(batches.some((b) => b.shardEnd !== undefined)).toBe(false);
      expect(events).toEqual([{ type: 'unconfirmedShardEnd', shardId, listed: 'open' }]);
      expect(metrics.counter(FAN_OUT_METRICS.unconfirmedShardEnds)).toBe(1);
      expect(metrics.counter(FAN_OUT_METRICS.duplicatesDropped)).toBe(0);
      const second = wrapped.subscriptions[1]!;
      const lastTaken = wrapped.subscriptions[0]!.events[1]!.continuationSequenceNumber!;
      expect(second.input.start).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastTaken });
    } finally {
      source.close();
    }
  });

  it('ends a closed shard whose last event has no ChildShards with the children ListShards lists', async ({ expect }) => {
    const { stream, shardId, put, consumerARN, port } = await setUp('end-nochildren', 20);
    await client.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: shardId, NewStartingHashKey: String(2n ** 127n) }));
    await waitForStreamActive(client, stream.streamName);
    const children = (await port.listShards({ streamName: stream.streamName })).filter((s) => s.parentShardId === shardId).map((s) => s.shardId);
    const lastSequenceNumber = (await port.listShards({ streamName: stream.streamName })).find((s) => s.shardId === shardId)!.endingSequenceNumber!;
    // The service's shard-end event, minus its ChildShards (kinesis-local sends no shard-end event at all).
    const wrapped = wrapPort(port, { transform: shardEndAfter(lastSequenceNumber, []) });
    const { source, events } = open(testFanOut(wrapped, { consumerARN }), shardId);
    try {
      const batches = await drain(source, Number.POSITIVE_INFINITY);
      expect(texts(batches)).toEqual(put.map(text));
      const end = batches.at(-1)!.shardEnd!;
      expect(end.childShards.map((c) => c.shardId).sort()).toEqual(children.sort());
      expect(end.childShards.every((c) => c.parentShardIds.join() === shardId)).toBe(true);
      expect(events).toEqual([{ type: 'unconfirmedShardEnd', shardId, listed: 'closed' }]);
    } finally {
      source.close();
    }
  });

  it('ends a closed shard whose SubscribeToShard answers ResourceNotFoundException (gone) with the children ListShards lists', async ({ expect }) => {
    const { stream, shardId, consumerARN, port } = await setUp('subscribe-gone', 5);
    await client.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: shardId, NewStartingHashKey: String(2n ** 127n) }));
    await waitForStreamActive(client, stream.streamName);
    const children = (await port.listShards({ streamName: stream.streamName })).filter((s) => s.parentShardId === shardId).map((s) => s.shardId);
    // The parent aged out past retention; the FaultProxy cannot carry a subscription, so the refusal comes from a port wrapper.
    const gone = wrapPort(port, { fault: () => awsError('ResourceNotFoundException') });
    const { source, metrics, events } = open(testFanOut(gone, { consumerARN }), shardId);
    try {
      const batch = await source.next();
      expect(batch.records).toEqual([]);
      expect(batch.shardEnd!.childShards.map((c) => c.shardId).sort()).toEqual(children.sort());
      expect(events).toEqual([{ type: 'shardGone', shardId, operation: 'SubscribeToShard' }]);
      expect(metrics.counter(FAN_OUT_METRICS.shardsGone)).toBe(1);
    } finally {
      source.close();
    }
  });

  it('fails an open shard whose SubscribeToShard answers ResourceNotFoundException: the stream consumer is gone, not the shard', async ({ expect }) => {
    const { shardId, consumerARN, port } = await setUp('consumer-gone', 5);
    const gone = wrapPort(port, { fault: () => awsError('ResourceNotFoundException') });
    const { source, events } = open(testFanOut(gone, { consumerARN }), shardId);
    try {
      await expect(source.next()).rejects.toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'ResourceNotFoundException' });
      expect(events).toEqual([]);
    } finally {
      source.close();
    }
  });

  it('finds the stream of a consumer ARN', ({ expect }) => {
    const streamARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
    expect(streamARNOfConsumer(`${streamARN}/consumer/billing:1700000000`)).toBe(streamARN);
  });
});
