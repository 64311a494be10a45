import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { listAllShards } from './resources.js';

export interface ReadRecord extends _Record {
  readonly shardId: string;
}

/**
 * Reads every record now in the stream, shard by shard from TRIM_HORIZON, with the plain SDK
 * (no code under test). A shard is done when a read returns nothing and the iterator is caught
 * up (MillisBehindLatest 0) or the shard is closed (no next iterator).
 */
export async function readAllRecords(client: KinesisClient, streamName: string): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  for (const shard of await listAllShards(client, streamName)) {
    const shardId = shard.ShardId ?? '';
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    let iterator = ShardIterator;
    while (iterator !== undefined) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) records.push({ ...record, shardId });
      const empty = (page.Records ?? []).length === 0;
      iterator = empty && page.MillisBehindLatest === 0 ? undefined : page.NextShardIterator;
    }
  }
  return records;
}
