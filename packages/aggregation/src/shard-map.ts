import { MAX_HASH_KEY } from './constants.js';
import { InvalidShardMapError } from './errors.js';
import type { HashKeyRange } from './types.js';

/** What ShardMap needs of a shard; anything else on it is carried through untouched. */
export interface ShardLike {
  readonly shardId: string;
  readonly hashKeyRange: HashKeyRange;
}

/**
 * Which shard owns a hash key: the shards' inclusive ranges, sorted, searched by bisection.
 * Pure and immutable; build a new map when ListShards says the shards changed. Gaps are
 * allowed (lookup returns undefined there), overlaps are not.
 */
export class ShardMap<S extends ShardLike> {
  readonly #shards: readonly S[];
  readonly #starts: readonly bigint[];
  readonly #ends: readonly bigint[];

  /**
   * Sorts `shards` by starting hash key.
   * @throws InvalidShardMapError (code INVALID_SHARD_MAP) for a malformed range, a duplicate shard id or an overlap.
   */
  constructor(shards: readonly S[]) {
    const sorted = [...shards];
    const ids = new Set<string>();
    for (const shard of sorted) {
      checkShard(shard);
      if (ids.has(shard.shardId)) throw new InvalidShardMapError(`shard ${shard.shardId} is listed twice`);
      ids.add(shard.shardId);
    }
    sorted.sort((a, b) => compare(a.hashKeyRange.startingHashKey, b.hashKeyRange.startingHashKey));
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1]!;
      const shard = sorted[i]!;
      if (shard.hashKeyRange.startingHashKey <= previous.hashKeyRange.endingHashKey) {
        throw new InvalidShardMapError(
          `shards ${previous.shardId} and ${shard.shardId} overlap at hash key ${shard.hashKeyRange.startingHashKey}`,
        );
      }
    }
    this.#shards = Object.freeze(sorted);
    this.#starts = sorted.map((s) => s.hashKeyRange.startingHashKey);
    this.#ends = sorted.map((s) => s.hashKeyRange.endingHashKey);
  }

  /** The shard whose range holds `hashKey`, or undefined (a gap, or a key outside 0..2^128-1). */
  lookup(hashKey: bigint): S | undefined {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    // Find the last shard starting at or below hashKey.
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= hashKey) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && hashKey <= this.#ends[hi]! ? this.#shards[hi] : undefined;
  }

  /** The shards, sorted by starting hash key. */
  get shards(): readonly S[] {
    return this.#shards;
  }
}

function checkShard(shard: ShardLike): void {
  const range = shard?.hashKeyRange;
  if (typeof shard?.shardId !== 'string' || range === undefined || range === null) {
    throw new InvalidShardMapError('every shard needs a shardId and a hashKeyRange');
  }
  const { startingHashKey: start, endingHashKey: end } = range;
  if (typeof start !== 'bigint' || typeof end !== 'bigint' || start < 0n || end > MAX_HASH_KEY || start > end) {
    throw new InvalidShardMapError(
      `shard ${shard.shardId} has an invalid hash key range (need bigints 0 <= start <= end <= 2^128-1)`,
    );
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
