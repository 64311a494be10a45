import { parseExplicitHashKey, utf8Length, validatePartitionKey } from '@kinesis-kit/aggregation';
import { InvalidRecordError } from '@kinesis-kit/core';
import { PutRecordError } from './errors.js';
import type { PutRecordInput } from './types.js';

/**
 * Checks a record at put(): partition key 1..256 characters without lone surrogates, explicit
 * hash key a canonical decimal 0..2^128-1, data a Uint8Array, data + partition key at most
 * `maxRecordSize` bytes. Returns that size, or the error for this record alone.
 */
export function validateRecord(input: PutRecordInput, maxRecordSize: number): number | PutRecordError {
  if (typeof input !== 'object' || input === null) {
    return invalid('INVALID_DATA', 'a record must be an object { partitionKey, data, explicitHashKey? }', input);
  }
  const { partitionKey, data, explicitHashKey } = input;
  try {
    validatePartitionKey(partitionKey);
    if (explicitHashKey !== undefined) {
      if (typeof explicitHashKey !== 'string') return invalid('INVALID_EXPLICIT_HASH_KEY', `explicit hash key must be a string, got ${typeof explicitHashKey}`, input);
      parseExplicitHashKey(explicitHashKey);
    }
  } catch (error) {
    if (error instanceof InvalidRecordError) return new PutRecordError(error.code as PutRecordError['code'], error.message, { record: input, cause: error });
    throw error;
  }
  if (!(data instanceof Uint8Array)) {
    return invalid('INVALID_DATA', `data must be a Uint8Array (a Buffer is one), got ${data === null ? 'null' : typeof data}`, input);
  }
  const size = utf8Length(partitionKey) + data.length;
  if (size > maxRecordSize) {
    return invalid('RECORD_TOO_LARGE', `record is ${size} bytes (data + partition key), above maxRecordSize ${maxRecordSize}`, input);
  }
  return size;
}

function invalid(code: PutRecordError['code'], message: string, input: PutRecordInput): PutRecordError {
  return new PutRecordError(code, message, { record: input });
}
