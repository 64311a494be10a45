import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HASH_KEY_CACHE_CAPACITY,
  InvalidRecordError,
  MAX_HASH_KEY,
  hashKeyOf,
  isValidExplicitHashKey,
  parseExplicitHashKey,
  partitionKeyToHashKey,
  validatePartitionKey,
} from '@kinesis-kit/aggregation';
import { md5HashKey } from './helpers/bytes.js';

describe('MAX_HASH_KEY', () => {
  it('is 2^128-1', () => {
    expect(MAX_HASH_KEY).toBe(340282366920938463463374607431768211455n);
  });
});

describe('parseExplicitHashKey', () => {
  it.each([
    ['0', 0n],
    ['1', 1n],
    ['10', 10n],
    ['9'.repeat(38), 10n ** 38n - 1n],
    ['100000000000000000000000000000000000000', 10n ** 38n],
    ['340282366920938463463374607431768211455', MAX_HASH_KEY],
  ])('accepts %s', (value, expected) => {
    expect(parseExplicitHashKey(value)).toBe(expected);
    expect(isValidExplicitHashKey(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['leading zero', '01'],
    ['two zeros', '00'],
    ['negative', '-1'],
    ['plus sign', '+1'],
    ['leading space', ' 1'],
    ['trailing space', '1 '],
    ['trailing newline', '1\n'],
    ['decimal point', '1.0'],
    ['exponent', '1e3'],
    ['hexadecimal', '0x10'],
    ['non-ASCII digit', '\u0663'],
    ['full-width digit', '\uFF11'],
    ['2^128', '340282366920938463463374607431768211456'],
    ['39 nines', '9'.repeat(39)],
    ['40 digits', '1' + '0'.repeat(39)],
  ])('rejects %s', (_name, value) => {
    expect(() => parseExplicitHashKey(value)).toThrow(InvalidRecordError);
    expect(() => parseExplicitHashKey(value)).toThrow(expect.objectContaining({ code: 'INVALID_EXPLICIT_HASH_KEY', retriable: false }));
    expect(isValidExplicitHashKey(value)).toBe(false);
  });

  it('rejects what is not a string', () => {
    expect(isValidExplicitHashKey(5)).toBe(false);
    expect(() => parseExplicitHashKey(5 as unknown as string)).toThrow(InvalidRecordError);
  });

  it('round-trips every hash key through its decimal form', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), (key) => parseExplicitHashKey(key.toString()) === key));
  });
});

describe('validatePartitionKey (1..256 Unicode code points, no lone surrogates)', () => {
  it.each([
    ['one ASCII character', 'a'],
    ['256 ASCII characters', 'x'.repeat(256)],
    ['256 astral characters (512 UTF-16 units)', '😀'.repeat(256)],
    ['255 characters and one astral', 'x'.repeat(255) + '😀'],
    ['a NUL character', '\u0000'],
    ['a byte-order mark', '\uFEFF'],
    ['mixed scripts', 'é€😀ключ'],
  ])('accepts %s', (_name, key) => {
    expect(validatePartitionKey(key)).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['257 ASCII characters', 'x'.repeat(257)],
    ['257 astral characters', '😀'.repeat(257)],
    ['256 characters and one astral', 'x'.repeat(256) + '😀'],
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['a reversed pair', '\uDE00\uD83D'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => 'a' }],
  ])('rejects %s', (_name, key) => {
    expect(() => validatePartitionKey(key)).toThrow(InvalidRecordError);
    expect(() => validatePartitionKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITION_KEY', retriable: false }));
  });
});

describe('partitionKeyToHashKey', () => {
  it.each([
    ['a', 0x0cc175b9c0f1b6a831c399e269772661n],
    ['pk1', md5HashKey('pk1')],
    ['😀', md5HashKey('😀')],
  ])('hashes %s as MD5 of its UTF-8 bytes, big-endian', (key, expected) => {
    expect(partitionKeyToHashKey(key)).toBe(expected);
  });

  it('agrees with an independent MD5 on any key, cached or not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), (key) => {
        expect(partitionKeyToHashKey(key)).toBe(md5HashKey(key));
        expect(partitionKeyToHashKey(key)).toBe(md5HashKey(key));
      }),
    );
  });

  it('stays correct past the cache capacity', () => {
    const keys = Array.from({ length: HASH_KEY_CACHE_CAPACITY * 2 + 10 }, (_, i) => `key-${i}`);
    for (const key of keys) partitionKeyToHashKey(key);
    for (const key of [keys[0]!, keys[HASH_KEY_CACHE_CAPACITY]!, keys.at(-1)!]) {
      expect(partitionKeyToHashKey(key)).toBe(md5HashKey(key));
    }
  });
});

describe('hashKeyOf', () => {
  it('prefers the explicit hash key', () => {
    expect(hashKeyOf({ partitionKey: 'a', explicitHashKey: '7' })).toBe(7n);
  });

  it('falls back to the partition key hash', () => {
    expect(hashKeyOf({ partitionKey: 'a' })).toBe(md5HashKey('a'));
    expect(hashKeyOf({ partitionKey: 'a', explicitHashKey: undefined })).toBe(md5HashKey('a'));
  });

  it('rejects an invalid explicit hash key', () => {
    expect(() => hashKeyOf({ partitionKey: 'a', explicitHashKey: '007' })).toThrow(InvalidRecordError);
  });
});
