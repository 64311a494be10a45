import { hashKeyOf } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import { SHARD_BYTES_PER_SECOND } from '../src/index.js';
import { evenShards } from './support/fake-kinesis.js';
import { fakeProducer, outOfOrderKeys, payload, storedUserRecords, track } from './support/setup.js';

describe('pipeline: rate limiting (simulated time)', () => {
  it('paces a shard at rateLimit % of 1,000 records/s with aggregation off', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, aggregation: false, rateLimit: 100 });
    const start = clock.now();
    const puts = track(Array.from({ length: 2_500 }, (_, i) => producer.put({ partitionKey: `k${i % 10}`, data: payload('k', i) })));
    await clock.runUntil(() => puts.settled === 2_500, 5_000, 20);
    expect(puts.fulfilled).toHaveLength(2_500);
    let sent = 0;
    for (const request of fake.requests) {
      sent += request.records.length;
      expect(sent).toBeLessThanOrEqual(1_000 + (1_000 * (request.at - start)) / 1_000 + 1e-6);
    }
    // 1,000 at once (a full bucket), then 1,000 a second: the last 500 cannot leave before 1.5 s.
    expect(fake.requests.at(-1)!.at - start).toBeGreaterThanOrEqual(1_500);
    await producer.close();
  });

  it('paces a shard at rateLimit % of 1 MiB/s with aggregation on (aggregates count as one record)', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, rateLimit: 100 });
    const start = clock.now();
    const data = new Uint8Array(1_000);
    const puts = track(Array.from({ length: 3_000 }, (_, i) => producer.put({ partitionKey: `key-${i % 50}`, data })));
    await clock.runUntil(() => puts.settled === 3_000, 10_000, 20);
    expect(puts.fulfilled).toHaveLength(3_000);
    let bytes = 0;
    for (const request of fake.requests) {
      for (const record of request.records) bytes += record.data.length + Buffer.byteLength(record.partitionKey);
      expect(bytes).toBeLessThanOrEqual(SHARD_BYTES_PER_SECOND * (1 + (request.at - start) / 1_000) + 1e-6);
    }
    expect(bytes).toBeGreaterThan(3_000_000);
    expect(fake.requests.at(-1)!.at - start).toBeGreaterThanOrEqual(1_800);
    await producer.close();
  });

  it('applies the limit per shard: two shards carry twice the rate of one', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 2, aggregation: false, rateLimit: 100 });
    const start = clock.now();
    const puts = track(Array.from({ length: 4_000 }, (_, i) => producer.put({ partitionKey: `k${i}`, data: payload('k', i) })));
    await clock.runUntil(() => puts.settled === 4_000, 5_000, 20);
    expect(puts.fulfilled).toHaveLength(4_000);
    const perShard = new Map<string, number>();
    for (const stored of fake.stored) perShard.set(stored.shardId, (perShard.get(stored.shardId) ?? 0) + 1);
    expect([...perShard.values()].every((n) => n > 1_500)).toBe(true);
    // About 2,000 per shard at 1,000/s each after a 1,000 burst: done in about 1 s, not 3 s.
    expect(fake.requests.at(-1)!.at - start).toBeGreaterThanOrEqual(900);
    expect(fake.requests.at(-1)!.at - start).toBeLessThan(1_600);
    await producer.close();
  });
});

describe('pipeline: ordering', () => {
  const KEYS = 20;

  async function runWithPartialFailures(ordering: 'none' | 'per-shard', aggregation: boolean) {
    const { clock, fake, producer } = fakeProducer({
      shards: 2,
      ordering,
      aggregation: aggregation ? { maxSize: 300 } : false,
      backoff: { initialDelayMs: 20, maxDelayMs: 100 },
      recordMaxBufferedTime: 10,
    });
    const random = seededRandom(11);
    fake.plan = () => ({ kind: 'partial', code: () => (random() < 0.2 ? (random() < 0.5 ? 'ProvisionedThroughputExceededException' : 'InternalFailure') : undefined) });
    const puts = track(Array.from({ length: 1_000 }, (_, i) => producer.put({ partitionKey: `key-${i % KEYS}`, data: payload(`key-${i % KEYS}`, i) })));
    await clock.runUntil(() => puts.settled === 1_000, 60_000, 20);
    expect(puts.fulfilled).toHaveLength(1_000);
    await producer.close();
    return { fake, stored: storedUserRecords(fake.stored) };
  }

  it.each([true, false])('per-shard ordering stores each key in put order despite partial failures (aggregation %s)', async (aggregation) => {
    const { fake, stored } = await runWithPartialFailures('per-shard', aggregation);
    expect(new Set(stored.map((r) => r.index)).size).toBe(1_000);
    expect(outOfOrderKeys(stored)).toEqual([]);
    // One Kinesis record per shard per request, so a failure can never let a later one overtake it.
    for (const request of fake.requests) {
      const shards = request.records.map((record) => fake.actual.lookup(hashKeyOf(record))!.shardId);
      expect(new Set(shards).size).toBe(shards.length);
    }
  });

  it('without ordering the same failures do reorder keys (what the ordered test guards against)', async () => {
    const { stored } = await runWithPartialFailures('none', false);
    expect(new Set(stored.map((r) => r.index)).size).toBe(1_000);
    expect(outOfOrderKeys(stored).length).toBeGreaterThan(0);
  });
});

describe('pipeline: shard maps', () => {
  it('works with a stream of 1,500 shards, aggregating per predicted shard', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1_500 });
    const puts = track(Array.from({ length: 3_000 }, (_, i) => producer.put({ partitionKey: `key-${i}`, data: payload('key', i) })));
    await clock.runUntil(() => puts.settled === 3_000, 2_000, 50);
    expect(puts.fulfilled).toHaveLength(3_000);
    expect(producer.shardIds).toHaveLength(1_500);
    for (const result of puts.fulfilled) expect(result.shardId).toMatch(/^shardId-\d{12}$/);
    // Every stored aggregate holds only members of the shard it was stored on.
    for (const { shardId, record } of fake.stored) {
      expect(fake.actual.lookup(hashKeyOf(record))!.shardId).toBe(shardId);
    }
    await producer.close();
  });

  it('routes by explicit hash key when one is given', async () => {
    const { clock, producer } = fakeProducer({ shards: 4 });
    const shards = evenShards(4);
    const puts = track(
      shards.map((shard, i) => producer.put({ partitionKey: 'same-key', explicitHashKey: String(shard.hashKeyRange.startingHashKey), data: payload('k', i) })),
    );
    await clock.runUntil(() => puts.settled === 4, 1_000);
    expect(puts.fulfilled.map((r) => r.shardId).sort()).toEqual(shards.map((s) => s.shardId));
    await producer.close();
  });
});
