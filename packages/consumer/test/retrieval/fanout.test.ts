import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { OperationFailedError, noopLogger, type BackoffPolicy } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { kinesisClient, readAllRecords, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { FAN_OUT_METRICS } from '../../src/retrieval/fanout-metric-names.js';
import type { RecordBatch } from '../../src/retrieval/retrieval.js';
import { awsError, childShardsOf, oneShardWithConsumer, shardEndAfter, stallAfter, testFanOut, wrapPort } from '../support/fanout.js';
import { RecordingMetrics, drain, putRecords, text, userRecords } from '../support/processing.js';

const texts = (batches: readonly RecordBatch[]): string[] => batches.flatMap((b) => b.records.map(text));

// Every test has its own stream and stream consumer, so they run concurrently: most of their time
// is spent waiting on kinesis-local (1 s to a subscription's first event, 2-3 s before a shard
// accepts a new subscription once the previous one closed).
describe.concurrent('fan-out retrieval against kinesis-local (HTTP/1.1)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  const streams: TestStream[] = [];

  const setUp = (prefix: string, count: number) => oneShardWithConsumer(client, streams, prefix, count);

  beforeAll(() => {
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    client.destroy();
  });

  it('delivers every record once, in order, across renewals; each renewal continues AFTER_SEQUENCE_NUMBER of the last continuation', async ({ expect }) => {
    const { streamName, shardId, put, consumerARN, port } = await setUp('renew', 50);
    const wrapped = wrapPort(port);
    const metrics = new RecordingMetrics();
    const source = testFanOut(wrapped, { consumerARN, maxSubscriptionMillis: 1_200 }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger });
    try {
      const later = [userRecords(40, 'second'), userRecords(30, 'third')];
      const reading = drain(source, 120);
      // Each wave lands while a different subscription is open.
      await waitFor(() => wrapped.subscriptions.length >= 2, { description: 'the first renewal' });
      await putRecords(client, streamName, later[0]!);
      await waitFor(() => wrapped.subscriptions.length >= 3, { description: 'the second renewal' });
      await putRecords(client, streamName, later[1]!);
      expect(texts(await reading)).toEqual([...put, ...later.flat()].map(text));

      const subscriptions = wrapped.subscriptions;
      expect(subscriptions[0]!.input.start).toEqual({ type: 'TRIM_HORIZON' });
      for (let i = 1; i < subscriptions.length; i++) {
        const continuation = subscriptions[i - 1]!.events.at(-1)!.continuationSequenceNumber!;
        expect(subscriptions[i]!.input.start).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: continuation });
      }
      expect(metrics.counter(FAN_OUT_METRICS.renewed)).toBeGreaterThanOrEqual(2);
      // kinesis-local counts a closed subscription as active for 2-3 s more: each renewal met ResourceInUse, retried.
      expect(metrics.counter(FAN_OUT_METRICS.resourceInUse)).toBeGreaterThan(0);
      expect(metrics.counter(FAN_OUT_METRICS.duplicatesDropped)).toBe(0);
      expect(metrics.counter(FAN_OUT_METRICS.recordsFetched)).toBe(120);
    } finally {
      source.close();
    }
  });

  it('drops records at or before the last one taken when a subscription repeats them (safety net)', async ({ expect }) => {
    const { streamName, shardId, put, consumerARN, port } = await setUp('dedupe', 30);
    // The second subscription starts with the last 5 records already taken, again.
    const wrapped = wrapPort(port, {
      transform: (events, _input, index) =>
        index !== 1
          ? events
          : (async function* () {
              const taken = wrapped.subscriptions.flatMap((s) => s.events.flatMap((e) => e.records));
              const repeated = taken.slice(-5);
              yield { records: repeated, continuationSequenceNumber: repeated.at(-1)!.sequenceNumber, millisBehindLatest: 0, childShards: [] };
              yield* events;
            })(),
    });
    const metrics = new RecordingMetrics();
    const source = testFanOut(wrapped, { consumerARN, maxSubscriptionMillis: 1_200 }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger });
    try {
      const more = userRecords(10, 'more');
      const reading = drain(source, 40);
      await waitFor(() => wrapped.subscriptions.length >= 2, { description: 'a renewal' });
      await putRecords(client, streamName, more);
      expect(texts(await reading)).toEqual([...put, ...more].map(text));
      expect(metrics.counter(FAN_OUT_METRICS.duplicatesDropped)).toBe(5);
    } finally {
      source.close();
    }
  });

  it('tears down a subscription that delivers nothing for the stall deadline and resubscribes after the last continuation', async ({ expect }) => {
    const { streamName, shardId, put, consumerARN, port } = await setUp('stall', 20);
    // The first subscription passes its first event (the 20 records) on, then goes silent.
    const wrapped = wrapPort(port, { transform: (events, _input, index) => (index === 0 ? stallAfter(events, 1) : events) });
    const metrics = new RecordingMetrics();
    const source = testFanOut(wrapped, { consumerARN, subscriptionStallTimeoutMillis: 2_500 }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger });
    try {
      const first = await drain(source, put.length);
      const after = userRecords(15, 'after-stall');
      await putRecords(client, streamName, after);
      expect(texts([...first, ...(await drain(source, after.length))])).toEqual([...put, ...after].map(text));
      expect(metrics.counter(FAN_OUT_METRICS.stalled)).toBeGreaterThanOrEqual(1);
      const stored = await readAllRecords(client, streamName);
      expect(wrapped.calls[0]!.signal.aborted).toBe(true);
      expect(wrapped.calls[1]!.start).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: stored[put.length - 1]!.SequenceNumber });
    } finally {
      source.close();
    }
  });

  it('retries LimitExceeded and ResourceInUse on subscribe with the injected backoff', async ({ expect }) => {
    const { shardId, put, consumerARN, port } = await setUp('refused', 10);
    const refusals = [awsError('LimitExceededException'), awsError('ResourceInUseException'), awsError('InternalFailure', 500)];
    const wrapped = wrapPort(port, { fault: (_input, index) => refusals[index] });
    const delays: number[] = [];
    const backoff: BackoffPolicy = { delayMs: (retry) => (delays.push(retry), 10) };
    const metrics = new RecordingMetrics();
    const source = testFanOut(wrapped, { consumerARN, backoff }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger });
    try {
      expect(texts(await drain(source, put.length))).toEqual(put.map(text));
      expect(delays).toEqual([1, 2, 3]);
      expect(wrapped.calls.map((c) => c.start)).toEqual(Array.from({ length: 4 }, () => ({ type: 'TRIM_HORIZON' })));
      expect(metrics.counter(FAN_OUT_METRICS.throttled)).toBe(1);
      expect(metrics.counter(FAN_OUT_METRICS.resourceInUse)).toBe(1);
      expect(metrics.counter(FAN_OUT_METRICS.failures)).toBe(1);
      expect(metrics.counter(FAN_OUT_METRICS.subscribeCalls)).toBe(4);
    } finally {
      source.close();
    }
  });

  it('rejects next() with a non-retriable OperationFailedError when the consumer does not exist', async ({ expect }) => {
    const { shardId, port, consumerARN } = await setUp('missing', 1);
    const source = testFanOut(port, { consumerARN: consumerARN.replace(/consumer\/[^:]+:/, 'consumer/absent:') }).open({ shardId, start: { type: 'LATEST' }, metrics: new RecordingMetrics(), logger: noopLogger });
    try {
      const error = await source.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationFailedError);
      expect(error).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'ResourceNotFoundException', retriable: false });
    } finally {
      source.close();
    }
  });

  it('close() ends the subscription at once: a pending next() rejects, the connection is aborted, nothing is resubscribed', async ({ expect }) => {
    const { shardId, consumerARN, port } = await setUp('close', 3);
    const wrapped = wrapPort(port);
    // No prefetch: after the drain nothing is read until next() asks, so the next() below is pending.
    const source = testFanOut(wrapped, { consumerARN, maxPrefetchBatches: 0 }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics: new RecordingMetrics(), logger: noopLogger });
    await drain(source, 3);
    const pending = source.next();
    source.close();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(wrapped.calls).toHaveLength(1);
    expect(wrapped.calls[0]!.signal.aborted).toBe(true);
    await expect(source.next()).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('ends the shard on an event with no continuation: the batch carries the ChildShards, then next() is refused', async ({ expect }) => {
    const { streamName, shardId, put, consumerARN, port } = await setUp('shard-end', 30);
    const last = (await readAllRecords(client, streamName)).at(-1)!.SequenceNumber!;
    await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shardId, NewStartingHashKey: String(2n ** 127n) }));
    await waitForStreamActive(client, streamName);
    const children = await childShardsOf(client, streamName, shardId);
    expect(children).toHaveLength(2);
    const wrapped = wrapPort(port, { transform: shardEndAfter(last, children) });
    const source = testFanOut(wrapped, { consumerARN }).open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics: new RecordingMetrics(), logger: noopLogger });
    const batches = await drain(source, Number.POSITIVE_INFINITY);
    expect(texts(batches)).toEqual(put.map(text));
    expect(batches.filter((b) => b.shardEnd !== undefined)).toHaveLength(1);
    expect(batches.at(-1)!.shardEnd!.childShards).toEqual(children);
    expect(children.map((c) => c.parentShardIds)).toEqual([[shardId], [shardId]]);
    await expect(source.next()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(wrapped.calls).toHaveLength(1);
    expect(wrapped.calls[0]!.signal.aborted).toBe(true);
  });
});
