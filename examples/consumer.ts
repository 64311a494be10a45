// A worker of a Kinesis consumer application: run as many copies as you like (on one host or
// many); they share the stream's shards through the DynamoDB lease table `order-indexer`
// (created on first start), which a Java KCL 2.x application could also read.
//
// Deploys: SIGTERM calls stop(), which lets each shard finish its batch, checkpoints in
// shutdownRequested, and releases the leases, so the remaining workers take the shards within
// a couple of seconds instead of waiting for the leases to expire.
import { KinesisConsumer, LeaseLostError, type ConsumerRecord, type ShardRecordProcessor } from '@kinesis-kit/consumer';
import type { Logger, Metrics } from '@kinesis-kit/core';

interface OrderPlaced {
  readonly orderId: string;
  readonly amountCents: number;
}

/**
 * Your datastore. Writes must be idempotent: delivery is at least once (after a failover the new
 * owner resumes at the last checkpoint), so a record can be processed twice.
 */
interface OrderIndex {
  upsert(order: OrderPlaced, position: { sequenceNumber: string; subSequenceNumber: number }, signal: AbortSignal): Promise<void>;
}

declare const index: OrderIndex;
declare const metrics: Metrics; // e.g. a CloudWatch EMF or Prometheus adapter
declare const logger: Logger; // e.g. pino: { debug, info, warn, error }

function parseOrder(record: ConsumerRecord): OrderPlaced | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(record.data)) as Partial<OrderPlaced> | null;
    return typeof value?.orderId === 'string' && typeof value.amountCents === 'number' ? { orderId: value.orderId, amountCents: value.amountCents } : undefined;
  } catch {
    return undefined;
  }
}

function orderProcessor(shardId: string): ShardRecordProcessor {
  return {
    initialize({ startingPosition }) {
      logger.info('shard starting', { shardId, from: startingPosition.sequenceNumber });
    },
    async processRecords({ records, checkpointer, signal }) {
      for (const record of records) {
        const order = parseOrder(record);
        if (order === undefined) {
          logger.warn('skipping a record that is not an order', { shardId, sequenceNumber: record.sequenceNumber });
          continue;
        }
        await index.upsert(order, record, signal); // signal aborts if another worker took the shard
      }
      try {
        await checkpointer.checkpoint(); // everything delivered so far: one conditional write per batch
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error; // lease lost: the new owner takes over from here
      }
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint(); // SHARD_END: without it the child shards never start
    },
    async shutdownRequested({ checkpointer }) {
      await checkpointer.checkpoint(); // stop(): the next owner resumes exactly here
    },
    leaseLost() {
      logger.info('shard taken over by another worker', { shardId });
    },
  };
}

const consumer = new KinesisConsumer({
  streamName: 'orders',
  applicationName: 'order-indexer',
  initialPosition: 'TRIM_HORIZON',
  processor: ({ shardId }) => orderProcessor(shardId),
  metrics,
  logger,
  // Every other option keeps the KCL's default (failoverTimeMillis 10,000, ...); see docs/consumer.md.
  maxRecords: 1_000,
});

consumer.on('leaseTaken', ({ shardId, from }) => logger.info('lease taken', { shardId, from }));
consumer.on('leaseLost', ({ shardId, to }) => logger.warn('lease lost', { shardId, to }));
consumer.on('error', ({ error, source, shardId }) => logger.error('consumer error (retried)', { source, shardId, error: String(error) }));
// What retrieval did about a fault (kinesisRequestTimeoutMillis, pollingStallTimeoutMillis): worth an alert if frequent.
consumer.on('processing', (event) => {
  if (event.type === 'retrievalStalled') logger.warn('shard read stalled; restarted', { shardId: event.shardId, retrieval: event.retrieval });
  else if (event.type === 'shardGone') logger.warn('shard no longer exists; ended it', { shardId: event.shardId, operation: event.operation });
  else if (event.type === 'unconfirmedShardEnd') logger.warn('shard end without children checked', { shardId: event.shardId, listed: event.listed });
});

process.once('SIGTERM', () => {
  consumer.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error('stop failed', { error: String(error) });
      process.exit(1);
    },
  );
});

await consumer.start();
logger.info('consumer started', { workerId: consumer.workerId, table: consumer.tableName });
