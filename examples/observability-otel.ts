// OpenTelemetry metrics from a producer and a consumer. The application sets up the OTel SDK
// as usual (a MeterProvider with an OTLP or Prometheus exporter, registered globally);
// kinesis-kit only needs a Meter from @opentelemetry/api, its peer dependency.
import { metrics } from '@opentelemetry/api';
import { KinesisConsumer, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { OtelMetrics } from '@kinesis-kit/otel';
import { KinesisProducer } from '@kinesis-kit/producer';

declare const processor: ShardRecordProcessorFactory; // yours: see examples/consumer.ts

const otelMetrics = new OtelMetrics({
  meter: metrics.getMeter('kinesis-kit'),
  // Added to every value; messaging.destination.name is the semantic conventions' stream name.
  attributes: { 'messaging.destination.name': 'orders' },
});

const producer = new KinesisProducer({ streamName: 'orders', metrics: otelMetrics });
const consumer = new KinesisConsumer({
  streamName: 'orders',
  applicationName: 'order-indexer',
  initialPosition: 'TRIM_HORIZON',
  processor,
  metrics: otelMetrics,
});

await consumer.start();
await producer.put({ partitionKey: 'order-42', data: new TextEncoder().encode('{"total":42}') });
