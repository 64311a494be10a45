import { MAX_PARTITION_KEY_LENGTH } from './constants.js';
import { InvalidRecordError } from './errors.js';

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

export function describe(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return value.length > 60 ? `a string of ${value.length} UTF-16 units` : JSON.stringify(value);
}
