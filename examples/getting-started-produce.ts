// Getting started, step 1: produce. Run with KINESIS_ENDPOINT set for the emulators, or with
// your AWS credentials and region in the environment for AWS.
import { CreateStreamCommand, ResourceInUseException, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@kinesis-kit/producer';
import { kinesis } from './getting-started-clients.js';

const streamName = process.env.STREAM_NAME ?? 'getting-started';

// Once per stream (on AWS you may prefer the console or your infrastructure code).
await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 })).catch((error: unknown) => {
  if (!(error instanceof ResourceInUseException)) throw error; // it exists already
});
await waitUntilStreamExists({ client: kinesis, maxWaitTime: 120 }, { StreamName: streamName });

const producer = new KinesisProducer({ streamName, kinesisClient: kinesis });

// put() resolves once the record is durably written, with where it went.
const first = await producer.put({ partitionKey: 'customer-1', data: new TextEncoder().encode('{"order":1}') });
console.log(`written to ${first.shardId} at ${first.sequenceNumber}`);

// enqueue() resolves once the record is accepted into the buffer (backpressure).
for (let i = 2; i <= 100; i++) {
  await producer.enqueue({ partitionKey: `customer-${i % 10}`, data: new TextEncoder().encode(`{"order":${i}}`) });
}

await producer.close(); // flushes and waits until every record is written (or failed)
kinesis.destroy();
