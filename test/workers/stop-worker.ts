// A worker whose processor never finishes processRecords and ignores its signal, for the test of
// a bounded stop(). Configured like consumer-worker.ts (WORKER_ID, KINESIS_ENDPOINT, DYNAMO_ENDPOINT,
// ACCOUNT_ID, STREAM_NAME, APPLICATION_NAME). Prints `processing` at the first processRecords;
// SIGTERM calls stop(), prints `stopped`, destroys the clients and does NOT call process.exit():
// the process must then exit by itself, so a timer or socket the consumer left behind fails the test.
import { KinesisConsumer } from '@kinesis-kit/consumer';
import { emulatorClients, FAST_CONSUMER } from './fixtures.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const workerId = required('WORKER_ID');
const write = (line: object): void => void process.stdout.write(`${JSON.stringify({ workerId, ...line })}\n`);
const { kinesis, dynamo } = emulatorClients(required('KINESIS_ENDPOINT'), required('DYNAMO_ENDPOINT'), required('ACCOUNT_ID'));

const consumer = new KinesisConsumer({
  streamName: required('STREAM_NAME'),
  applicationName: required('APPLICATION_NAME'),
  workerId,
  kinesisClient: kinesis,
  dynamoDBClient: dynamo,
  initialPosition: 'TRIM_HORIZON',
  ...FAST_CONSUMER,
  gracefulShutdownTimeoutMillis: 1_000,
  processor: () => ({
    processRecords: () => {
      write({ type: 'processing' });
      return new Promise<void>(() => undefined); // never settles, and never looks at its signal
    },
    shardEnded: () => undefined,
  }),
});
consumer.on('error', (e) => process.stderr.write(`${workerId} ${e.source}: ${String(e.error)}\n`));

process.once('SIGTERM', () => {
  void consumer.stop().then(() => {
    write({ type: 'stopped', leasesHeld: consumer.stats().leasesHeld });
    kinesis.destroy();
    dynamo.destroy();
  });
});

await consumer.start();
write({ type: 'started' });
