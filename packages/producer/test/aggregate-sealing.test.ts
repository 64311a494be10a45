import { deaggregate } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { fakeProducer, track } from './support/setup.js';

// When an aggregate is sealed is a matter of simulated time (recordMaxBufferedTime against the
// producer's clock), which an emulator running in real time cannot show deterministically: these
// tests drive a fake port on a ManualClock.

const TICK_MS = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** 100 bytes that carry the record's index. */
const record100 = (index: number): Uint8Array => encoder.encode(String(index).padEnd(100, '.'));
const indexOf = (data: Uint8Array): number => Number(decoder.decode(data).replace(/\.+$/, ''));

/**
 * Puts `perTick` 100-byte records every 10 ms of simulated time for `ticks` ticks on one shard
 * (aggregation on, recordMaxBufferedTime 100 ms), then returns each stored Kinesis record as the
 * acceptance times of its members.
 */
async function acceptanceTimesPerAggregate(perTick: number, ticks: number): Promise<number[][]> {
  const { clock, fake, producer } = fakeProducer({ shards: 1, recordMaxBufferedTime: 100 });
  const puts: Promise<unknown>[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    for (let i = 0; i < perTick; i++) {
      const index = tick * perTick + i;
      puts.push(producer.put({ partitionKey: `key-${index % 50}`, data: record100(index) }));
    }
    await clock.advance(TICK_MS);
  }
  const state = track(puts);
  await clock.runUntil(() => state.settled === puts.length, 1_000);
  expect(state.fulfilled).toHaveLength(puts.length);
  await producer.close();
  return fake.stored.map(({ record, sequenceNumber }) =>
    deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber, explicitHashKey: record.explicitHashKey }).map(
      (user) => Math.floor(indexOf(user.data) / perTick) * TICK_MS,
    ),
  );
}

describe('aggregate sealing', () => {
  it('fills every aggregate before sealing it when a shard receives more than an aggregate per recordMaxBufferedTime', async () => {
    // 60 records per 10 ms: a 51,200 B aggregate (~480 records of 100 B) fills in ~80 ms.
    const aggregates = await acceptanceTimesPerAggregate(60, 50);
    const sizes = aggregates.map((members) => members.length);
    const full = Math.max(...sizes);
    expect(full).toBeGreaterThan(400);
    expect(sizes.slice(0, -1).every((size) => size >= full - 1)).toBe(true); // only the last one is partly filled
  });

  it('seals an aggregate at its oldest record + recordMaxBufferedTime, not before, when a shard receives less', async () => {
    // 20 records per 10 ms: ~200 records per 100 ms, well under an aggregate.
    const aggregates = await acceptanceTimesPerAggregate(20, 50);
    for (const members of aggregates.slice(0, -1)) {
      const waited = Math.max(...members) - Math.min(...members);
      expect(waited).toBeLessThanOrEqual(100);
      expect(waited).toBeGreaterThanOrEqual(90); // held for the whole recordMaxBufferedTime, filled meanwhile
    }
    expect(aggregates.length).toBeLessThanOrEqual(Math.ceil((50 * TICK_MS) / 100) + 1);
  });
});
