import { describe, expect, it } from 'vitest';
import { PutRecordError } from '../src/errors.js';
import type { PutRecordInput } from '../src/index.js';
import { validateRecord } from '../src/validate.js';

const data = new Uint8Array(10);

describe('validateRecord', () => {
  it('returns data + UTF-8 partition key bytes for a valid record', () => {
    expect(validateRecord({ partitionKey: 'é', data }, 100)).toBe(12);
    expect(validateRecord({ partitionKey: 'k', data: Buffer.alloc(3), explicitHashKey: '0' }, 100)).toBe(4);
    expect(validateRecord({ partitionKey: 'x'.repeat(256), data }, 1_000)).toBe(266);
    expect(validateRecord({ partitionKey: '😀'.repeat(256), data }, 2_000)).toBe(1_034);
    expect(validateRecord({ partitionKey: 'k', data, explicitHashKey: String((1n << 128n) - 1n) }, 100)).toBe(11);
  });

  it.each([
    ['an empty partition key', { partitionKey: '', data }, 'INVALID_PARTITION_KEY'],
    ['a 257-character partition key', { partitionKey: 'x'.repeat(257), data }, 'INVALID_PARTITION_KEY'],
    ['a lone surrogate', { partitionKey: 'a\ud800', data }, 'INVALID_PARTITION_KEY'],
    ['a number as partition key', { partitionKey: 42, data }, 'INVALID_PARTITION_KEY'],
    ['an explicit hash key with a leading zero', { partitionKey: 'k', data, explicitHashKey: '01' }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['an explicit hash key of 2^128', { partitionKey: 'k', data, explicitHashKey: String(1n << 128n) }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['a negative explicit hash key', { partitionKey: 'k', data, explicitHashKey: '-1' }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['a numeric explicit hash key', { partitionKey: 'k', data, explicitHashKey: 5 }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['string data', { partitionKey: 'k', data: 'hello' }, 'INVALID_DATA'],
    ['missing data', { partitionKey: 'k' }, 'INVALID_DATA'],
    ['an array as data', { partitionKey: 'k', data: [1, 2] }, 'INVALID_DATA'],
    ['null instead of a record', null, 'INVALID_DATA'],
    ['data + key over maxRecordSize', { partitionKey: 'kk', data: new Uint8Array(99) }, 'RECORD_TOO_LARGE'],
  ])('refuses %s with a PutRecordError carrying the record', (_, input, code) => {
    const error = validateRecord(input as PutRecordInput, 100);
    expect(error).toBeInstanceOf(PutRecordError);
    expect(error).toMatchObject({ code, retriable: false, record: input, attempts: [] });
  });
});
