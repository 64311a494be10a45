// Powertools for AWS Lambda with a Kinesis stream written by the KPL (or our producer):
// `KplBatchProcessor` in place of `new BatchProcessor(EventType.KinesisDataStreams)`, and
// Powertools' Logger as the logger of @kinesis-kit/lambda.
//
// npm install @aws-lambda-powertools/batch @aws-lambda-powertools/logger
// The event source mapping needs FunctionResponseTypes: [ReportBatchItemFailures].
import { processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamHandler } from 'aws-lambda';
import type { KinesisUserRecord } from '@kinesis-kit/lambda';
import { KplBatchProcessor } from '@kinesis-kit/lambda/powertools';

const logger = new Logger({ serviceName: 'orders' });
// One per container: it keeps nothing between invocations.
const processor = new KplBatchProcessor({ logger });

declare const store: { putIfAbsent(orderId: string, body: unknown): Promise<void> }; // idempotent

// Called once per user record, in stream order; a throw stops the batch there.
async function recordHandler(record: KinesisUserRecord, context: Context | undefined): Promise<void> {
  const order = JSON.parse(record.data.toString('utf8')) as { orderId: string };
  logger.debug('order', { orderId: order.orderId, requestId: context?.awsRequestId });
  await store.putIfAbsent(order.orderId, order);
}

export const handler: KinesisStreamHandler = async (event, context) =>
  processPartialResponse(event, recordHandler, processor, { context });
