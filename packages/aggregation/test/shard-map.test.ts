import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidShardMapError, MAX_HASH_KEY, ShardMap, type HashKeyRange } from '@kinesis-kit/aggregation';

interface Shard {
  shardId: string;
  hashKeyRange: HashKeyRange;
  extra?: string;
}

const shard = (shardId: string, start: bigint, end: bigint): Shard => ({ shardId, hashKeyRange: { startingHashKey: start, endingHashKey: end } });
const HALF = 1n << 127n;

describe('ShardMap', () => {
  it('finds the only shard at both edges of the hash key space', () => {
    const map = new ShardMap([shard('s0', 0n, MAX_HASH_KEY)]);
    expect(map.lookup(0n)?.shardId).toBe('s0');
    expect(map.lookup(MAX_HASH_KEY)?.shardId).toBe('s0');
    expect(map.lookup(HALF)?.shardId).toBe('s0');
  });

  it('returns undefined outside 0..2^128-1', () => {
    const map = new ShardMap([shard('s0', 0n, MAX_HASH_KEY)]);
    expect(map.lookup(-1n)).toBeUndefined();
    expect(map.lookup(MAX_HASH_KEY + 1n)).toBeUndefined();
  });

  it('splits exactly at the boundary between two shards', () => {
    const map = new ShardMap([shard('high', HALF, MAX_HASH_KEY), shard('low', 0n, HALF - 1n)]);
    expect(map.lookup(0n)?.shardId).toBe('low');
    expect(map.lookup(HALF - 1n)?.shardId).toBe('low');
    expect(map.lookup(HALF)?.shardId).toBe('high');
    expect(map.lookup(MAX_HASH_KEY)?.shardId).toBe('high');
  });

  it('sorts its input and returns the caller’s own shard objects', () => {
    const shards = [shard('c', 200n, 299n), shard('a', 0n, 99n), shard('b', 100n, 199n)];
    shards[0]!.extra = 'kept';
    const map = new ShardMap(shards);
    expect(map.shards.map((s) => s.shardId)).toEqual(['a', 'b', 'c']);
    expect(map.lookup(250n)).toBe(shards[0]);
    expect(map.lookup(250n)?.extra).toBe('kept');
    expect(shards.map((s) => s.shardId)).toEqual(['c', 'a', 'b']); // input untouched
  });

  it('returns undefined in a gap', () => {
    const map = new ShardMap([shard('a', 0n, 9n), shard('b', 20n, 29n)]);
    expect([9n, 10n, 19n, 20n, 30n].map((k) => map.lookup(k)?.shardId)).toEqual(['a', undefined, undefined, 'b', undefined]);
  });

  it('accepts an empty shard list', () => {
    expect(new ShardMap([]).lookup(0n)).toBeUndefined();
  });

  it('accepts single-key shards', () => {
    const map = new ShardMap([shard('a', 0n, 0n), shard('b', 1n, 1n), shard('c', 2n, MAX_HASH_KEY)]);
    expect([0n, 1n, 2n].map((k) => map.lookup(k)?.shardId)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['overlapping ranges', [shard('a', 0n, 100n), shard('b', 100n, 200n)]],
    ['a range inside another', [shard('a', 0n, 100n), shard('b', 10n, 20n)]],
    ['the same range twice', [shard('a', 0n, 100n), shard('b', 0n, 100n)]],
    ['a duplicate shard id', [shard('a', 0n, 10n), shard('a', 11n, 20n)]],
    ['start after end', [shard('a', 10n, 9n)]],
    ['a negative start', [shard('a', -1n, 9n)]],
    ['an end past 2^128-1', [shard('a', 0n, MAX_HASH_KEY + 1n)]],
    ['string hash keys', [{ shardId: 'a', hashKeyRange: { startingHashKey: '0', endingHashKey: '9' } } as unknown as Shard]],
    ['a missing range', [{ shardId: 'a' } as unknown as Shard]],
    ['a missing shard id', [{ hashKeyRange: { startingHashKey: 0n, endingHashKey: 1n } } as unknown as Shard]],
  ])('rejects %s', (_name, shards) => {
    expect(() => new ShardMap(shards)).toThrow(InvalidShardMapError);
    expect(() => new ShardMap(shards)).toThrow(expect.objectContaining({ code: 'INVALID_SHARD_MAP', retriable: false }));
  });

  it('agrees with a linear scan on random partitions of the hash key space', () => {
    const boundaries = fc.uniqueArray(fc.bigInt({ min: 1n, max: MAX_HASH_KEY }), { maxLength: 40 });
    const probes = fc.array(fc.oneof(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), fc.constantFrom(0n, MAX_HASH_KEY)), { maxLength: 50 });
    fc.assert(
      fc.property(boundaries, probes, fc.boolean(), (cuts, keys, withGaps) => {
        const starts = [0n, ...cuts.sort((a, b) => (a < b ? -1 : 1))];
        const shards = starts.map((start, i) => {
          const end = i + 1 < starts.length ? starts[i + 1]! - 1n : MAX_HASH_KEY;
          // With gaps, every other shard is dropped.
          return shard(`s${i}`, start, end);
        }).filter((_, i) => !withGaps || i % 2 === 0);
        const map = new ShardMap([...shards].reverse());
        for (const key of [...keys, ...starts]) {
          const expected = shards.find((s) => s.hashKeyRange.startingHashKey <= key && key <= s.hashKeyRange.endingHashKey);
          expect(map.lookup(key)).toBe(expected);
        }
      }),
    );
  });
});
