import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { MAX_HASH_KEY } from '@kinesis-kit/aggregation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { sdkWritePort, type ShardDescription } from '../src/index.js';
import { splitFirstShard } from './support/emulator.js';

const signal = (): AbortSignal => new AbortController().signal;

/** The listed ranges, sorted, cover 0..2^128-1 without gap or overlap. */
function expectFullCoverage(shards: readonly ShardDescription[]): void {
  const sorted = [...shards].sort((a, b) => (a.hashKeyRange.startingHashKey < b.hashKeyRange.startingHashKey ? -1 : 1));
  let next = 0n;
  for (const shard of sorted) {
    expect(shard.hashKeyRange.startingHashKey).toBe(next);
    next = shard.hashKeyRange.endingHashKey + 1n;
  }
  expect(next).toBe(MAX_HASH_KEY + 1n);
}

describe('sdkWritePort (kinesis-local)', () => {
  let client: KinesisClient;
  let stream: TestStream;
  let accountId: string;

  beforeAll(async () => {
    accountId = testAccountId();
    client = kinesisClient({ accountId });
    stream = await createStream(client, 5, 'port');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('lists every open shard across pages, by name or by ARN', async () => {
    const byName = await sdkWritePort(client, { streamName: stream.streamName }, { listShardsPageSize: 2 }).listShards(signal());
    expect(byName).toHaveLength(5);
    expectFullCoverage(byName);
    const byArn = await sdkWritePort(client, { streamARN: stream.streamARN }, { listShardsPageSize: 3 }).listShards(signal());
    expect(byArn.map((s) => s.shardId)).toEqual(byName.map((s) => s.shardId));
  });

  it('lists only the open shards after a split (ShardFilter AT_LATEST), with their parents', async () => {
    const { parent } = await splitFirstShard(client, stream.streamName);
    const shards = await sdkWritePort(client, { streamName: stream.streamName }, { listShardsPageSize: 2 }).listShards(signal());
    expect(shards).toHaveLength(6);
    expect(shards.map((s) => s.shardId)).not.toContain(parent);
    expect(shards.filter((s) => s.parentShardId === parent)).toHaveLength(2);
    expectFullCoverage(shards);
  });

  it('maps PutRecords results in request order', async () => {
    const port = sdkWritePort(client, { streamName: stream.streamName });
    const results = await port.putRecords(
      [
        { partitionKey: 'a', data: new Uint8Array([1]) },
        { partitionKey: 'b', explicitHashKey: '0', data: new Uint8Array([2]) },
      ],
      signal(),
    );
    expect(results).toHaveLength(2);
    for (const result of results) expect(result).toEqual({ shardId: expect.stringMatching(/^shardId-/), sequenceNumber: expect.stringMatching(/^\d+$/) });
  });

  it('writes what its own PutRecords serializer encodes, byte for byte, by name and by ARN', async () => {
    const target = await createStream(client, 1, 'serde');
    try {
      // Every byte value, a view into a larger buffer, a Node Buffer, and keys JSON has to escape.
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const backing = Uint8Array.from({ length: 300 }, (_, i) => 255 - (i % 256));
      const keys = ['quote"back\\slash', 'tab\tnew\nline\u0001', 'ключ-😀-€', 'plain'];
      const records = [
        { partitionKey: keys[0]!, data: all },
        { partitionKey: keys[1]!, data: backing.subarray(7, 290), explicitHashKey: '0' },
        { partitionKey: keys[2]!, data: Buffer.from('a Node Buffer') },
        { partitionKey: keys[3]!, data: new Uint8Array([0]) },
      ];
      const byName = await sdkWritePort(client, { streamName: target.streamName }).putRecords(records, signal());
      const byArn = await sdkWritePort(client, { streamARN: target.streamARN }).putRecords(records, signal());
      const read = await readAllRecords(client, target.streamName);
      const bySequence = new Map(read.map((r) => [r.SequenceNumber, r]));
      for (const [i, result] of [...byName, ...byArn].entries()) {
        const stored = bySequence.get(result.sequenceNumber);
        const sent = records[i % records.length]!;
        expect(stored?.PartitionKey).toBe(sent.partitionKey);
        expect(Buffer.from(stored!.Data!).equals(Buffer.from(sent.data.buffer, sent.data.byteOffset, sent.data.byteLength))).toBe(true);
      }
      expect(read).toHaveLength(8);
    } finally {
      await target.delete();
    }
  });

  it('passes the abort signal to the SDK call', async () => {
    const port = sdkWritePort(client, { streamName: stream.streamName });
    await expect(port.putRecords([{ partitionKey: 'a', data: new Uint8Array([1]) }], AbortSignal.abort())).rejects.toThrow();
  });

  it("logs PutRecords through the client's logger without the records (the SDK's default walks and logs every entry)", async () => {
    const lines: unknown[] = [];
    const log = (entry: unknown): void => void lines.push(entry);
    const logged = kinesisClient({ accountId }, { logger: { debug: log, info: log, warn: log, error: log } });
    const port = sdkWritePort(logged, { streamName: stream.streamName });
    const results = await port.putRecords([{ partitionKey: 'secret-key', data: new TextEncoder().encode('secret-payload') }], signal());
    await expect(port.putRecords([{ partitionKey: 'a', data: new Uint8Array([1]) }], AbortSignal.abort())).rejects.toThrow();
    logged.destroy();
    expect(results).toHaveLength(1);
    const text = JSON.stringify(lines);
    expect(text).toContain('PutRecordsCommand');
    for (const secret of ['secret-key', 'secret-payload', Buffer.from('secret-payload').toString('base64')]) expect(text).not.toContain(secret);
  });
});
