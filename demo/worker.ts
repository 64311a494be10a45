// One consumer worker of the demo, in its own process (started by main.ts with fork). Reports
// every processed batch to the parent over IPC and checkpoints at most every CHECKPOINT_EVERY_MS
// per shard, as applications usually do (so a crash redelivers what came after the last one). SIGTERM stops it gracefully;
// SIGKILL is the crash the demo shows.
import { KinesisConsumer, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { makeClients } from './clients.js';
import { decodePayload, type Delivery, type WorkerConfig, type WorkerMessage } from './protocol.js';

const config = JSON.parse(process.env.DEMO_WORKER ?? '{}') as WorkerConfig;
const send = (message: WorkerMessage): void => {
  if (process.connected) process.send?.(message);
};
const { kinesis, dynamo } = makeClients(config.local, config.region);
const { workerId } = config;
let sessions = 0;
const CHECKPOINT_EVERY_MS = 2_000;

const processor: ShardRecordProcessorFactory = ({ shardId }) => {
  const session = ++sessions;
  let lastCheckpoint = Date.now();
  return {
    async processRecords({ records, checkpointer }) {
      const deliveries: Delivery[] = [];
      for (const r of records) {
        const payload = decodePayload(r.data, config.runId);
        if (payload !== undefined) deliveries.push([payload.k, payload.s, payload.t, r.sequenceNumber, r.subSequenceNumber]);
      }
      send({ type: 'batch', workerId, shardId, session, at: Date.now(), records: deliveries, foreign: records.length - deliveries.length });
      if (Date.now() - lastCheckpoint < CHECKPOINT_EVERY_MS) return;
      await checkpointer.checkpoint();
      lastCheckpoint = Date.now();
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint();
    },
    async shutdownRequested({ checkpointer }) {
      await checkpointer.checkpoint().catch(() => undefined);
    },
  };
};

const consumer = new KinesisConsumer({
  streamName: config.streamName,
  applicationName: config.applicationName,
  workerId,
  kinesisClient: kinesis,
  dynamoDBClient: dynamo,
  initialPosition: 'TRIM_HORIZON',
  processor,
  failoverTimeMillis: config.failoverTimeMillis,
  leaseTakingIntervalMillis: 1_000,
  shardSyncIntervalMillis: 5_000,
  idleTimeBetweenReadsMillis: 200,
  gracefulShutdownTimeoutMillis: 5_000,
});
consumer.on('leaseTaken', (e) => send({ type: 'lease', workerId, shardId: e.shardId, event: 'taken', ...(e.from === undefined ? {} : { from: e.from }) }));
consumer.on('leaseLost', (e) => send({ type: 'lease', workerId, shardId: e.shardId, event: 'lost' }));
consumer.on('leaseReleased', (e) => send({ type: 'lease', workerId, shardId: e.shardId, event: 'released' }));
consumer.on('error', (e) => send({ type: 'error', workerId, source: e.source, message: e.error instanceof Error ? e.error.message : String(e.error) }));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void consumer.stop().finally(() => {
    send({ type: 'stopped', workerId });
    kinesis.destroy();
    dynamo.destroy();
    if (process.connected) process.disconnect();
    process.exitCode = 0;
    // Keep-alive sockets may hold the loop a little longer; the work is done.
    setTimeout(() => process.exit(0), 1_000).unref();
  });
};
process.once('SIGTERM', stop);
// The parent is gone (crashed or killed): stop too rather than linger.
process.once('disconnect', stop);

await consumer.start();
send({ type: 'started', workerId });
