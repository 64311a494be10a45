import { describe, expect, it } from 'vitest';
import { MAX_RECORD_SIZE_RECHECK_MS } from '../src/shard-map-loader.js';
import { PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_RECORDS, type PutRecordError, type ShardMapEvent } from '../src/index.js';
import { outerSize, type FakeKinesis } from './support/fake-kinesis.js';
import { fakeProducer, track } from './support/setup.js';

/*
 * Large records (issue 11) in simulated time on the fake port: what kinesis-local cannot show
 * (it accepts PutRecords over any size) or would take minutes to. Payloads share one buffer per
 * size, so a test holds each size once however many records it puts.
 */

const MiB = 1024 * 1024;
const bytes = (n: number): Uint8Array => new Uint8Array(n);

function everyOuterWithin(fake: FakeKinesis, limit: number): void {
  for (const { records } of fake.requests) for (const record of records) expect(outerSize(record)).toBeLessThanOrEqual(limit);
}

describe("maxRecordSize 'auto'", () => {
  it('reads the limit with the shard map; a record above it fails alone (RECORD_TOO_LARGE, not retriable), never sent, its batch unaffected', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto' });
    const big = bytes(MiB); // + a 3-byte key: above the stream's 1 MiB
    const puts = [
      producer.put({ partitionKey: 'one', data: bytes(10) }),
      producer.put({ partitionKey: 'big', data: big }),
      producer.put({ partitionKey: 'two', data: bytes(10) }),
    ];
    const settled = track(puts);
    await clock.runUntil(() => settled.settled === 3, 5_000);
    const outcomes = await Promise.allSettled(puts);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (outcomes[1] as PromiseRejectedResult).reason as PutRecordError;
    expect(error).toMatchObject({ code: 'RECORD_TOO_LARGE', retriable: false, attempts: [] });
    expect(error.message).toContain('1048576');
    expect(fake.maxRecordSizeCalls).toBe(1);
    everyOuterWithin(fake, MiB);
    await producer.close();
  });

  it('picks up a raise at the next read: a record above the known limit read long enough ago waits for a fresh read', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto' });
    const first = track([producer.put({ partitionKey: 'k', data: bytes(10) })]); // the first read: 1 MiB
    await clock.runUntil(() => first.settled === 1, 5_000);
    const data = bytes(3 * MiB);
    // Read less than MAX_RECORD_SIZE_RECHECK_MS ago: no new read, the record fails at once.
    await expect(producer.put({ partitionKey: 'k', data })).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    expect(fake.maxRecordSizeCalls).toBe(1);
    fake.maxRecordBytes = 10 * MiB; // UpdateMaxRecordSize
    await clock.advance(MAX_RECORD_SIZE_RECHECK_MS);
    const put = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => put.settled === 1, 30_000);
    expect(put.fulfilled).toHaveLength(1);
    expect(fake.maxRecordSizeCalls).toBe(2);
    expect(fake.stored.at(-1)!.record.data.length).toBe(3 * MiB);
    await producer.close();
  });

  it('a changed limit rebuilds what the lanes hold: aggregates filled under 1 MiB are rebuilt up to the raised limit', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto', aggregation: { maxSize: 10 * MiB }, recordMaxBufferedTime: 60_000, recordTtl: 120_000 });
    const data = bytes(200 * 1024);
    const puts = track(Array.from({ length: 20 }, () => producer.put({ partitionKey: 'k', data }))); // 4 MB in aggregates of at most 1 MiB
    await clock.advance(MAX_RECORD_SIZE_RECHECK_MS);
    expect(fake.requests).toHaveLength(0);
    fake.maxRecordBytes = 10 * MiB;
    const maps: ShardMapEvent[] = [];
    producer.on('shardMapRefreshed', (event) => maps.push(event));
    const probe = track([producer.put({ partitionKey: 'k', data: bytes(2 * MiB) })]); // above the known limit: asks for a fresh read
    await clock.runUntil(() => maps.length === 1, 5_000);
    expect(maps).toEqual([{ shardCount: 1, reason: 'record-too-large', maxRecordSize: 10 * MiB }]);
    const flushed = producer.flush();
    await clock.runUntil(() => probe.settled === 1 && puts.settled === 20, 60_000);
    await flushed;
    expect(probe.fulfilled).toHaveLength(1);
    expect(puts.fulfilled).toHaveLength(20);
    expect(fake.stored.map(({ record }) => outerSize(record)).sort((a, b) => b - a)[0]).toBeGreaterThan(3 * MiB);
    everyOuterWithin(fake, 10 * MiB);
    await producer.close();
  });
});

describe("maxRecordSize 'auto': a put that waited for room", () => {
  it('settles when its record fails the moment it is accepted (above the limit read just before)', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto', maxBufferedRecords: 1 });
    fake.maxRecordBytes = MiB;
    const first = track([producer.put({ partitionKey: 'k', data: bytes(10) })]);
    await clock.runUntil(() => first.settled === 1, 5_000); // the stream's 1 MiB limit is read meanwhile
    const holder = track([producer.put({ partitionKey: 'k', data: bytes(10) })]); // takes the only slot
    const waiting = track([producer.put({ partitionKey: 'k', data: bytes(2 * MiB) })]);
    expect(producer.waitingRecords).toBe(1);
    // Accepted when the holder is written, well within MAX_RECORD_SIZE_RECHECK_MS of the read: it fails inside acceptance.
    await clock.runUntil(() => holder.settled === 1 && waiting.settled === 1, MAX_RECORD_SIZE_RECHECK_MS / 2);
    expect(waiting.rejected).toMatchObject([{ code: 'RECORD_TOO_LARGE' }]);
    expect(fake.maxRecordSizeCalls).toBe(1);
  });
});

describe("maxRecordSize 'auto': a lowered limit", () => {
  it('a record refused by Kinesis as invalid makes the producer read the limit again; later records above it fail before being sent', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto' });
    fake.maxRecordBytes = 10 * MiB;
    const first = track([producer.put({ partitionKey: 'k', data: bytes(10) })]);
    await clock.runUntil(() => first.settled === 1, 5_000);
    fake.maxRecordBytes = MiB; // UpdateMaxRecordSize down, unknown to the producer
    const data = bytes(2 * MiB);
    const refused = track([producer.put({ partitionKey: 'k', data })]);
    await clock.runUntil(() => refused.settled === 1 && fake.maxRecordSizeCalls === 2, 10_000);
    expect(refused.rejected).toMatchObject([{ code: 'NON_RETRIABLE', causeCode: 'InvalidArgumentException' }]);
    await clock.advance(100); // let the read complete (the next put comes well within MAX_RECORD_SIZE_RECHECK_MS of it)
    const sent = fake.requests.length;
    await expect(producer.put({ partitionKey: 'k', data })).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    expect(fake.requests).toHaveLength(sent);
    await producer.close();
  });
});

describe('aggregates and requests stay within the limits', () => {
  it("never builds an aggregate above the stream's limit, even with aggregation.maxSize 10 MiB", async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto', aggregation: { maxSize: 10 * MiB } });
    const data = bytes(100 * 1024);
    const puts = track(Array.from({ length: 40 }, () => producer.put({ partitionKey: 'k', data })));
    await clock.runUntil(() => puts.settled === 40, 120_000);
    expect(puts.fulfilled).toHaveLength(40);
    everyOuterWithin(fake, MiB);
    const largest = Math.max(...fake.stored.map(({ record }) => outerSize(record)));
    expect(largest).toBeGreaterThan(900 * 1024); // aggregates are filled up to the limit, not to 51,200 B
  });

  it('caps aggregates at aggregation.maxSize when it is below the stream limit', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 1, maxRecordSize: 'auto' });
    fake.maxRecordBytes = 10 * MiB;
    const puts = track(Array.from({ length: 100 }, () => producer.put({ partitionKey: 'k', data: bytes(1_000) })));
    await clock.runUntil(() => puts.settled === 100, 10_000);
    everyOuterWithin(fake, 51_200 + 1);
    await producer.close();
  });

  it('PutRecords requests never exceed 500 records or 10 MiB (partition keys included), large records mixed with small ones', async () => {
    const { clock, fake, producer } = fakeProducer({ shards: 4, maxRecordSize: 10 * MiB, collectionMaxSize: PUT_RECORDS_MAX_BYTES, aggregation: false, rateLimit: 10_000 });
    fake.maxRecordBytes = 10 * MiB;
    const sizes = [10 * MiB - 16, 9 * MiB, 3 * MiB, MiB, 600 * 1024];
    const shared = new Map(sizes.map((size) => [size, bytes(size)]));
    const inputs = Array.from({ length: 1_200 }, (_, i) => ({ partitionKey: `key-${i}`, data: i % 100 === 0 ? shared.get(sizes[(i / 100) % sizes.length]!)! : bytes(64) }));
    const puts = track(inputs.map((input) => producer.put(input)));
    await clock.runUntil(() => puts.settled === inputs.length, 60_000, 50);
    expect(puts.rejected).toEqual([]);
    for (const { records } of fake.requests) {
      expect(records.length).toBeLessThanOrEqual(PUT_RECORDS_MAX_RECORDS);
      expect(records.reduce((sum, record) => sum + outerSize(record), 0)).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
    await producer.close();
  });
});
