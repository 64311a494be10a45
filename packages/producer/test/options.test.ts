import { ConfigurationError } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { PRODUCER_DEFAULTS, PRODUCER_OPTIONS, resolveProducerConfig } from '../src/options.js';

describe('producer options', () => {
  it('default to the KPL values', () => {
    expect(PRODUCER_DEFAULTS).toMatchObject({
      recordMaxBufferedTime: 100,
      recordTtl: 30_000,
      aggregation: { enabled: true, maxSize: 51_200, maxCount: 4_294_967_295 },
      collectionMaxCount: 500,
      collectionMaxSize: 5 * 1024 * 1024,
      maxConcurrentRequests: 24,
      rateLimit: 150,
      failIfThrottled: false,
      maxRecordSize: 1024 * 1024,
      requestTimeout: 6_000,
      ordering: 'none',
    });
  });

  it('name the KPL option each one maps to', () => {
    expect(PRODUCER_OPTIONS.recordMaxBufferedTime.javaName).toBe('RecordMaxBufferedTime');
    expect(PRODUCER_OPTIONS['aggregation.maxSize'].javaName).toBe('AggregationMaxSize');
    expect(PRODUCER_OPTIONS.maxConcurrentRequests.javaName).toBe('MaxConnections');
  });

  it('accept nested aggregation and backoff objects, and `aggregation: false`', () => {
    const config = resolveProducerConfig({ aggregation: { maxSize: 4_096 }, backoff: { jitter: 'equal', maxDelayMs: 1_000 } });
    expect(config.aggregation).toEqual({ enabled: true, maxSize: 4_096, maxCount: 4_294_967_295 });
    expect(config.backoff).toEqual({ initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 'equal' });
    expect(resolveProducerConfig({ aggregation: false }).aggregation.enabled).toBe(false);
    expect(resolveProducerConfig({ maxRecordSize: 10 * 1024 * 1024 }).maxRecordSize).toBe(10 * 1024 * 1024);
  });

  it("accept maxRecordSize 'auto' (aggregation.maxSize is then capped by the stream's limit, not checked against it) and the 10 MiB PutRecords request limit", () => {
    const config = resolveProducerConfig({ maxRecordSize: 'auto', aggregation: { maxSize: 10 * 1024 * 1024 }, collectionMaxSize: 10 * 1024 * 1024 });
    expect(config.maxRecordSize).toBe('auto');
    expect(config.aggregation.maxSize).toBe(10 * 1024 * 1024);
    expect(config.collectionMaxSize).toBe(10 * 1024 * 1024);
  });

  it.each([
    [{ recordMaxBufferedTime: -1 }, 'recordMaxBufferedTime must be an integer from 0 to 60000'],
    [{ recordTtl: 1.5 }, 'recordTtl must be an integer'],
    [{ collectionMaxCount: 501 }, 'collectionMaxCount must be an integer from 1 to 500'],
    [{ collectionMaxSize: 10 * 1024 * 1024 + 1 }, 'collectionMaxSize must be an integer from 1 to 10485760'],
    [{ aggregation: { maxSize: 10 } }, 'aggregation.maxSize must be an integer from 64'],
    [{ aggregation: { level: 3 } }, 'aggregation.level is not an option of KinesisProducer'],
    [{ aggregation: 'yes' }, 'aggregation is not an option of KinesisProducer'],
    [{ rateLimit: 0 }, 'rateLimit must be an integer from 1'],
    [{ failIfThrottled: 'no' }, 'failIfThrottled must be true or false'],
    [{ maxRecordSize: 11 * 1024 * 1024 }, "maxRecordSize must be 'auto' or an integer from 1 to 10485760"],
    [{ maxRecordSize: 'stream' }, "maxRecordSize must be 'auto' or an integer from 1 to 10485760"],
    [{ ordering: 'per-key' }, "ordering must be one of 'none', 'per-shard'"],
    [{ backoff: { jitter: 'some' } }, "backoff.jitter must be one of 'full', 'equal', 'none'"],
    [{ recordTTL: 5 }, 'recordTTL is not an option of KinesisProducer'],
    [{ recordMaxBufferedTime: 500, recordTtl: 500 }, 'recordMaxBufferedTime must be less than recordTtl'],
    [{ aggregation: { maxSize: 2_000_000 } }, 'aggregation.maxSize must be less than maxRecordSize'],
    [{ maxBufferedBytes: 1_000 }, 'maxBufferedBytes must be at least maxRecordSize'],
    [{ maxRecordSize: 'auto', maxBufferedBytes: 5 * 1024 * 1024 }, "maxBufferedBytes must be at least maxRecordSize (10 MiB with 'auto')"],
    [{ backoff: { initialDelayMs: 2_000, maxDelayMs: 1_000 } }, 'backoff.initialDelayMs must not exceed backoff.maxDelayMs'],
  ])('reject %j at construction', (input, message) => {
    const attempt = () => resolveProducerConfig(input as Record<string, unknown>);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(message);
  });

  it('report every problem at once', () => {
    expect(() => resolveProducerConfig({ rateLimit: 0, collectionMaxCount: 0 })).toThrow(/collectionMaxCount.*rateLimit/);
  });
});
