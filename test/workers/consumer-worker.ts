// One KinesisConsumer worker in its own process, for the separate-process tests and the lease
// benchmark. Run through the TypeScript loader:
//   node --conditions=kinesis-kit-source --import ./test/workers/ts-loader.mjs test/workers/consumer-worker.ts
// Configured by environment variables (below). Writes one JSON object per line on stdout: every
// report of its processor and the lease events. SIGTERM stops it gracefully (stop(), then exit 0);
// SIGKILL is the crash the tests are about.
// STUCK_PROCESSOR=1: the processor reports `processing` at its first processRecords, which then
// never settles and ignores its signal; SIGTERM then calls stop(), reports `stopped` and destroys
// the clients but does NOT exit: the process must exit by itself (the bounded-stop test).
import { KinesisConsumer, type ConsumerTunables, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { emulatorClients, FAST_CONSUMER, reportingProcessor } from './fixtures.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const workerId = required('WORKER_ID');
const tunables: ConsumerTunables = { ...FAST_CONSUMER, ...(JSON.parse(process.env.CONSUMER_TUNABLES ?? '{}') as ConsumerTunables) };
const { kinesis, dynamo } = emulatorClients(required('KINESIS_ENDPOINT'), required('DYNAMO_ENDPOINT'), required('ACCOUNT_ID'));
const write = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const stuck = process.env.STUCK_PROCESSOR === '1';
const stuckProcessor: ShardRecordProcessorFactory = () => ({
  processRecords: () => {
    write({ type: 'processing', workerId });
    return new Promise<void>(() => undefined);
  },
  shardEnded: () => undefined,
});

const consumer = new KinesisConsumer({
  streamName: required('STREAM_NAME'),
  applicationName: required('APPLICATION_NAME'),
  workerId,
  kinesisClient: kinesis,
  dynamoDBClient: dynamo,
  initialPosition: 'TRIM_HORIZON',
  processor: stuck ? stuckProcessor : reportingProcessor(workerId, write),
  ...tunables,
});
consumer.on('leaseTaken', (e) => write({ type: 'leaseTaken', workerId, ...e }));
consumer.on('leaseLost', (e) => write({ type: 'leaseLost', workerId, ...e }));
consumer.on('leaseReleased', (e) => write({ type: 'leaseReleased', workerId, ...e }));
consumer.on('error', (e) => process.stderr.write(`${workerId} ${e.source}: ${String(e.error)}\n`));

process.once('SIGTERM', () => {
  void consumer.stop().then(
    () => {
      write({ type: 'stopped', workerId, leasesHeld: consumer.stats().leasesHeld, dynamoDBRequests: consumer.stats().dynamoDBRequests });
      kinesis.destroy();
      dynamo.destroy();
      if (!stuck) process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${workerId} stop failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});

await consumer.start();
write({ type: 'started', workerId });
setInterval(() => write({ type: 'stats', ...consumer.stats() }), 500).unref();
