// CloudWatch metrics from a Lambda function that reads one stream and writes another: the
// producer's metrics go out as Embedded Metric Format on stdout, which Lambda ships to
// CloudWatch Logs, where they become metrics. No SDK call, no extra dependency.
import { EmfMetrics, type Logger } from '@kinesis-kit/core';
import { kinesisHandler } from '@kinesis-kit/lambda';
import { KinesisProducer } from '@kinesis-kit/producer';

const metrics = new EmfMetrics({
  namespace: 'OrderEnricher',
  dimensions: { stream: 'orders-enriched' },
  write: (line) => process.stdout.write(line),
  flushIntervalMs: 0, // Lambda freezes between invocations: flush at the end of each instead
});

// One JSON line per log call on stdout; Lambda sends it to the function's log group.
const logger: Logger = {
  debug: () => undefined,
  info: (message, fields) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (message, fields) => console.log(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.log(JSON.stringify({ level: 'error', message, ...fields })),
};

// Created once per container, reused across invocations.
const producer = new KinesisProducer({ streamName: 'orders-enriched', metrics, logger, recordMaxBufferedTime: 20 });

export const handler = kinesisHandler(
  async (records) => {
    try {
      await Promise.all(records.map((record) => producer.put({ partitionKey: record.partitionKey, data: record.data })));
    } finally {
      metrics.flush(); // before Lambda freezes the container
    }
  },
  { mode: 'batch', reportBatchItemFailures: false, logger },
);
