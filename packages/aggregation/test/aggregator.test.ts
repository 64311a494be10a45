import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE,
  InvalidOptionError,
  InvalidRecordError,
  KinesisKitError,
  RecordAggregator,
  type UserRecord,
  aggregate,
  deaggregate,
} from '@kinesis-kit/aggregation';
import { toHex, utf8 } from './helpers/bytes.js';
import { REFERENCE_HEX, REFERENCE_RECORDS } from './helpers/fixtures.js';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
const members = (data: Uint8Array): number => deaggregate({ data, partitionKey: 'a', sequenceNumber: '1' }).length;

describe('RecordAggregator', () => {
  it('starts empty', () => {
    const aggregator = new RecordAggregator();
    expect([aggregator.count, aggregator.dataSize, aggregator.partitionKeySize]).toEqual([0, 0, 0]);
    expect(aggregator.build()).toBeUndefined();
  });

  it('sends a single record unaggregated: its own key, explicit hash key and data (not copied)', () => {
    const data = utf8('solo');
    const aggregator = new RecordAggregator();
    aggregator.tryAdd({ partitionKey: 'ключ', explicitHashKey: '123', data });
    expect([aggregator.count, aggregator.dataSize, aggregator.partitionKeySize]).toEqual([1, 4, 8]);
    const out = aggregator.build()!;
    expect(out).toEqual({ partitionKey: 'ключ', explicitHashKey: '123', data });
    expect(out.data).toBe(data);
    expect(aggregator.count).toBe(0);
  });

  it('leaves explicitHashKey out of a single record that has none', () => {
    const out = aggregate([{ partitionKey: 'k', data: utf8('x') }]);
    expect(out).toEqual([{ partitionKey: 'k', data: utf8('x') }]);
    expect('explicitHashKey' in out[0]!).toBe(false);
  });

  it('reports the exact size and key size of what build() returns', () => {
    const aggregator = new RecordAggregator();
    for (const record of REFERENCE_RECORDS) aggregator.tryAdd(record);
    expect(aggregator.dataSize).toBe(REFERENCE_HEX.replace(/\s+/g, '').length / 2);
    expect(aggregator.partitionKeySize).toBe(1);
    expect(aggregator.count).toBe(3);
  });

  it('rejects a record that would exceed maxSize, changing nothing', () => {
    const aggregator = new RecordAggregator({ maxSize: 100 });
    expect(aggregator.tryAdd({ partitionKey: 'a', data: bytes(30) })).toBe(true);
    expect(aggregator.tryAdd({ partitionKey: 'b', data: bytes(30) })).toBe(true);
    const before = [aggregator.count, aggregator.dataSize];
    expect(aggregator.tryAdd({ partitionKey: 'c', data: bytes(30) })).toBe(false);
    expect([aggregator.count, aggregator.dataSize]).toEqual(before);
    const out = aggregator.build()!;
    expect(out.data.length).toBe(before[1]);
    expect(members(out.data)).toBe(2);
  });

  it('accepts a record that makes the aggregate exactly maxSize, and not one byte more', () => {
    // 20 (magic + MD5) + key "a" (0a 01 61) + record 1 (1a 05 | 08 00 1a 01 xx)
    // + record 2 (1a a7 01 | 08 00 1a a2 01 + 162 bytes) = 20 + 3 + 7 + 170 = 200.
    const maxSize = 200;
    const n = 162;
    const fits = new RecordAggregator({ maxSize });
    fits.tryAdd({ partitionKey: 'a', data: bytes(1) });
    expect(fits.tryAdd({ partitionKey: 'a', data: bytes(n) })).toBe(true);
    expect(fits.dataSize).toBe(maxSize);
    expect(fits.build()!.data.length).toBe(maxSize);
    const overflows = new RecordAggregator({ maxSize });
    overflows.tryAdd({ partitionKey: 'a', data: bytes(1) });
    expect(overflows.tryAdd({ partitionKey: 'a', data: bytes(n + 1) })).toBe(false);
  });

  it('sends a record larger than maxSize alone, whichever side of it the others are', () => {
    const big = { partitionKey: 'big', data: bytes(1_000) };
    const small = (i: number): UserRecord => ({ partitionKey: `s${i}`, data: bytes(5) });
    const out = aggregate([small(1), small(2), big, small(3), big, big, small(4)], { maxSize: 64 });
    expect(out.map((o) => (o.partitionKey === 'a' ? members(o.data) : o.partitionKey))).toEqual([2, 'big', 's3', 'big', 'big', 's4']);
    expect(out[1]!.data).toBe(big.data);
  });

  it('respects maxCount', () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ partitionKey: `k${i}`, data: bytes(3) }));
    const out = aggregate(records, { maxCount: 3 });
    expect(out.map((o) => (o.partitionKey === 'a' ? members(o.data) : 1))).toEqual([3, 3, 3, 1]);
    expect(out[3]!.partitionKey).toBe('k9'); // a lone remainder goes out unaggregated
    expect(aggregate(records, { maxCount: 1 }).map((o) => o.partitionKey)).toEqual(records.map((r) => r.partitionKey));
  });

  it('uses the KPL defaults', () => {
    expect([DEFAULT_AGGREGATION_MAX_SIZE, DEFAULT_AGGREGATION_MAX_COUNT]).toEqual([51_200, 2 ** 32 - 1]);
    const records = Array.from({ length: 2_000 }, (_, i) => ({ partitionKey: `k${i % 7}`, data: bytes(100) }));
    const out = aggregate(records);
    for (const o of out) expect(o.data.length).toBeLessThanOrEqual(51_200);
    expect(out[0]!.data.length).toBeGreaterThan(51_200 - 110);
  });

  it('can be cleared', () => {
    const aggregator = new RecordAggregator();
    aggregator.tryAdd({ partitionKey: 'a', data: bytes(3) });
    aggregator.clear();
    expect([aggregator.count, aggregator.dataSize]).toEqual([0, 0]);
    for (const record of REFERENCE_RECORDS) aggregator.tryAdd(record);
    expect(toHex(aggregator.build()!.data)).toBe(REFERENCE_HEX.replace(/\s+/g, ''));
  });

  it('stays correct when several aggregators interleave the same keys', () => {
    const a = new RecordAggregator();
    const b = new RecordAggregator();
    for (let i = 0; i < 6; i++) {
      a.tryAdd({ partitionKey: `k${i % 2}`, data: utf8(`a${i}`) });
      b.tryAdd({ partitionKey: `k${i % 2}`, data: utf8(`b${i}`) });
    }
    for (const [aggregator, prefix] of [[a, 'a'], [b, 'b']] as const) {
      const expectedSize = aggregator.dataSize;
      const out = aggregator.build()!;
      expect(out.data.length).toBe(expectedSize);
      const decoded = deaggregate({ data: out.data, partitionKey: 'a', sequenceNumber: '1' });
      expect(decoded.map((r) => [r.partitionKey, new TextDecoder().decode(r.data)])).toEqual(
        Array.from({ length: 6 }, (_, i) => [`k${i % 2}`, `${prefix}${i}`]),
      );
    }
  });

  it('stays correct with more distinct keys than its caches hold', () => {
    const records = Array.from({ length: 40_000 }, (_, i) => ({ partitionKey: `key-${i}`, data: utf8(String(i)) }));
    const out = aggregate([...records, ...records], { maxSize: 10 * 1024 * 1024 });
    const decoded = out.flatMap((o) => deaggregate({ data: o.data, partitionKey: o.partitionKey, sequenceNumber: '1' }));
    expect(decoded).toHaveLength(80_000);
    expect(decoded.every((r, i) => r.partitionKey === `key-${i % 40_000}`)).toBe(true);
  });
});

describe('RecordAggregator options', () => {
  it.each([
    [{ maxSize: 63 }, 'maxSize'],
    [{ maxSize: 10 * 1024 * 1024 + 1 }, 'maxSize'],
    [{ maxSize: 100.5 }, 'maxSize'],
    [{ maxSize: Number.NaN }, 'maxSize'],
    [{ maxSize: '100' as unknown as number }, 'maxSize'],
    [{ maxCount: 0 }, 'maxCount'],
    [{ maxCount: -1 }, 'maxCount'],
    [{ maxCount: 1.5 }, 'maxCount'],
    [{ maxCount: Number.POSITIVE_INFINITY }, 'maxCount'],
  ])('rejects %j', (options, option) => {
    const attempt = (): RecordAggregator => new RecordAggregator(options);
    expect(attempt).toThrow(InvalidOptionError);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(KinesisKitError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', retriable: false, option });
    }
  });

  it.each([{}, { maxSize: 64 }, { maxSize: 10 * 1024 * 1024 }, { maxCount: 1 }, { maxSize: undefined, maxCount: undefined }])('accepts %j', (options) => {
    expect(() => new RecordAggregator(options)).not.toThrow();
  });

  it('validates options in aggregate() even with no records', () => {
    expect(() => aggregate([], { maxSize: 1 })).toThrow(InvalidOptionError);
  });
});

describe('RecordAggregator invalid records', () => {
  it.each([
    ['empty partition key', { partitionKey: '', data: bytes(1) }, 'INVALID_PARTITION_KEY'],
    ['257-character partition key', { partitionKey: 'x'.repeat(257), data: bytes(1) }, 'INVALID_PARTITION_KEY'],
    ['lone surrogate in the partition key', { partitionKey: 'a\uD800', data: bytes(1) }, 'INVALID_PARTITION_KEY'],
    ['non-string partition key', { partitionKey: 42 as unknown as string, data: bytes(1) }, 'INVALID_PARTITION_KEY'],
    ['explicit hash key with a leading zero', { partitionKey: 'a', explicitHashKey: '01', data: bytes(1) }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['explicit hash key of 2^128', { partitionKey: 'a', explicitHashKey: (1n << 128n).toString(), data: bytes(1) }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['empty explicit hash key', { partitionKey: 'a', explicitHashKey: '', data: bytes(1) }, 'INVALID_EXPLICIT_HASH_KEY'],
    ['string data', { partitionKey: 'a', data: 'text' as unknown as Uint8Array }, 'INVALID_DATA'],
  ])('throws for %s and changes nothing', (_name, record, code) => {
    const aggregator = new RecordAggregator();
    aggregator.tryAdd({ partitionKey: 'ok', data: bytes(2) });
    expect(() => aggregator.tryAdd(record)).toThrow(InvalidRecordError);
    expect(() => aggregator.tryAdd(record)).toThrow(expect.objectContaining({ code, retriable: false }));
    expect([aggregator.count, aggregator.dataSize]).toEqual([1, 2]);
  });
});
