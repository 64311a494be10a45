import { deaggregate } from '@kinesis-kit/aggregation';
import { KinesisProducer, type KinesisProducerOptions, type PutResult } from '../../src/index.js';
import { seededRandom } from '../../../../test/harness/random.js';
import { FakeKinesis, evenShards, type StoredRecord } from './fake-kinesis.js';
import { ManualClock } from './manual-clock.js';

export type FakeOptions = Omit<Partial<KinesisProducerOptions>, 'streamName' | 'streamARN' | 'writePort' | 'kinesisClient'> & { shards?: number };

/** A producer on a FakeKinesis and a ManualClock, with seeded jitter. */
export function fakeProducer(options: FakeOptions = {}): { clock: ManualClock; fake: FakeKinesis; producer: KinesisProducer } {
  const { shards = 2, ...rest } = options;
  const clock = new ManualClock();
  const fake = new FakeKinesis(evenShards(shards), () => clock.now());
  const producer = new KinesisProducer({ streamName: 'fake', writePort: fake, clock, random: seededRandom(7), ...rest });
  return { clock, fake, producer };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload that names its key and its position in put order: `key|index`. */
export function payload(key: string, index: number): Uint8Array {
  return encoder.encode(`${key}|${index}`);
}

export function parsePayload(data: Uint8Array): { key: string; index: number } {
  const [key, index] = decoder.decode(data).split('|');
  return { key: key!, index: Number(index) };
}

/** Every user record stored, in storage order, with where it was stored. */
export function storedUserRecords(stored: readonly StoredRecord[]): { key: string; index: number; shardId: string; sequenceNumber: string; subSequenceNumber: number }[] {
  return stored.flatMap(({ shardId, sequenceNumber, record }) =>
    deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber, explicitHashKey: record.explicitHashKey }).map((user) => ({
      ...parsePayload(user.data),
      shardId,
      sequenceNumber,
      subSequenceNumber: user.subSequenceNumber,
    })),
  );
}

/**
 * Keys whose records (first copy of each, in storage order) are not in put order. Storage
 * order is the order of `stored` within a shard; a key lives on one shard at a time.
 */
export function outOfOrderKeys(records: readonly { key: string; index: number }[]): string[] {
  const last = new Map<string, number>();
  const seen = new Set<string>();
  const bad = new Set<string>();
  for (const { key, index } of records) {
    const id = `${key}|${index}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if ((last.get(key) ?? -1) > index) bad.add(key);
    last.set(key, index);
  }
  return [...bad];
}

/** Counts settled promises as they settle. */
export function track<T>(promises: readonly Promise<T>[]): { readonly settled: number; readonly fulfilled: T[]; readonly rejected: unknown[] } {
  const state = { settled: 0, fulfilled: [] as T[], rejected: [] as unknown[] };
  for (const promise of promises) {
    promise.then(
      (value) => {
        state.settled++;
        state.fulfilled.push(value);
      },
      (error: unknown) => {
        state.settled++;
        state.rejected.push(error);
      },
    );
  }
  return state;
}

export type { PutResult };
