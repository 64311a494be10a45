// A Lambda function consuming a Kinesis stream written by the KPL (or by our producer):
// aggregated and plain records alike, with partial batch responses.
//
// The event source mapping must turn partial batch responses on, e.g. in SAM:
//
//   Events:
//     Orders:
//       Type: Kinesis
//       Properties:
//         Stream: !GetAtt OrdersStream.Arn
//         StartingPosition: TRIM_HORIZON
//         BatchSize: 100
//         MaximumRetryAttempts: 10
//         FunctionResponseTypes: [ReportBatchItemFailures]
//
// and `reportBatchItemFailures` below must say the same thing.
import type { KinesisStreamHandler } from 'aws-lambda';
import { kinesisHandler } from '@kinesis-kit/lambda';
import type { BatchResult, CorruptAggregateInfo, KinesisUserRecord, RecordFailure } from '@kinesis-kit/lambda';

interface OrderPlaced {
  readonly orderId: string;
  readonly amountCents: number;
}

/**
 * Your datastore. Writes must be idempotent: when a member of a KPL aggregate fails, the whole
 * aggregate is delivered again, so the members before it are processed twice.
 */
interface OrderStore {
  /** A conditional put keyed by the order id: writing the same order twice is a no-op. */
  putIfAbsent(order: OrderPlaced): Promise<void>;
}

const orders = new Map<string, OrderPlaced>();
const store: OrderStore = {
  async putIfAbsent(order) {
    if (!orders.has(order.orderId)) orders.set(order.orderId, order);
  },
};

/** The order in a record, or undefined for a record that no retry can ever fix. */
function parseOrder(record: KinesisUserRecord): OrderPlaced | undefined {
  try {
    const value: unknown = JSON.parse(record.data.toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { orderId, amountCents } = value as Record<string, unknown>;
    return typeof orderId === 'string' && typeof amountCents === 'number' ? { orderId, amountCents } : undefined;
  } catch {
    return undefined;
  }
}

async function processOrder(record: KinesisUserRecord): Promise<void> {
  const order = parseOrder(record);
  if (order === undefined) {
    // A poison record would fail on every retry and hold the shard up: skip it (or send it to
    // a dead-letter queue of your own) instead of throwing.
    console.warn('Skipping a record that is not an order', {
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
    });
    return;
  }
  await store.putIfAbsent(order);
}

const common = {
  // Must match FunctionResponseTypes: [ReportBatchItemFailures] on the event source mapping.
  reportBatchItemFailures: true,
  logger: console,
  onCorrupt: (info: CorruptAggregateInfo) => {
    console.warn(`corrupt aggregate on ${info.shardId} at ${info.sequenceNumber}: ${info.reason}`);
  },
  onFailure: ({ record }: RecordFailure) => {
    console.error(`failed at ${record.sequenceNumber}/${record.subSequenceNumber}; Lambda resumes there`);
  },
} as const;

/** Record mode: one call per user record, in stream order. A throw stops the invocation. */
export const handler: KinesisStreamHandler = kinesisHandler(processOrder, common);

/**
 * Batch mode: one call with every user record of the event. Here orders are written
 * concurrently and each failure is reported; the wrapper reports the earliest one to Lambda.
 * (Concurrent writes give up per-partition-key ordering; use record mode when order matters.)
 */
export const batchHandler: KinesisStreamHandler = kinesisHandler(
  async (records): Promise<BatchResult> => {
    const outcomes = await Promise.allSettled(records.map(processOrder));
    const failures: RecordFailure[] = [];
    outcomes.forEach((outcome, index) => {
      const record = records[index];
      if (outcome.status === 'rejected' && record !== undefined) failures.push({ record, error: outcome.reason });
    });
    return { failures };
  },
  { ...common, mode: 'batch' },
);
