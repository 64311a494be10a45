import { RecordAggregator } from './aggregator.js';
import { KinesisKitError } from './errors.js';
import { hashKeyOf } from './hash-key.js';
import { type AggregatorOptions, resolveAggregatorOptions } from './options.js';
import type { ShardLike, ShardMap } from './shard-map.js';
import type { OuterRecord, UserRecord } from './types.js';

/**
 * Aggregates `records` per predicted shard, the way the KPL does: one aggregator per shard, so
 * no aggregate mixes members bound for different shards (which the Java KCL would drop).
 * Returns the outer records by shard id, each list in input order.
 * @throws KinesisKitError (code NO_SHARD_FOR_HASH_KEY) when a record's hash key is in no shard's range.
 */
export function aggregateByShard<S extends ShardLike>(
  records: Iterable<UserRecord>,
  shardMap: ShardMap<S>,
  options?: AggregatorOptions,
): Map<string, OuterRecord[]> {
  const resolved = resolveAggregatorOptions(options);
  const aggregators = new Map<string, RecordAggregator>();
  const out = new Map<string, OuterRecord[]>();
  for (const record of records) {
    const hashKey = hashKeyOf(record);
    const shard = shardMap.lookup(hashKey);
    if (shard === undefined) {
      throw new KinesisKitError('NO_SHARD_FOR_HASH_KEY', `no shard in the map owns hash key ${hashKey}`);
    }
    let aggregator = aggregators.get(shard.shardId);
    if (aggregator === undefined) {
      aggregator = new RecordAggregator(resolved);
      aggregators.set(shard.shardId, aggregator);
      out.set(shard.shardId, []);
    }
    if (!aggregator.tryAdd(record)) {
      out.get(shard.shardId)!.push(aggregator.build()!);
      aggregator.tryAdd(record);
    }
  }
  for (const [shardId, aggregator] of aggregators) {
    const last = aggregator.build();
    if (last !== undefined) out.get(shardId)!.push(last);
  }
  return out;
}
