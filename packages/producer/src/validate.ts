import { type KeySlot, isValidExplicitHashKey, keySlot, parseExplicitHashKey } from '@kinesis-kit/aggregation';
import { InvalidRecordError } from '@kinesis-kit/core';
import { PutRecordError } from './errors.js';
import type { PutRecordInput } from './types.js';

/**
 * Checks a record at put(): partition key 1..256 characters without lone surrogates, explicit
 * hash key a canonical decimal 0..2^128-1, data a Uint8Array, data + partition key at most
 * `maxRecordSize` bytes. Returns that size, or the error for this record alone.
 */
export function validateRecord(input: PutRecordInput, maxRecordSize: number): number | PutRecordError {
  const slot = checkRecord(input, maxRecordSize);
  return slot instanceof PutRecordError ? slot : slot.utf8Length + input.data.length;
}

/**
 * validateRecord for the producer: the partition key's slot in the shared key cache (which
 * holds its UTF-8 length, hash key and routing memo), or the error for this record alone.
 * The explicit hash key is only checked here (no BigInt): routing parses it, once.
 */
export function checkRecord(input: PutRecordInput, maxRecordSize: number): KeySlot | PutRecordError {
  if (typeof input !== 'object' || input === null) {
    return invalid('INVALID_DATA', 'a record must be an object { partitionKey, data, explicitHashKey? }', input);
  }
  const { partitionKey, data, explicitHashKey } = input;
  let slot: KeySlot;
  try {
    slot = keySlot(partitionKey);
    if (explicitHashKey !== undefined) {
      if (typeof explicitHashKey !== 'string') return invalid('INVALID_EXPLICIT_HASH_KEY', `explicit hash key must be a string, got ${typeof explicitHashKey}`, input);
      if (!isValidExplicitHashKey(explicitHashKey)) parseExplicitHashKey(explicitHashKey); // throws, with the reason
    }
  } catch (error) {
    if (error instanceof InvalidRecordError) return new PutRecordError(error.code as PutRecordError['code'], error.message, { record: input, cause: error });
    throw error;
  }
  if (!(data instanceof Uint8Array)) {
    return invalid('INVALID_DATA', `data must be a Uint8Array (a Buffer is one), got ${data === null ? 'null' : typeof data}`, input);
  }
  const size = slot.utf8Length + data.length;
  if (size > maxRecordSize) {
    return invalid('RECORD_TOO_LARGE', `record is ${size} bytes (data + partition key), above maxRecordSize ${maxRecordSize}`, input);
  }
  return slot;
}

function invalid(code: PutRecordError['code'], message: string, input: PutRecordInput): PutRecordError {
  return new PutRecordError(code, message, { record: input });
}
