// Getting started, step 2: consume. Start as many copies as you like: they share the shards
// through the DynamoDB lease table `getting-started-app`, created on first start.
import { KinesisConsumer, type ShardRecordProcessor } from '@kinesis-kit/consumer';
import { dynamoDB, kinesis } from './getting-started-clients.js';

const decoder = new TextDecoder();

function printer(shardId: string): ShardRecordProcessor {
  return {
    async processRecords({ records, checkpointer }) {
      for (const record of records) {
        console.log(`${shardId} ${record.partitionKey} ${decoder.decode(record.data)}`);
      }
      await checkpointer.checkpoint(); // everything delivered so far is done
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint(); // required: a split or merged shard's children start after this
    },
    async shutdownRequested({ checkpointer }) {
      await checkpointer.checkpoint(); // stop(): the next worker resumes exactly here
    },
  };
}

const consumer = new KinesisConsumer({
  streamName: process.env.STREAM_NAME ?? 'getting-started',
  applicationName: 'getting-started-app', // also the lease table's name
  initialPosition: 'TRIM_HORIZON', // a new application starts at the oldest record
  processor: ({ shardId }) => printer(shardId),
  kinesisClient: kinesis,
  dynamoDBClient: dynamoDB,
});

process.once('SIGINT', () => {
  void consumer.stop().then(() => {
    kinesis.destroy();
    dynamoDB.destroy();
  });
});

await consumer.start();
console.log(`worker ${consumer.workerId} started; Ctrl-C to stop`);
