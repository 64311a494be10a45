import { ShardMap, hashKeyOf } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { MISROUTED_AGGREGATE, PutRecordError, type MisroutedAggregateEvent, type ThrottleEvent } from '../src/index.js';
import { evenShards } from './support/fake-kinesis.js';
import { fakeProducer, outOfOrderKeys, payload, storedUserRecords, track } from './support/setup.js';

const data = payload('k', 0);

describe('outcomes: retries and failures (simulated time)', () => {
  it('retries with exponential backoff and jitter from the injected random source', async () => {
    const { clock, fake, producer } = fakeProducer({
      random: () => 0.5,
      backoff: { initialDelayMs: 100, multiplier: 2, jitter: 'full' },
    });
    fake.plan = (i) => (i < 3 ? { kind: 'error', name: 'InternalFailure', status: 500 } : { kind: 'ok' });
    const start = clock.now();
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 5_000, 5);
    // Sent after recordMaxBufferedTime (100), then after 0.5 x 100, 0.5 x 200, 0.5 x 400.
    expect(fake.requests.map((r) => r.at - start)).toEqual([100, 150, 250, 450]);
    const result = put.fulfilled[0]!;
    expect(result.attempts.map((a) => a.errorCode)).toEqual(['InternalFailure', 'InternalFailure', 'InternalFailure', undefined]);
    expect(result.attempts.map((a) => a.startedAt - start)).toEqual([100, 150, 250, 450]);
    await producer.close();
  });

  it('retries per-record failures only, leaving the rest of the request written', async () => {
    const { clock, fake, producer } = fakeProducer({ aggregation: false, backoff: { initialDelayMs: 10 } });
    fake.plan = (i) => (i === 0 ? { kind: 'partial', code: (index) => (index % 2 === 0 ? 'ProvisionedThroughputExceededException' : undefined) } : { kind: 'ok' });
    const puts = track(Array.from({ length: 10 }, (_, i) => producer.put({ partitionKey: `k${i}`, data: payload('k', i) })));
    await clock.runUntil(() => puts.settled === 10, 5_000);
    expect(puts.fulfilled).toHaveLength(10);
    expect(fake.requests[0]!.records).toHaveLength(10);
    expect(fake.requests.slice(1).flatMap((r) => r.records)).toHaveLength(5); // only the failed ones again
    expect(fake.stored).toHaveLength(10);
    expect(puts.fulfilled.filter((r) => r.attempts.length === 2).every((r) => r.attempts[0]!.errorCode === 'ProvisionedThroughputExceededException')).toBe(true);
    await producer.close();
  });

  it('fails a record that is not written within recordTtl with EXPIRED, the last cause and every attempt', async () => {
    const { clock, fake, producer } = fakeProducer({ recordTtl: 1_000, backoff: { initialDelayMs: 50, maxDelayMs: 200 } });
    fake.plan = () => ({ kind: 'partial', code: () => 'InternalFailure' });
    const start = clock.now();
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 5_000, 5);
    const error = put.rejected[0] as PutRecordError;
    expect(error).toBeInstanceOf(PutRecordError);
    expect(error).toMatchObject({ code: 'EXPIRED', retriable: true, causeCode: 'InternalFailure', record: { partitionKey: 'k' } });
    expect(error.attempts.length).toBeGreaterThan(2);
    expect(error.attempts.every((a) => a.errorCode === 'InternalFailure')).toBe(true);
    expect(clock.now() - start).toBeLessThanOrEqual(1_000 + 10);
    await producer.close();
  });

  it('fails a record at once on a non-retriable per-record error', async () => {
    const { clock, fake, producer } = fakeProducer({ aggregation: false });
    fake.plan = (i) => (i === 0 ? { kind: 'partial', code: (index) => (index === 0 ? 'KMSAccessDeniedException' : undefined) } : { kind: 'ok' });
    const puts = [producer.put({ partitionKey: 'a', data }), producer.put({ partitionKey: 'b', data })];
    const state = track(puts);
    await clock.runUntil(() => state.settled === 2, 1_000);
    await expect(puts[0]).rejects.toMatchObject({ code: 'NON_RETRIABLE', retriable: false, causeCode: 'KMSAccessDeniedException' });
    await expect(puts[1]).resolves.toMatchObject({ subSequenceNumber: 0 });
    expect(fake.requests).toHaveLength(1);
    await producer.close();
  });

  it.each([
    ['AccessDeniedException', 400, 'NON_RETRIABLE', 1],
    ['ResourceNotFoundException', 400, 'NON_RETRIABLE', 1],
    ['ThrottlingException', 400, undefined, 2],
    ['ServiceUnavailable', 503, undefined, 2],
    ['ECONNRESET', undefined, undefined, 2],
  ])('treats a whole-request %s by its class', async (name, status, code, attempts) => {
    const { clock, fake, producer } = fakeProducer({ backoff: { initialDelayMs: 10 } });
    fake.plan = (i) => (i === 0 ? { kind: 'error', name, ...(status === undefined ? {} : { status }) } : { kind: 'ok' });
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 2_000);
    if (code === undefined) expect(put.fulfilled[0]!.attempts).toHaveLength(attempts);
    else expect(put.rejected[0]).toMatchObject({ code, causeCode: name, attempts: [{ errorCode: name }] });
    await producer.close();
  });

  it('with failIfThrottled, fails a record at its first throttling', async () => {
    const { clock, fake, producer } = fakeProducer({ failIfThrottled: true });
    fake.plan = () => ({ kind: 'partial', code: () => 'ProvisionedThroughputExceededException' });
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 1_000);
    expect(put.rejected[0]).toMatchObject({ code: 'THROTTLED', retriable: true, causeCode: 'ProvisionedThroughputExceededException' });
    await producer.close();
  });

  it('slows a throttled shard down (halving its rate) and keeps retrying until written', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, backoff: { initialDelayMs: 150, maxDelayMs: 150, jitter: 'none' } });
    const events: ThrottleEvent[] = [];
    producer.on('throttled', (event) => events.push(event));
    fake.plan = (i) => (i < 4 ? { kind: 'partial', code: () => 'ProvisionedThroughputExceededException' } : { kind: 'ok' });
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 5_000);
    expect(put.fulfilled[0]!.attempts).toHaveLength(5);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]!.rateFactor).toBeCloseTo(0.5, 1);
    expect(events[1]!.rateFactor).toBeLessThan(events[0]!.rateFactor);
    await producer.close();
  });

  it('aborts a request that is not answered within requestTimeout and retries it', async () => {
    const { clock, fake, producer } = fakeProducer({ requestTimeout: 500, backoff: { initialDelayMs: 10 } });
    fake.plan = (i) => (i === 0 ? { kind: 'hang' } : { kind: 'ok' });
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 2_000);
    const [timedOut, written] = put.fulfilled[0]!.attempts;
    expect(timedOut).toMatchObject({ errorCode: 'TimeoutError', durationMs: 500 });
    expect(written!.errorCode).toBeUndefined();
    await producer.close();
  });
});

describe('outcomes: aggregates stored on another shard than predicted', () => {
  /** One shard listed at first; then it is split in two (the producer's map is stale until it refreshes). */
  async function splitWhileStale(ordering: 'none' | 'per-shard') {
    const { clock, fake, producer } = fakeProducer({ shards: 1, ordering, aggregation: { maxSize: 400 } });
    const misrouted: MisroutedAggregateEvent[] = [];
    const refreshes: string[] = [];
    producer.on('misroutedAggregate', (event) => misrouted.push(event));
    producer.on('shardMapRefreshed', (event) => refreshes.push(event.reason));
    const first = track([producer.put({ partitionKey: 'warm-up', data })]);
    await clock.runUntil(() => first.settled === 1, 1_000);
    const children = evenShards(2, 1);
    fake.reshard(children);
    const puts = track(Array.from({ length: 400 }, (_, i) => producer.put({ partitionKey: `key-${i % 40}`, data: payload(`key-${i % 40}`, i) })));
    await clock.runUntil(() => puts.settled === 400, 10_000);
    await producer.close();
    return { fake, puts, misrouted, refreshes, children, producer };
  }

  it('re-sends every member when some member lies outside the shard that stored it, and refreshes the map', async () => {
    const { fake, puts, misrouted, refreshes, children, producer } = await splitWhileStale('none');
    expect(puts.fulfilled).toHaveLength(400);
    expect(misrouted.filter((e) => e.resent).length).toBeGreaterThan(0);
    expect(refreshes).toEqual(['startup', 'shard-mismatch']);
    expect(producer.shardIds).toEqual(children.map((c) => c.shardId));
    const resent = puts.fulfilled.filter((r) => r.attempts.some((a) => a.errorCode === MISROUTED_AGGREGATE));
    expect(resent.length).toBeGreaterThan(0);
    // Every reported result points at an aggregate whose members all belong to the shard storing it
    // (so a Java KCL, which drops an aggregate with any member out of range, keeps it).
    const bySequence = new Map(fake.stored.map((s) => [s.sequenceNumber, s]));
    for (const result of puts.fulfilled) {
      const stored = bySequence.get(result.sequenceNumber)!;
      expect(stored.shardId).toBe(result.shardId);
      const range = children.find((c) => c.shardId === stored.shardId)!.hashKeyRange;
      const members = storedUserRecords([stored]);
      expect(members[result.subSequenceNumber]).toBeDefined();
      for (const member of members) {
        const hashKey = hashKeyOf({ partitionKey: member.key });
        expect(hashKey >= range.startingHashKey && hashKey <= range.endingHashKey).toBe(true);
      }
    }
  });

  it('keeps per-key order through the split in ordered mode', async () => {
    const { fake, puts } = await splitWhileStale('per-shard');
    expect(puts.fulfilled).toHaveLength(400);
    // Only records the KCL would keep: aggregates whose members all belong to the storing shard.
    const kept = fake.stored.filter(({ shardId, record }) => {
      const users = storedUserRecords([{ shardId, sequenceNumber: '0', record }]);
      return users.every((u) => fake.actual.lookup(hashKeyOf({ partitionKey: u.key }))?.shardId === shardId);
    });
    const users = storedUserRecords(kept).filter((u) => u.key !== 'k');
    expect(new Set(users.map((u) => u.index)).size).toBe(400);
    expect(outOfOrderKeys(users)).toEqual([]);
  });

  // A port double: kinesis-local's ListShards is always consistent with its routing, so only a
  // double can answer with the pre-split map after the split (as the service may, for a while).
  it('does not re-send with a stale map in a loop when ListShards still lists the parent: parked aggregates expire', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, aggregation: { maxSize: 400 }, recordTtl: 5_000 });
    const first = track([producer.put({ partitionKey: 'warm-up', data })]);
    await clock.runUntil(() => first.settled === 1, 1_000);
    fake.actual = new ShardMap(evenShards(2, 1)); // split; ListShards keeps answering the parent
    const requestsBefore = fake.requests.length;
    const puts = track(Array.from({ length: 100 }, (_, i) => producer.put({ partitionKey: `key-${i % 20}`, data: payload(`key-${i % 20}`, i) })));
    await clock.runUntil(() => puts.settled === 100, 10_000, 50);
    expect(puts.settled).toBe(100);
    const sentOnce = fake.requests.length - requestsBefore;
    expect(fake.stored.length - 1).toBe(fake.requests.slice(requestsBefore).reduce((n, r) => n + r.records.length, 0)); // every request stored, none re-sent...
    expect(sentOnce).toBeLessThanOrEqual(2); // ...and only the first sends happened
    expect(fake.listShardsCalls).toBeGreaterThan(2); // the map was loaded again, at least 1 s apart
    for (const error of puts.rejected as PutRecordError[]) {
      expect(error).toMatchObject({ code: 'EXPIRED', causeCode: MISROUTED_AGGREGATE });
      expect(error.attempts.map((a) => a.errorCode)).toEqual([MISROUTED_AGGREGATE]);
    }
    expect(puts.rejected.length).toBeGreaterThan(0);
    await producer.close();
  });

  it('lets the write stand when every member belongs to the shard that stored it', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1 });
    const misrouted: MisroutedAggregateEvent[] = [];
    producer.on('misroutedAggregate', (event) => misrouted.push(event));
    const first = track([producer.put({ partitionKey: 'warm-up', data })]);
    await clock.runUntil(() => first.settled === 1, 1_000);
    const children = evenShards(2, 1);
    fake.reshard(children);
    const inFirstChild = String(children[0]!.hashKeyRange.startingHashKey + 5n);
    const puts = track(Array.from({ length: 5 }, (_, i) => producer.put({ partitionKey: `p${i}`, explicitHashKey: inFirstChild, data })));
    await clock.runUntil(() => puts.settled === 5, 5_000);
    expect(puts.fulfilled.map((r) => [r.shardId, r.attempts.length])).toEqual(Array.from({ length: 5 }, () => [children[0]!.shardId, 1]));
    expect(misrouted).toEqual([{ predictedShardId: 'shardId-000000000000', actualShardId: children[0]!.shardId, userRecords: 5, resent: false }]);
    expect(fake.stored).toHaveLength(2);
    await producer.close();
  });
});
