import { hash } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { partitionKeyByteLength, validatePartitionKey } from './partition-key.js';

/**
 * Everything remembered about a partition key, in one cache shared by every aggregator and
 * router: its UTF-8 length (validated once, not once per record), its hash key (MD5, computed
 * on first need), which aggregate last put it in its key table and at what index, and one
 * router's memo of where it goes. An aggregate owns a slot while `owner` is its token; a slot
 * taken over by another aggregate, or evicted, only costs a duplicate key-table entry (still a
 * valid aggregate, with exact size bookkeeping), never a wrong index. A routing memo is valid
 * only while `routeTag` is the router's current tag (a router changes its tag with its map).
 */
export interface KeySlot {
  readonly partitionKey: string;
  /** UTF-8 byte length of the key. */
  readonly utf8Length: number;
  /** Its hash key (MD5 of the UTF-8 bytes, big-endian), once computed: read it through slotHashKey(). */
  hashKey: bigint | undefined;
  owner: number;
  index: number;
  routeTag: object | undefined;
  route: unknown;
}

/** Partition keys remembered, shared by every aggregator and router (a few MB for typical keys). */
export const KEY_SLOT_CACHE_CAPACITY = 16_384;

const slots = new BoundedCache<KeySlot>(KEY_SLOT_CACHE_CAPACITY);
let lastOwner = 0;

/**
 * The slot of a valid partition key.
 * @throws InvalidRecordError (INVALID_PARTITION_KEY) for an invalid one.
 */
export function keySlot(partitionKey: string): KeySlot {
  let slot = slots.get(partitionKey);
  if (slot === undefined) {
    const utf8Length = typeof partitionKey === 'string' ? partitionKeyByteLength(partitionKey) : -1;
    if (utf8Length < 0) validatePartitionKey(partitionKey); // throws, with the reason
    slot = { partitionKey, utf8Length, hashKey: undefined, owner: 0, index: 0, routeTag: undefined, route: undefined };
    slots.set(partitionKey, slot);
  }
  return slot;
}

/** The slot's hash key, computed on first need. */
export function slotHashKey(slot: KeySlot): bigint {
  return (slot.hashKey ??= md5HashKey(slot.partitionKey));
}

/**
 * The 128-bit hash key Kinesis derives from a partition key: MD5 of its UTF-8 bytes read as a
 * big-endian unsigned integer. Cached in the key's slot; a key that is not a valid partition
 * key (read from a foreign aggregate, say) is hashed without being cached.
 */
export function partitionKeyToHashKey(partitionKey: string): bigint {
  const slot = slots.get(partitionKey);
  if (slot !== undefined) return slotHashKey(slot);
  if (partitionKeyByteLength(partitionKey) < 0) return md5HashKey(partitionKey);
  return slotHashKey(keySlot(partitionKey));
}

/** One-shot hash (Node >= 20.12): no Hash object per call. Hex + BigInt measured ~2x faster than two readBigUInt64BE calls. */
function md5HashKey(partitionKey: string): bigint {
  return BigInt('0x' + hash('md5', partitionKey, 'hex'));
}

/** A token no other aggregate has had. */
export function newOwner(): number {
  return ++lastOwner;
}
