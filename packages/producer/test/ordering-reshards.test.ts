// ordering: 'per-shard' across back-to-back reshards, against kinesis-local behind a FaultProxy.
// Key k's record #1 is held in flight on shard A (the proxy delays its PutRecords) while A splits
// into A1 and A2 and then A1 into A1a and A1b, and the producer loads both new maps. Record #2,
// put then, is predicted for A1a: it must not be stored before #1.
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, listAllShards, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../test/harness/index.js';
import { KinesisProducer, type PutResult } from '../src/index.js';
import { readUserRecords } from './support/emulator.js';
import { outOfOrderKeys, payload, track } from './support/setup.js';

const HALF = 2n ** 127n;
/** Hash keys low in each half of the key space: in A, A1, A1a (and B, B1, B1a) through both splits. */
const K = '1000';
const B = String(HALF + 1000n);
/** How long the proxy holds k#1's request: long enough for two reshards and two map loads. */
const HOLD_MS = 15_000;

describe('ordering per shard across back-to-back reshards (kinesis-local)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;
  let proxy: FaultProxy;
  let proxied: KinesisClient;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 2, 'reshard-twice');
    proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    proxied = kinesisClient({ endpoint: proxy.endpoint, accountId });
  });

  afterAll(async () => {
    proxied.destroy();
    await proxy.close();
    await stream.delete();
    client.destroy();
  });

  /** Splits the open shard holding `hashKey` at its midpoint, and waits for the stream. */
  async function splitShardOf(hashKey: string): Promise<void> {
    const shards = await listAllShards(client, stream.streamName);
    const open = shards.find((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined && BigInt(s.HashKeyRange!.StartingHashKey!) <= BigInt(hashKey) && BigInt(hashKey) <= BigInt(s.HashKeyRange!.EndingHashKey!))!;
    const middle = (BigInt(open.HashKeyRange!.StartingHashKey!) + BigInt(open.HashKeyRange!.EndingHashKey!)) / 2n;
    await client.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: open.ShardId!, NewStartingHashKey: String(middle) }));
    await waitForStreamActive(client, stream.streamName);
  }

  it('keeps per-key order when a shard splits twice while a record of the key is in flight', { timeout: 90_000 }, async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: proxied, ordering: 'per-shard', aggregation: false, recordMaxBufferedTime: 10, requestTimeout: HOLD_MS + 20_000, recordTtl: 80_000 });
    let index = 0;
    const put = (key: string, explicitHashKey: string): Promise<PutResult> => producer.put({ partitionKey: key, explicitHashKey, data: payload(key, index++) });
    await Promise.all([put('warm-a', K), put('warm-b', B)]); // the map now holds A and B

    let held = 0;
    proxy.setPlan(({ operation, body }) => {
      const records = (body.Records ?? []) as { PartitionKey?: string }[];
      return operation === 'PutRecords' && records.some((r) => r.PartitionKey === 'k') && held++ === 0 ? { kind: 'delay', ms: HOLD_MS } : undefined;
    });
    const firstPut = put('k', K);
    const first = track([firstPut]);
    await waitFor(() => held === 1, { description: "k#1's request to reach the proxy" });

    // Two reshards, each made known to the producer by a record of B's side landing on a child.
    for (const [generation, shardCount] of [[1, 4], [2, 6]] as const) {
      await splitShardOf(K);
      await splitShardOf(B);
      await put(`b-${generation}`, B);
      await waitFor(() => producer.shardIds.length === shardCount, { description: `the producer to load map ${generation}` });
    }
    expect(first.settled).toBe(0); // k#1 is still in flight on A
    const second = put('k', K);
    const [firstResult, secondResult] = await Promise.all([firstPut, second]);
    await producer.close();

    expect(firstResult.shardId).toBe(secondResult.shardId);
    const read = await readUserRecords(client, stream.streamName);
    expect(outOfOrderKeys(read.filter((r) => r.key === 'k'))).toEqual([]);
    expect(read.filter((r) => r.key === 'k').map((r) => r.index)).toHaveLength(2);
  });
});
