export * from './errors.js';
export type * from './types.js';
export {
  AGGREGATED_PARTITION_KEY,
  AGGREGATION_OVERHEAD,
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE,
  MAGIC,
  MAX_AGGREGATION_MAX_SIZE,
  MAX_HASH_KEY,
  MAX_PARTITION_KEY_LENGTH,
  MIN_AGGREGATION_MAX_SIZE,
} from './constants.js';
export { type AggregatorOptions, DEFAULT_AGGREGATOR_OPTIONS } from './options.js';
export { RecordAggregator, aggregate } from './aggregator.js';
export { aggregateByShard } from './aggregate-by-shard.js';
export { type CorruptAggregateInfo, type DeaggregateOptions, deaggregate, isAggregated } from './decode.js';
export {
  HASH_KEY_CACHE_CAPACITY,
  hashKeyOf,
  isValidExplicitHashKey,
  parseExplicitHashKey,
  partitionKeyToHashKey,
  validatePartitionKey,
} from './hash-key.js';
export { type KeySlot, KEY_SLOT_CACHE_CAPACITY, keySlot, slotHashKey } from './key-slots.js';
export { type ShardLike, ShardMap } from './shard-map.js';
export { utf8Length } from './utf8.js';
