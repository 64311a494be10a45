import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { hashKeyOf } from '@kinesis-kit/aggregation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, listAllShards, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { KinesisProducer, MISROUTED_AGGREGATE, type MisroutedAggregateEvent, type PutTicket } from '../src/index.js';
import { readUserRecords, splitFirstShard, type ReadUserRecord } from './support/emulator.js';
import { payload } from './support/setup.js';

/**
 * What a Java KCL 2.x consumer delivers: an aggregate with any member whose hash key lies outside
 * the shard it was read from is dropped whole; plain records are always kept.
 */
async function keptByJavaKcl(client: KinesisClient, streamName: string, read: readonly ReadUserRecord[]): Promise<ReadUserRecord[]> {
  const ranges = new Map((await listAllShards(client, streamName)).map((s) => [s.ShardId!, [BigInt(s.HashKeyRange!.StartingHashKey!), BigInt(s.HashKeyRange!.EndingHashKey!)] as const]));
  const bySequence = new Map<string, ReadUserRecord[]>();
  for (const r of read) {
    const id = `${r.shardId}/${r.sequenceNumber}`;
    bySequence.set(id, [...(bySequence.get(id) ?? []), r]);
  }
  return [...bySequence.values()].flatMap((members) => {
    const [start, end] = ranges.get(members[0]!.shardId)!;
    const outside = members.some((m) => {
      const hashKey = hashKeyOf({ partitionKey: m.partitionKey });
      return hashKey < start || hashKey > end;
    });
    return members[0]!.aggregated && outside ? [] : members;
  });
}

describe('resharding while producing (kinesis-local)', () => {
  let client: KinesisClient;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId: testAccountId() });
    stream = await createStream(client, 2, 'reshard');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('loses nothing when a shard is split: mis-routed aggregates are re-sent whole and the shard map refreshed', async () => {
    const { streamName } = stream;
    const producer = new KinesisProducer({ streamName, kinesisClient: client, aggregation: { maxSize: 1_000 }, recordMaxBufferedTime: 20 });
    const misrouted: MisroutedAggregateEvent[] = [];
    const refreshes: string[] = [];
    producer.on('misroutedAggregate', (event) => misrouted.push(event));
    producer.on('shardMapRefreshed', (event) => refreshes.push(event.reason));
    const tickets: PutTicket[] = [];
    let next = 0;
    const produce = async (count: number): Promise<void> => {
      for (const end = next + count; next < end; next++) {
        tickets.push(await producer.enqueue({ partitionKey: `key-${next % 100}`, data: payload(`key-${next % 100}`, next) }));
      }
    };

    await produce(500);
    await producer.flush(); // the shard map is loaded and now goes stale
    const [{ parent }] = await Promise.all([splitFirstShard(client, streamName), produce(1_000)]);
    await produce(500); // with a map that may still be stale
    await producer.close();

    const results = await Promise.all(tickets.map((t) => t.result));
    expect(results).toHaveLength(2_000);
    expect(misrouted.filter((e) => e.resent).length).toBeGreaterThan(0);
    expect(results.some((r) => r.attempts.some((a) => a.errorCode === MISROUTED_AGGREGATE))).toBe(true);
    expect(refreshes).toContain('shard-mismatch');
    expect(producer.shardIds).toHaveLength(3);
    expect(producer.shardIds).not.toContain(parent);

    const read = await readUserRecords(client, streamName);
    const kept = await keptByJavaKcl(client, streamName, read);
    const keptIds = new Set(kept.map((r) => `${r.key}|${r.index}`));
    for (let i = 0; i < 2_000; i++) expect(keptIds.has(`key-${i % 100}|${i}`)).toBe(true);
    // Every reported result points at a user record a Java KCL consumer actually receives.
    const keptAt = new Set(kept.map((r) => `${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`));
    for (const result of results) expect(keptAt.has(`${result.shardId}/${result.sequenceNumber}/${result.subSequenceNumber}`)).toBe(true);
  });
});
