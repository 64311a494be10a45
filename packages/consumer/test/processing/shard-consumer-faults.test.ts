import { setTimeout as delay } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, randomFaults, testAccountId, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { RETRIEVAL_METRICS } from '../../src/retrieval/metric-names.js';
import { RecordingMetrics, RecordingProcessor, consume, putRecords, shardIds, text, userRecords, type TestRecord } from '../support/processing.js';

describe('shard consumer under faults and back-pressure (kinesis-local)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  const streams: TestStream[] = [];

  async function stream(prefix: string, records: readonly TestRecord[]): Promise<{ streamName: string; shardId: string }> {
    const created = await createStream(client, 1, prefix);
    streams.push(created);
    await putRecords(client, created.streamName, records);
    return { streamName: created.streamName, shardId: (await shardIds(client, created.streamName))[0]! };
  }

  beforeAll(() => {
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    client.destroy();
  });

  it('survives throttled and failing GetRecords and expired iterators: every user record once, in order', async () => {
    const users = userRecords(900, 'f', 8);
    const mixed = [...users.slice(0, 300), ...aggregate(users.slice(300, 900), { maxSize: 2_000 })];
    const { streamName, shardId } = await stream('faults', mixed);
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    proxy.setPlan(
      randomFaults(20_240_601, [
        { operation: 'GetRecords', probability: 0.2, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
        { operation: 'GetRecords', probability: 0.15, fault: { kind: 'error', status: 400, code: 'ExpiredIteratorException' } },
        { operation: 'GetRecords', probability: 0.15, fault: { kind: 'error', status: 500, code: 'InternalFailure' } },
        { operation: 'GetRecords', probability: 0.1, fault: { kind: 'reset', when: 'after' } },
        { operation: 'GetShardIterator', probability: 0.2, fault: { kind: 'error', status: 500, code: 'InternalFailure' } },
      ]),
    );
    const processor = new RecordingProcessor();
    const metrics = new RecordingMetrics();
    try {
      const { consumer, handle } = consume({ client: proxied, streamName, shardId, processor, metrics, polling: { maxRecords: 10 } });
      await waitFor(() => processor.records.length >= users.length, { description: 'every user record' });
      consumer.requestShutdown();
      expect(await consumer.finished).toEqual({ kind: 'shutdown' });
      expect(processor.records.map(text)).toEqual(users.map(text));
      expect(handle.lastCheckpoint).toEqual({ sequenceNumber: processor.records.at(-1)!.sequenceNumber, subSequenceNumber: processor.records.at(-1)!.subSequenceNumber });
      expect(metrics.counter(RETRIEVAL_METRICS.throttled)).toBeGreaterThan(0);
      expect(metrics.counter(RETRIEVAL_METRICS.expiredIterators)).toBeGreaterThan(0);
      expect(metrics.counter(RETRIEVAL_METRICS.failures)).toBeGreaterThan(0);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });

  it('a retrieval failure that will repeat: shutdownRequested with a working checkpointer, then outcome failed', async () => {
    const { streamName, shardId } = await stream('fatal', userRecords(10, 'fatal'));
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) =>
      operation === 'GetRecords' ? { kind: 'error', status: 400, code: 'AccessDeniedException' } : undefined,
    );
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    try {
      const processor = new RecordingProcessor();
      const { consumer, handle } = consume({ client: proxied, streamName, shardId, processor });
      const outcome = await consumer.finished;
      expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'NON_RETRIABLE', causeCode: 'AccessDeniedException' } });
      expect(processor.log).toEqual(['initialize TRIM_HORIZON/0', 'shutdownRequested']);
      expect(processor.errors).toEqual([]);
      expect(handle.checkpoints).toEqual([{ sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 }]);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });

  /**
   * Runs a slow processor over `records` and returns the largest number of Kinesis records that
   * were fetched but not yet processed, sampled at every processRecords call (before it starts
   * on its batch) and while the first batch is held until the prefetch has filled up.
   */
  async function largestBacklog(records: readonly TestRecord[], polling: Record<string, number>, fillTo: number): Promise<number> {
    const { streamName, shardId } = await stream('prefetch', records);
    const metrics = new RecordingMetrics();
    let processed = 0;
    let largest = 0;
    const sample = (): void => {
      largest = Math.max(largest, metrics.counter(RETRIEVAL_METRICS.recordsFetched) - processed);
    };
    const processor = new RecordingProcessor([], {
      onBatch: async (input, index) => {
        sample();
        if (index === 0) await waitFor(() => metrics.counter(RETRIEVAL_METRICS.recordsFetched) >= fillTo, { description: 'the prefetch to fill' });
        await delay(index === 0 ? 100 : 5); // a slow processor: time for an unbounded fetcher to run ahead
        sample();
        processed += input.records.length;
      },
    });
    const { consumer } = consume({ client, streamName, shardId, processor, metrics, polling });
    await waitFor(() => processor.records.length >= records.length, { description: 'every record' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual(records.map(text));
    return largest;
  }

  it('bounds prefetch by batches: fetched but unprocessed never exceeds (maxPrefetchBatches + 1) x maxRecords', async () => {
    const maxRecords = 20;
    const maxPrefetchBatches = 2;
    const bound = (maxPrefetchBatches + 1) * maxRecords;
    const largest = await largestBacklog(userRecords(400, 'slow'), { maxRecords, maxPrefetchBatches }, bound);
    expect(largest).toBe(bound);
  });

  it('bounds prefetch by bytes: no fetch starts while maxPrefetchBytes are held', async () => {
    const size = 1_000;
    const records = Array.from({ length: 200 }, (_, i) => ({ partitionKey: 'k', data: new TextEncoder().encode(`${i}`.padEnd(size, '.')) }));
    const maxRecords = 10;
    const maxPrefetchBytes = 4_500;
    // In hand: one batch; buffered: under maxPrefetchBytes when the last fetch started, plus that fetch.
    const bound = maxRecords + Math.ceil(maxPrefetchBytes / size) + maxRecords - 1;
    const largest = await largestBacklog(records, { maxRecords, maxPrefetchBatches: 1_000, maxPrefetchBytes }, maxRecords * 2);
    expect(largest).toBeLessThanOrEqual(bound);
    expect(largest).toBeGreaterThanOrEqual(maxRecords * 2);
  });
});
