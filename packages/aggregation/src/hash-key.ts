import { MAX_HASH_KEY } from './constants.js';
import { InvalidRecordError } from './errors.js';
import { KEY_SLOT_CACHE_CAPACITY, partitionKeyToHashKey } from './key-slots.js';
import { describe } from './partition-key.js';

export { partitionKeyByteLength, validatePartitionKey } from './partition-key.js';
export { partitionKeyToHashKey } from './key-slots.js';

/** Kinesis ExplicitHashKey pattern; `\d` without the `u` flag is ASCII 0-9 only. */
const EXPLICIT_HASH_KEY = /^(0|[1-9]\d{0,38})$/;

/** Digits of 2^128-1; any shorter decimal string is below it. */
const MAX_HASH_KEY_DIGITS = 39;
const MAX_HASH_KEY_DECIMAL = MAX_HASH_KEY.toString();

/**
 * Partition keys whose hash keys are remembered: the one key cache (see key-slots.ts), which
 * also holds each key's UTF-8 length, aggregate slot and routing memo.
 */
export const HASH_KEY_CACHE_CAPACITY = KEY_SLOT_CACHE_CAPACITY;

/** The hash key that routes a record: its explicit hash key if set, else its partition key's MD5. */
export function hashKeyOf(record: { partitionKey: string; explicitHashKey?: string | undefined }): bigint {
  return record.explicitHashKey === undefined
    ? partitionKeyToHashKey(record.partitionKey)
    : parseExplicitHashKey(record.explicitHashKey);
}

/** True when `value` is an explicit hash key Kinesis accepts (`0|[1-9]\d{0,38}`, <= 2^128-1). */
export function isValidExplicitHashKey(value: unknown): value is string {
  if (typeof value !== 'string' || !EXPLICIT_HASH_KEY.test(value)) return false;
  // Digit strings of the same length compare as numbers: no BigInt needed.
  return value.length < MAX_HASH_KEY_DIGITS || value <= MAX_HASH_KEY_DECIMAL;
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

