import http from 'node:http';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { hashKeyOf } from '@kinesis-kit/aggregation';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStream, kinesisClient, listAllShards, seededRandom, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { KinesisProducer, type PutRecordError, type PutResult } from '../src/index.js';
import { readUserRecords, splitFirstShard, type ReadUserRecord } from './support/emulator.js';
import { outOfOrderKeys, payload } from './support/setup.js';

const keyOf = (r: { key: string; index: number }): string => `${r.key}|${r.index}`;

/** Each result points at the record that carries exactly that user record. */
function expectResultsMatchStream(results: readonly (PutResult & { id: string })[], read: readonly ReadUserRecord[]): void {
  const at = new Map(read.map((r) => [`${r.sequenceNumber}/${r.subSequenceNumber}`, r]));
  for (const result of results) {
    const found = at.get(`${result.sequenceNumber}/${result.subSequenceNumber}`);
    expect(found && keyOf(found)).toBe(result.id);
    expect(found?.shardId).toBe(result.shardId);
  }
}

describe('KinesisProducer against kinesis-local', () => {
  let accountId: string;
  let client: KinesisClient;
  const streams: TestStream[] = [];

  beforeAll(() => {
    accountId = testAccountId();
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    client.destroy();
  });

  async function stream(shards: number): Promise<TestStream> {
    const created = await createStream(client, shards, 'producer');
    streams.push(created);
    return created;
  }

  async function putAll(producer: KinesisProducer, records: readonly { key: string; index: number; partitionKey?: string }[]) {
    const results = await Promise.all(
      records.map(async ({ key, index, partitionKey }) => ({ ...(await producer.put({ partitionKey: partitionKey ?? key, data: payload(key, index) })), id: `${key}|${index}` })),
    );
    await producer.close();
    return results;
  }

  it('writes thousands of aggregated records over several shards; reading back gives exactly the payloads', async () => {
    const { streamName } = await stream(4);
    const random = seededRandom(1);
    const keys = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `ключ-${i}-😀` : `key-${i}`));
    const records = Array.from({ length: 4_000 }, (_, index) => ({ key: keys[Math.floor(random() * keys.length)]!, index }));
    const producer = new KinesisProducer({ streamName, kinesisClient: client });
    const results = await putAll(producer, records);
    const read = await readUserRecords(client, streamName);
    expect(read.map(keyOf).sort()).toEqual(records.map(keyOf).sort());
    expect(new Set(read.map((r) => r.shardId)).size).toBe(4);
    expect(read.every((r) => r.partitionKey === r.key)).toBe(true);
    expect(read.filter((r) => r.aggregated).length).toBeGreaterThan(3_900);
    expectResultsMatchStream(results, read);
    expect(results.every((r) => r.attempts.length === 1 && r.attempts[0]!.errorCode === undefined)).toBe(true);
  });

  it('sends one user record per Kinesis record with aggregation off, still batched', async () => {
    const { streamName, streamARN } = await stream(2);
    const records = Array.from({ length: 1_000 }, (_, index) => ({ key: `key-${index % 50}`, index }));
    const producer = new KinesisProducer({ streamARN, kinesisClient: client, aggregation: false });
    let requests = 0;
    producer.on('request', () => requests++);
    const results = await putAll(producer, records);
    const read = await readUserRecords(client, streamName);
    expect(read.map(keyOf).sort()).toEqual(records.map(keyOf).sort());
    expect(read.every((r) => !r.aggregated && r.subSequenceNumber === 0)).toBe(true);
    expect(requests).toBeLessThanOrEqual(4);
    expectResultsMatchStream(results, read);
  });

  it('stores each key in put order with ordering per-shard', async () => {
    const { streamName } = await stream(3);
    const records = Array.from({ length: 2_000 }, (_, index) => ({ key: `key-${index % 30}`, index }));
    const producer = new KinesisProducer({ streamName, kinesisClient: client, ordering: 'per-shard', aggregation: { maxSize: 2_000 } });
    const results = await putAll(producer, records);
    const read = await readUserRecords(client, streamName);
    expect(read.map(keyOf).sort()).toEqual(records.map(keyOf).sort());
    expect(outOfOrderKeys(read)).toEqual([]);
    expectResultsMatchStream(results, read);
  });

  it('refuses an invalid record alone, with a typed error, and writes the others', async () => {
    const { streamName } = await stream(1);
    const producer = new KinesisProducer({ streamName, kinesisClient: client, maxRecordSize: 2_000, aggregation: { maxSize: 1_000 } });
    const outcomes = await Promise.allSettled([
      producer.put({ partitionKey: 'ok-1', data: payload('ok-1', 1) }),
      producer.put({ partitionKey: '', data: payload('bad', 2) }),
      producer.put({ partitionKey: 'k', explicitHashKey: '007', data: payload('bad', 3) }),
      producer.put({ partitionKey: 'k', data: new Uint8Array(2_000) }),
      producer.put({ partitionKey: 'ok-2', data: payload('ok-2', 5) }),
    ]);
    await producer.close();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as PutRecordError).code)).toEqual([
      'INVALID_PARTITION_KEY',
      'INVALID_EXPLICIT_HASH_KEY',
      'RECORD_TOO_LARGE',
    ]);
    expect((await readUserRecords(client, streamName)).map(keyOf).sort()).toEqual(['ok-1|1', 'ok-2|5']);
  });

  it('creates, configures (maxAttempts 1) and destroys its own client when none is injected', async () => {
    const { streamName } = await stream(1);
    const producer = new KinesisProducer({
      streamName,
      clientConfig: {
        endpoint: inject('kinesisEndpoint'),
        region: 'us-east-1',
        maxAttempts: 5,
        credentials: { accessKeyId: accountId, secretAccessKey: 'test' },
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
      },
    });
    const result = await producer.put({ partitionKey: 'own', data: payload('own', 1) });
    await producer.close();
    expect(result.shardId).toBe('shardId-000000000000');
    expect((await readUserRecords(client, streamName)).map(keyOf)).toEqual(['own|1']);
  });

  it('routes correctly on a stream of more than 1,000 open shards (ListShards paging)', async () => {
    const big = await stream(1_000);
    await splitFirstShard(client, big.streamName);
    const shards = (await listAllShards(client, big.streamName)).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    expect(shards).toHaveLength(1_001);
    const producer = new KinesisProducer({ streamName: big.streamName, kinesisClient: client });
    const records = Array.from({ length: 1_500 }, (_, index) => ({ key: `key-${index}`, index }));
    const results = await putAll(producer, records);
    expect(producer.shardIds).toHaveLength(1_001);
    const owner = (partitionKey: string): string | undefined => {
      const hashKey = hashKeyOf({ partitionKey });
      return shards.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= hashKey && hashKey <= BigInt(s.HashKeyRange!.EndingHashKey!))?.ShardId;
    };
    results.forEach((result, i) => expect(result.shardId).toBe(owner(records[i]!.key)));
  });
});
