import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError, noopLogger, OperationFailedError } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, randomFaults, testAccountId, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { RETRIEVAL_METRICS } from '../../src/retrieval/metric-names.js';
import { pollingRetrieval } from '../../src/retrieval/polling.js';
import { POLLING_DEFAULTS } from '../../src/retrieval/polling-options.js';
import type { RecordBatch } from '../../src/retrieval/retrieval.js';
import type { IteratorStart } from '../../src/retrieval/kinesis-port.js';
import { RecordingMetrics, drain, putRecords, testPolling, testPort, text, userRecords } from '../support/processing.js';


const texts = (batches: readonly RecordBatch[]): string[] => batches.flatMap((b) => b.records.map(text));
const TRIM_HORIZON: IteratorStart = { type: 'TRIM_HORIZON' };

describe('polling retrieval against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;
  let shardId: string;
  const expected = userRecords(600, 'poll');

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 1, 'polling');
    shardId = (await testPort(client, stream.streamName).listShards())[0]!.shardId;
    await putRecords(client, stream.streamName, expected);
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('delivers every record once, in order, in batches of at most maxRecords', async () => {
    const metrics = new RecordingMetrics();
    const source = testPolling(testPort(client, stream.streamName), { maxRecords: 70 }).open({ shardId, start: TRIM_HORIZON, metrics, logger: noopLogger });
    try {
      const batches = await drain(source, expected.length);
      expect(texts(batches)).toEqual(expected.map(text));
      expect(Math.max(...batches.map((b) => b.records.length))).toBeLessThanOrEqual(70);
      expect(metrics.counter(RETRIEVAL_METRICS.recordsFetched)).toBeGreaterThanOrEqual(expected.length);
      expect(metrics.counter(RETRIEVAL_METRICS.getRecordsCalls)).toBeGreaterThanOrEqual(Math.ceil(expected.length / 70));
    } finally {
      source.close();
    }
  });

  it('survives throttling, 5xx, resets and expired iterators: nothing skipped, nothing repeated', async () => {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    // Every kind of fault, several times, at fixed request numbers (first match wins), plus seeded noise.
    const noise = randomFaults(42, [{ operation: 'GetShardIterator', probability: 0.3, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } }]);
    let getRecords = 0;
    proxy.setPlan((request) => {
      if (request.operation !== 'GetRecords') return noise(request);
      const n = ++getRecords;
      if (n % 5 === 1) return { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' };
      if (n % 7 === 2) return { kind: 'error', status: 500, code: 'InternalFailure' };
      if (n % 11 === 3) return { kind: 'error', status: 400, code: 'ExpiredIteratorException' };
      if (n % 13 === 4) return { kind: 'reset', when: 'after' };
      return undefined;
    });
    const metrics = new RecordingMetrics();
    const retrieval = testPolling(testPort(proxied, stream.streamName), { maxRecords: 25 });
    const source = retrieval.open({ shardId, start: TRIM_HORIZON, metrics, logger: noopLogger });
    try {
      expect(texts(await drain(source, expected.length))).toEqual(expected.map(text));
      expect(metrics.counter(RETRIEVAL_METRICS.throttled)).toBeGreaterThan(0);
      expect(metrics.counter(RETRIEVAL_METRICS.failures)).toBeGreaterThan(0);
      expect(metrics.counter(RETRIEVAL_METRICS.expiredIterators)).toBeGreaterThan(0);
    } finally {
      source.close();
      proxied.destroy();
      await proxy.close();
    }
  });

  it('renews an expired iterator AFTER_SEQUENCE_NUMBER of the last record fetched', async () => {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    let getRecords = 0;
    proxy.setPlan(({ operation }) =>
      operation === 'GetRecords' && ++getRecords % 2 === 0 ? { kind: 'error', status: 400, code: 'ExpiredIteratorException' } : undefined,
    );
    const retrieval = testPolling(testPort(proxied, stream.streamName), { maxRecords: 100 });
    const source = retrieval.open({ shardId, start: TRIM_HORIZON, metrics: new RecordingMetrics(), logger: noopLogger });
    try {
      expect(texts(await drain(source, expected.length))).toEqual(expected.map(text));
      const starts = proxy.log.filter((e) => e.operation === 'GetShardIterator').length;
      expect(starts).toBeGreaterThanOrEqual(Math.floor(expected.length / 100));
    } finally {
      source.close();
      proxied.destroy();
      await proxy.close();
    }
  });

  it('rejects next() with a non-retriable OperationFailedError when the failure will repeat', async () => {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) =>
      operation === 'GetRecords' ? { kind: 'error', status: 400, code: 'AccessDeniedException' } : undefined,
    );
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    const source = testPolling(testPort(proxied, stream.streamName)).open({ shardId, start: TRIM_HORIZON, metrics: new RecordingMetrics(), logger: noopLogger });
    try {
      const error = await source.next().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OperationFailedError);
      expect(error).toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'AccessDeniedException', retriable: false });
    } finally {
      source.close();
      proxied.destroy();
      await proxy.close();
    }
  });

  it('ends the shard with its ChildShards after a split, then refuses next()', async () => {
    const own = await createStream(client, 1, 'polling-split');
    try {
      const [parent] = await testPort(client, own.streamName).listShards();
      await putRecords(client, own.streamName, userRecords(30, 'parent'));
      await client.send(new SplitShardCommand({ StreamName: own.streamName, ShardToSplit: parent!.shardId, NewStartingHashKey: String(2n ** 127n) }));
      await waitForStreamActive(client, own.streamName);
      const retrieval = testPolling(testPort(client, own.streamName), { maxRecords: 7 });
      const source = retrieval.open({ shardId: parent!.shardId, start: TRIM_HORIZON, metrics: new RecordingMetrics(), logger: noopLogger });
      const batches = await drain(source, Number.POSITIVE_INFINITY);
      expect(texts(batches)).toEqual(userRecords(30, 'parent').map(text));
      expect(batches.filter((b) => b.shardEnd !== undefined)).toHaveLength(1);
      expect(batches.at(-1)!.shardEnd!.childShards.map((c) => c.parentShardIds)).toEqual([[parent!.shardId], [parent!.shardId]]);
      await expect(source.next()).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await own.delete();
    }
  });

  it('validates its options at construction', () => {
    const port = testPort(client, stream.streamName);
    expect(() => pollingRetrieval(port, { maxRecords: 10_001 })).toThrow(ConfigurationError);
    expect(() => pollingRetrieval(port, { idleTimeBetweenReadsMillis: -1 })).toThrow(/idleTimeBetweenReadsMillis/);
    expect(() => pollingRetrieval(port, { maxRecrods: 5 } as never)).toThrow(/maxRecrods is not an option/);
    expect(POLLING_DEFAULTS).toMatchObject({ maxRecords: 10_000, idleTimeBetweenReadsMillis: 1_000, minTimeBetweenReadsMillis: 200, maxPrefetchBatches: 3 });
  });
});
