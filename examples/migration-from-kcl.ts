// A Java KCL 2.x application and the same consumer with @kinesis-kit/consumer, on the same lease
// table. The Java side (ConfigsBuilder + LeaseManagementConfig):
//
//   new ConfigsBuilder("orders", "order-indexer", kinesisClient, dynamoClient, cloudWatchClient,
//       workerId, new OrderProcessorFactory());
//   leaseManagementConfig.failoverTimeMillis(10_000).maxLeasesForWorker(50)
//       .maxLeasesToStealAtOneTime(1);
//   retrievalConfig.initialPositionInStreamExtended(TRIM_HORIZON);
//   pollingConfig.maxRecords(1_000).idleTimeBetweenReadsInMillis(1_000);
import { KinesisConsumer, type ShardRecordProcessor } from '@kinesis-kit/consumer';

// ShardRecordProcessor: initialize, processRecords, leaseLost, shardEnded, shutdownRequested.
const processor = (): ShardRecordProcessor => ({
  async processRecords({ records, checkpointer }) {
    for (const record of records) void record.data; // your logic
    await checkpointer.checkpoint();
  },
  async shardEnded({ checkpointer }) {
    await checkpointer.checkpoint(); // as in Java: shardEndedInput.checkpointer().checkpoint()
  },
  async shutdownRequested({ checkpointer }) {
    await checkpointer.checkpoint();
  },
});

const consumer = new KinesisConsumer({
  streamName: 'orders',
  applicationName: 'order-indexer', // the same table: the Java workers' leases and checkpoints are used
  initialPosition: 'TRIM_HORIZON',
  processor,
  failoverTimeMillis: 10_000, // must agree with the Java workers while both run
  maxLeasesForWorker: 50,
  maxRecords: 1_000,
  idleTimeBetweenReadsMillis: 1_000,
  // While Java KCL 2.x and TypeScript workers share the table, speak the KCL 2.x protocol (scan,
  // renew, take, steal; the default 'fleet' coordination does not renew leases, so the Java
  // workers would take them) and steal like the KCL (one lease per round) so the two balancing
  // rules do not trade leases back and forth. Drop these three lines once the Java workers are
  // gone, with a full stop of the fleet (docs/consumer.md, "When to use coordination: 'kcl2'").
  coordination: 'kcl2',
  maxLeasesToStealAtOneTime: 1,
  leaseTakingIntervalMillis: 20_050,
});

await consumer.start();
