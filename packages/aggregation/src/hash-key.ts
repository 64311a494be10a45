import { hash } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { MAX_HASH_KEY, MAX_PARTITION_KEY_LENGTH } from './constants.js';
import { InvalidRecordError } from './errors.js';

/** Kinesis ExplicitHashKey pattern; `\d` without the `u` flag is ASCII 0-9 only. */
const EXPLICIT_HASH_KEY = /^(0|[1-9]\d{0,38})$/;

/** Digits of 2^128-1; any shorter decimal string is below it. */
const MAX_HASH_KEY_DIGITS = 39;

/**
 * Partition keys whose hash keys are remembered. MD5 is the dominant per-record cost of shard
 * prediction, and real streams reuse keys; memory stays bounded whatever the key cardinality.
 */
export const HASH_KEY_CACHE_CAPACITY = 10_000;
const hashKeyCache = new BoundedCache<bigint>(HASH_KEY_CACHE_CAPACITY);

/**
 * The 128-bit hash key Kinesis derives from a partition key: MD5 of its UTF-8 bytes read as a
 * big-endian unsigned integer. Results are cached (bounded, see HASH_KEY_CACHE_CAPACITY).
 */
export function partitionKeyToHashKey(partitionKey: string): bigint {
  let key = hashKeyCache.get(partitionKey);
  if (key === undefined) {
    // One-shot hash (Node >= 20.12): no Hash object per call. Hex + BigInt measured ~2x faster
    // than two readBigUInt64BE calls on a Buffer digest.
    key = BigInt('0x' + hash('md5', partitionKey, 'hex'));
    hashKeyCache.set(partitionKey, key);
  }
  return key;
}

/** The hash key that routes a record: its explicit hash key if set, else its partition key's MD5. */
export function hashKeyOf(record: { partitionKey: string; explicitHashKey?: string | undefined }): bigint {
  return record.explicitHashKey === undefined
    ? partitionKeyToHashKey(record.partitionKey)
    : parseExplicitHashKey(record.explicitHashKey);
}

/** True when `value` is an explicit hash key Kinesis accepts (`0|[1-9]\d{0,38}`, <= 2^128-1). */
export function isValidExplicitHashKey(value: unknown): value is string {
  if (typeof value !== 'string' || !EXPLICIT_HASH_KEY.test(value)) return false;
  return value.length < MAX_HASH_KEY_DIGITS || BigInt(value) <= MAX_HASH_KEY;
}

/**
 * Parses a Kinesis ExplicitHashKey. Only the canonical decimal form is accepted (no sign, no
 * leading zeros, no whitespace), because that is what the service and the KPL accept.
 */
export function parseExplicitHashKey(value: string): bigint {
  if (!isValidExplicitHashKey(value)) {
    throw new InvalidRecordError(
      'INVALID_EXPLICIT_HASH_KEY',
      `explicit hash key must be a decimal integer 0..2^128-1 without leading zeros, got ${describe(value)}`,
    );
  }
  return BigInt(value);
}

/**
 * UTF-8 byte length of a valid partition key, or -1 when the key is invalid: empty, more than
 * 256 code points, or holding a lone surrogate (which has no UTF-8 form, so its MD5 - and hence
 * its shard - would be ambiguous).
 */
export function partitionKeyByteLength(pk: string): number {
  const n = pk.length;
  if (n === 0 || n > 2 * MAX_PARTITION_KEY_LENGTH) return -1;
  let bytes = n;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    const c = pk.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes += 2;
    } else {
      const d = i + 1 < n ? pk.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return -1;
      bytes += 2;
      pairs++;
      i++;
    }
  }
  return n - pairs > MAX_PARTITION_KEY_LENGTH ? -1 : bytes;
}

/**
 * Checks a partition key: a string of 1..256 Unicode characters, counted as code points (an
 * astral character such as an emoji is one character, as Kinesis documents), with no lone
 * surrogates. Returns it unchanged. Code points are what the service's model constrains: its
 * PartitionKey carries the Smithy `@length(min: 1, max: 256)` trait, and Smithy measures a
 * string's length in Unicode scalar values. (The KPL's Java front end and kinesis-local count
 * UTF-16 units, which is stricter; see docs/errors.md.)
 */
export function validatePartitionKey(pk: unknown): string {
  if (typeof pk !== 'string' || partitionKeyByteLength(pk) < 0) {
    throw new InvalidRecordError(
      'INVALID_PARTITION_KEY',
      `partition key must be a string of 1..${MAX_PARTITION_KEY_LENGTH} Unicode characters without lone surrogates, got ${describe(pk)}`,
    );
  }
  return pk;
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return value.length > 60 ? `a string of ${value.length} UTF-16 units` : JSON.stringify(value);
}
