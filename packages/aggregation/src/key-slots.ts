import { BoundedCache } from './bounded-cache.js';
import { partitionKeyByteLength, validatePartitionKey } from './hash-key.js';

/**
 * What aggregators remember about a partition key, shared by all of them: its UTF-8 bytes
 * (validated and encoded once, not once per aggregate) and which aggregate last put it in its
 * key table, at what index. An aggregate owns a slot while `owner` is its token; a slot taken
 * over by another aggregate, or evicted, only costs a duplicate key-table entry (still a valid
 * aggregate, with exact size bookkeeping), never a wrong index.
 */
export interface KeySlot {
  readonly utf8: Uint8Array;
  owner: number;
  index: number;
}

/** Partition keys remembered across aggregates, shared by every aggregator (a few MB for typical keys). */
export const KEY_SLOT_CACHE_CAPACITY = 16_384;

const slots = new BoundedCache<KeySlot>(KEY_SLOT_CACHE_CAPACITY);
const encoder = new TextEncoder();
let lastOwner = 0;

/**
 * The slot of a valid partition key.
 * @throws InvalidRecordError (INVALID_PARTITION_KEY) for an invalid one.
 */
export function keySlot(partitionKey: string): KeySlot {
  let slot = slots.get(partitionKey);
  if (slot === undefined) {
    if (typeof partitionKey !== 'string' || partitionKeyByteLength(partitionKey) < 0) {
      validatePartitionKey(partitionKey); // throws, with the reason
    }
    slot = { utf8: encoder.encode(partitionKey), owner: 0, index: 0 };
    slots.set(partitionKey, slot);
  }
  return slot;
}

/** A token no other aggregate has had. */
export function newOwner(): number {
  return ++lastOwner;
}
