// One application consuming several streams with one lease table (docs/consumer.md,
// "Multi-stream"). Run the same code on every worker: each takes only the leases of streams it
// consumes, so every worker should be given the same streams (and the same addStream /
// removeStream calls).
import { KinesisConsumer, type ShardRecordProcessor } from '@kinesis-kit/consumer';

declare class BillingProcessor implements ShardRecordProcessor {
  constructor(streamName: string, shardId: string);
  processRecords: ShardRecordProcessor['processRecords'];
  shardEnded: ShardRecordProcessor['shardEnded'];
}

export async function runBilling(): Promise<KinesisConsumer> {
  const consumer = new KinesisConsumer({
    streams: [{ streamName: 'orders' }, { streamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/refunds', initialPosition: 'LATEST' }],
    applicationName: 'billing',
    initialPosition: 'TRIM_HORIZON', // for streams without their own initialPosition
    processor: ({ shardId, streamName }) => new BillingProcessor(streamName, shardId), // ShardInfo also has streamIdentifier
  });
  await consumer.start();
  await consumer.addStream({ streamName: 'chargebacks' }); // 'added' | 'alreadyConsumed'
  await consumer.removeStream('refunds'); // by name or ARN: 'removed' | 'notConsumed'
  return consumer;
}
