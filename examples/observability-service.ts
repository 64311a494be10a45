// CloudWatch metrics from a long-running consumer (ECS, EC2, Kubernetes): EMF documents go to
// stdout once a minute; ship stdout with a log agent that understands EMF (the CloudWatch agent,
// or a FireLens/Fluent Bit route to CloudWatch Logs configured for EMF).
import { KinesisConsumer, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { EmfMetrics, type Logger } from '@kinesis-kit/core';

declare const processor: ShardRecordProcessorFactory; // yours: see examples/consumer.ts
declare const logger: Logger; // e.g. pino, adapted: { info: (message, fields) => pino.info(fields ?? {}, message), ... }

const metrics = new EmfMetrics({
  namespace: 'OrderIndexer',
  dimensions: { application: 'order-indexer' }, // added to every metric; keep cardinality low
  write: (line) => process.stdout.write(line),
  flushIntervalMs: 60_000, // the default: one document per dimension set per minute
});

const consumer = new KinesisConsumer({
  streamName: 'orders',
  applicationName: 'order-indexer',
  initialPosition: 'TRIM_HORIZON',
  processor,
  metrics,
  logger,
});

process.once('SIGTERM', () => {
  void consumer.stop().finally(() => metrics.close()); // close() flushes what is buffered
});

await consumer.start();
