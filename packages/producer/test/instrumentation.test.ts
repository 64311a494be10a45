import type { Dimensions, Logger, Metrics } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { METRICS, type RequestEvent, type RetryEvent } from '../src/index.js';
import { fakeProducer, payload, track } from './support/setup.js';

class RecordingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly timings = new Map<string, number[]>();
  count(name: string, value = 1, dimensions?: Dimensions): void {
    const key = dimensions === undefined ? name : `${name}${JSON.stringify(dimensions)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }
  timing(name: string, ms: number): void {
    this.timings.set(name, [...(this.timings.get(name) ?? []), ms]);
  }
}

describe('instrumentation', () => {
  it('reports user and Kinesis records, bytes, latency, buffering time, retries, throttles and errors by code', async () => {
    const metrics = new RecordingMetrics();
    const { clock, fake, producer } = fakeProducer({ shards: 1, metrics, backoff: { initialDelayMs: 10 } });
    fake.plan = (i) => (i === 0 ? { kind: 'partial', code: () => 'ProvisionedThroughputExceededException' } : { kind: 'ok' });
    const requests: RequestEvent[] = [];
    const retries: RetryEvent[] = [];
    producer.on('request', (event) => requests.push(event));
    producer.on('retry', (event) => retries.push(event));
    const puts = track(Array.from({ length: 10 }, (_, i) => producer.put({ partitionKey: `k${i}`, data: payload('k', i) })));
    void producer.put({ partitionKey: '', data: payload('k', 0) });
    await clock.runUntil(() => puts.settled === 10, 2_000);
    await producer.close();

    expect(metrics.counts.get(METRICS.userRecordsPut)).toBe(10);
    expect(metrics.counts.get(METRICS.kinesisRecordsPut)).toBe(1);
    expect(metrics.counts.get(METRICS.bytesPut)).toBe(fake.stored[0]!.record.data.length + 1);
    expect(metrics.counts.get(METRICS.retries)).toBe(10);
    expect(metrics.counts.get(METRICS.throttles)).toBe(1);
    expect(metrics.counts.get(`${METRICS.errors}{"code":"ProvisionedThroughputExceededException"}`)).toBe(1);
    expect(metrics.counts.get(`${METRICS.userRecordsFailed}{"code":"INVALID_PARTITION_KEY"}`)).toBe(1);
    expect(metrics.timings.get(METRICS.requestLatency)).toHaveLength(2);
    expect(metrics.timings.get(METRICS.bufferingTime)![0]).toBe(100); // waited recordMaxBufferedTime
    expect(metrics.gauges.get(METRICS.outstandingRecords)).toBe(0);
    expect(requests.map((r) => [r.kinesisRecords, r.userRecords, r.failedKinesisRecords])).toEqual([
      [1, 10, 1],
      [1, 10, 0],
    ]);
    expect(retries).toEqual([{ shardId: 'shardId-000000000000', userRecords: 10, errorCode: 'ProvisionedThroughputExceededException', delayMs: expect.any(Number) }]);
  });

  it('logs a listener that throws and carries on', async () => {
    const errors: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (message) => errors.push(message) };
    const { clock, producer } = fakeProducer({ logger });
    producer.on('request', () => {
      throw new Error('listener bug');
    });
    const put = track([producer.put({ partitionKey: 'k', data: payload('k', 1) })]);
    await clock.runUntil(() => put.settled === 1, 1_000);
    expect(put.fulfilled).toHaveLength(1);
    expect(errors).toEqual(['kinesis producer: an event listener threw']);
    await producer.close();
  });
});
