import { ConfigurationError, type Metrics } from '@kinesis-kit/core';
import { FAN_OUT_METRICS, LEASE_METRICS, PROCESSING_METRICS, RETRIEVAL_METRICS } from '@kinesis-kit/consumer';
import { METRICS } from '@kinesis-kit/producer';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS, DURATION_BUCKETS_SECONDS, OtelMetrics } from '@kinesis-kit/otel';
import { find, inMemoryOtel, type InMemoryOtel } from './support/in-memory-otel.js';

describe('OtelMetrics', () => {
  let otel: InMemoryOtel | undefined;
  afterEach(async () => {
    await otel?.shutdown();
    otel = undefined;
  });

  it('counts into a counter, keeps the last gauge value, and records timings in seconds with the semantic conventions buckets', async () => {
    otel = inMemoryOtel();
    const metrics: Metrics = otel.metrics;
    metrics.count('kinesisRecordsPut', 3);
    metrics.count('kinesisRecordsPut');
    metrics.gauge('outstandingRecords', 10);
    metrics.gauge('outstandingRecords', 4);
    metrics.timing('requestLatency', 250);
    metrics.timing('requestLatency', 1_500);
    const series = await otel.collect();
    expect(find(series, 'kinesis_kit.producer.kinesis_records.put')).toEqual([
      { name: 'kinesis_kit.producer.kinesis_records.put', unit: '{record}', type: 'counter', attributes: {}, value: 4 },
    ]);
    expect(find(series, 'kinesis_kit.producer.outstanding.messages').map((s) => [s.type, s.unit, s.value])).toEqual([['gauge', '{message}', 4]]);
    const [latency] = find(series, 'messaging.client.operation.duration');
    expect(latency).toMatchObject({ type: 'histogram', unit: 's', value: 1.75, count: 2, boundaries: DURATION_BUCKETS_SECONDS });
    expect(latency!.attributes).toEqual({ 'messaging.system': 'aws_kinesis', 'messaging.operation.name': 'PutRecords', 'messaging.operation.type': 'send' });
  });

  it('maps dimensions to semantic-convention attributes: shard to partition id, code to error.type, DynamoDB operation to db.operation.name', async () => {
    otel = inMemoryOtel({ attributes: { 'messaging.destination.name': 'orders' } });
    otel.metrics.count('userRecordsPut', 5);
    otel.metrics.count('userRecordsFailed', 2, { code: 'EXPIRED' });
    otel.metrics.count('RecordsProcessed', 7, { shardId: 'shardId-000000000001' });
    otel.metrics.count('DynamoDB.Requests', 1, { operation: 'UpdateItem' });
    otel.metrics.count('Leases.Stolen');
    const series = await otel.collect();
    const stream = { 'messaging.destination.name': 'orders', 'messaging.system': 'aws_kinesis' };
    expect(find(series, 'messaging.client.sent.messages').map((s) => [s.attributes, s.value])).toEqual([
      [{ ...stream, 'messaging.operation.name': 'PutRecords', 'messaging.operation.type': 'send' }, 5],
      [{ ...stream, 'messaging.operation.name': 'PutRecords', 'messaging.operation.type': 'send', 'error.type': 'EXPIRED' }, 2],
    ]);
    expect(find(series, 'messaging.client.consumed.messages')[0]!.attributes).toEqual({
      ...stream,
      'messaging.operation.name': 'processRecords',
      'messaging.operation.type': 'process',
      'messaging.destination.partition.id': 'shardId-000000000001',
    });
    expect(find(series, 'kinesis_kit.lease_table.requests')[0]!.attributes).toEqual({
      'messaging.destination.name': 'orders',
      'db.system.name': 'aws.dynamodb',
      'db.operation.name': 'UpdateItem',
    });
    expect(find(series, 'kinesis_kit.consumer.lease.transitions')[0]!.attributes).toMatchObject({ 'kinesis_kit.lease.transition': 'stolen' });
  });

  it('reports a name without a mapping, or a call of another kind than its mapping, on a generic kinesis_kit instrument', async () => {
    otel = inMemoryOtel({ instruments: { 'My.Metric': { name: 'app.my_metric', kind: 'counter', unit: '{thing}', description: 'mine' } } });
    otel.metrics.count('My.Metric', 2);
    otel.metrics.count('Some.NewMetric', 1, { shardId: 's' });
    otel.metrics.timing('Some.NewMetric', 20);
    otel.metrics.gauge('kinesisRecordsPut', 9); // mapped as a counter: never recorded on it
    const series = await otel.collect();
    expect(find(series, 'app.my_metric').map((s) => [s.unit, s.value])).toEqual([['{thing}', 2]]);
    expect(find(series, 'kinesis_kit.some.new_metric').map((s) => [s.type, s.unit, s.value])).toEqual([
      ['counter', '1', 1],
      ['histogram', 's', 0.02],
    ]);
    expect(find(series, 'kinesis_kit.kinesis_records_put').map((s) => [s.type, s.value])).toEqual([['gauge', 9]]);
    expect(find(series, 'kinesis_kit.producer.kinesis_records.put')).toEqual([]);
  });

  it('rejects a missing meter, a bad mapping or an unknown option with a ConfigurationError', () => {
    for (const options of [{}, { meter: {} }, { meter: inMemoryMeter(), instruments: { x: { name: 'x', kind: 'sum', unit: '1', description: '' } } }, { meter: inMemoryMeter(), nope: 1 }]) {
      const error = (() => {
        try {
          new OtelMetrics(options as never);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', retriable: false });
    }
  });

  it('maps every metric the producer and the consumer report, and nothing else', () => {
    const reported = [METRICS, PROCESSING_METRICS, RETRIEVAL_METRICS, FAN_OUT_METRICS, LEASE_METRICS].flatMap((names) => Object.values(names));
    expect(Object.keys(DEFAULT_INSTRUMENTS).sort()).toEqual([...new Set(reported)].sort());
  });
});

/** Passes the meter check; these cases fail on other options before any instrument is created. */
function inMemoryMeter(): unknown {
  return { createCounter: () => undefined, createGauge: () => undefined, createHistogram: () => undefined };
}
