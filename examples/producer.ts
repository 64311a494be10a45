// A service that publishes order events to Kinesis with @kinesis-kit/producer.
//
// - Records are aggregated per shard (KPL format: the Java KCL, Lambda and @kinesis-kit/consumer
//   read them), batched, rate-limited per shard and retried with backoff until their TTL.
// - The ingest loop awaits enqueue(): it runs at the speed Kinesis takes the records, and the
//   producer never holds more than maxBufferedRecords / maxBufferedBytes.
// - Failures reach the `recordFailed` event (enqueue's tickets are dropped here); records that
//   must not be lost silently are put() and awaited.
// - On SIGTERM, close() flushes and waits, but gives up after 10 s (records still outstanding
//   then fail with ABORTED, and are reported like any failure).
import { KinesisProducer, PutRecordError, type PutResult } from '@kinesis-kit/producer';
import type { Logger, Metrics } from '@kinesis-kit/core';

interface OrderEvent {
  readonly orderId: string;
  readonly customerId: string;
  readonly type: 'placed' | 'paid' | 'shipped';
  readonly at: string;
}

declare const orders: AsyncIterable<OrderEvent>; // your source: a queue consumer, a CDC feed, ...
declare const logger: Logger; // e.g. pino: { debug, info, warn, error }
declare const metrics: Metrics; // e.g. a CloudWatch EMF or Prometheus adapter
declare const deadLetters: { save(record: { partitionKey: string; data: Uint8Array }, reason: string): Promise<void> };

const encoder = new TextEncoder();

const producer = new KinesisProducer({
  streamName: 'orders',
  clientConfig: { region: 'eu-west-1' }, // the producer creates the SDK client (maxAttempts 1) and destroys it on close
  ordering: 'per-shard', // each customer's events are stored in the order they were put
  recordTtl: 60_000,
  maxBufferedRecords: 20_000,
  maxBufferedBytes: 32 * 1024 * 1024,
  logger,
  metrics,
});

producer.on('recordFailed', (error: PutRecordError) => {
  logger.error('order event not written', { code: error.code, cause: error.causeCode, attempts: error.attempts.length });
  void deadLetters.save(error.record, `${error.code}: ${error.causeCode}`);
});
producer.on('misroutedAggregate', (event) => logger.warn('stream was resharded; re-sent an aggregate', { ...event }));
producer.on('throttled', ({ shardId, rateFactor }) => logger.info('shard throttled', { shardId, rateFactor }));

function toRecord(event: OrderEvent): { partitionKey: string; data: Uint8Array } {
  return { partitionKey: event.customerId, data: encoder.encode(JSON.stringify(event)) };
}

/** The ingest loop: backpressure through enqueue(), failures through the event above. */
async function publishAll(): Promise<number> {
  let accepted = 0;
  for await (const event of orders) {
    await producer.enqueue(toRecord(event));
    accepted++;
  }
  return accepted;
}

/** A record whose caller needs to know where it went before answering its own client. */
async function publishAndConfirm(event: OrderEvent): Promise<PutResult | undefined> {
  try {
    const result = await producer.put(toRecord(event));
    logger.info('written', { shardId: result.shardId, sequenceNumber: result.sequenceNumber, tries: result.attempts.length });
    return result;
  } catch (error) {
    if (error instanceof PutRecordError && error.retriable) return undefined; // e.g. EXPIRED: ask the client to retry later
    throw error;
  }
}

process.once('SIGTERM', () => {
  void producer.close({ signal: AbortSignal.timeout(10_000) }).then(() => logger.info('producer closed', { state: producer.state }));
});

const accepted = await publishAll();
await publishAndConfirm({ orderId: 'end-of-batch', customerId: 'system', type: 'placed', at: new Date().toISOString() });
await producer.flush();
logger.info('published', { accepted, outstanding: producer.outstandingRecords });
await producer.close();
