import { ListShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '@kinesis-kit/aggregation';
import { readAllRecords, waitForStreamActive } from '../../../../test/harness/index.js';
import { parsePayload } from './setup.js';

/** Splits the stream's first open shard at its midpoint and waits until the stream is ACTIVE again. */
export async function splitFirstShard(client: KinesisClient, streamName: string): Promise<{ parent: string }> {
  const listed = await client.send(new ListShardsCommand({ StreamName: streamName, ShardFilter: { Type: 'AT_LATEST' } }));
  const shard = listed.Shards![0]!;
  const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
  await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shard.ShardId!, NewStartingHashKey: String((start + end) / 2n) }));
  await waitForStreamActive(client, streamName);
  return { parent: shard.ShardId! };
}

export interface ReadUserRecord {
  readonly key: string;
  readonly index: number;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly aggregated: boolean;
}

/** Every user record in the stream, shard by shard in stream order, de-aggregated with our deaggregate. */
export async function readUserRecords(client: KinesisClient, streamName: string): Promise<ReadUserRecord[]> {
  const records = await readAllRecords(client, streamName);
  return records.flatMap((record) =>
    deaggregate(record).map((user) => ({
      ...parsePayload(user.data),
      partitionKey: user.partitionKey,
      shardId: record.shardId,
      sequenceNumber: user.sequenceNumber,
      subSequenceNumber: user.subSequenceNumber,
      aggregated: user.aggregated,
    })),
  );
}
