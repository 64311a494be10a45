import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  KinesisKitError,
  MAX_HASH_KEY,
  ShardMap,
  aggregateByShard,
  deaggregate,
  hashKeyOf,
} from '@kinesis-kit/aggregation';
import { userRecordArb } from './helpers/arbitraries.js';
import { b64 } from './helpers/bytes.js';

const quarter = (MAX_HASH_KEY + 1n) / 4n;
const FOUR_SHARDS = new ShardMap(
  [0n, 1n, 2n, 3n].map((i) => ({
    shardId: `shard-${i}`,
    hashKeyRange: { startingHashKey: i * quarter, endingHashKey: (i + 1n) * quarter - 1n },
  })),
);

describe('aggregateByShard', () => {
  it('never mixes records bound for different shards, and keeps each shard’s order', () => {
    fc.assert(
      fc.property(fc.array(userRecordArb, { maxLength: 60 }), fc.integer({ min: 64, max: 5_000 }), (records, maxSize) => {
        const byShard = aggregateByShard(records, FOUR_SHARDS, { maxSize });
        for (const [shardId, outers] of byShard) {
          const shard = FOUR_SHARDS.shards.find((s) => s.shardId === shardId)!;
          const { startingHashKey, endingHashKey } = shard.hashKeyRange;
          // Where Kinesis will put the outer record...
          for (const outer of outers) {
            const routed = hashKeyOf(outer);
            expect(routed >= startingHashKey && routed <= endingHashKey).toBe(true);
          }
          // ...and every member belongs there, in input order.
          const members = outers.flatMap((o) => deaggregate({ data: o.data, partitionKey: o.partitionKey, explicitHashKey: o.explicitHashKey, sequenceNumber: '1' }, { hashKeyRange: shard.hashKeyRange }));
          const expected = records.filter((r) => FOUR_SHARDS.lookup(hashKeyOf(r))?.shardId === shardId);
          expect(members.map((m) => [m.partitionKey, b64(m.data)])).toEqual(expected.map((r) => [r.partitionKey, b64(r.data)]));
        }
        expect([...byShard.values()].flat().length).toBeLessThanOrEqual(records.length);
      }),
      { numRuns: 200 },
    );
  });

  it('fails clearly when no shard owns a record’s hash key', () => {
    const partial = new ShardMap([{ shardId: 'low', hashKeyRange: { startingHashKey: 0n, endingHashKey: 10n } }]);
    expect(() => aggregateByShard([{ partitionKey: 'a', explicitHashKey: '11', data: new Uint8Array(1) }], partial)).toThrow(
      expect.objectContaining({ code: 'NO_SHARD_FOR_HASH_KEY' }),
    );
    expect(() => aggregateByShard([{ partitionKey: 'a', explicitHashKey: '11', data: new Uint8Array(1) }], partial)).toThrow(KinesisKitError);
  });

  it('validates options even without records', () => {
    expect(() => aggregateByShard([], FOUR_SHARDS, { maxCount: 0 })).toThrow(InvalidOptionError);
    expect(aggregateByShard([], FOUR_SHARDS).size).toBe(0);
  });
});
