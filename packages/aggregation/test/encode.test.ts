import { describe, expect, it } from 'vitest';
import { RecordAggregator, aggregate } from '@kinesis-kit/aggregation';
import { md5HashKey, toHex, utf8 } from './helpers/bytes.js';
import {
  EXPLICIT_HASH_KEY_HEX,
  EXPLICIT_HASH_KEY_RECORDS,
  REFERENCE_HEX,
  REFERENCE_RECORDS,
} from './helpers/fixtures.js';

const hex = (s: string): string => s.replace(/\s+/g, '');

describe('encodeAggregate (golden bytes)', () => {
  it('writes the reference test vector byte for byte', () => {
    const out = aggregate(REFERENCE_RECORDS);
    expect(out).toHaveLength(1);
    expect(toHex(out[0]!.data)).toBe(hex(REFERENCE_HEX));
    expect(out[0]!.partitionKey).toBe('a');
    // The outer record routes like its first member: MD5("pk1") in decimal.
    expect(out[0]!.explicitHashKey).toBe(md5HashKey('pk1').toString());
  });

  it('writes explicit hash keys, multi-byte keys and empty data byte for byte', () => {
    const out = aggregate(EXPLICIT_HASH_KEY_RECORDS);
    expect(out).toHaveLength(1);
    expect(toHex(out[0]!.data)).toBe(hex(EXPLICIT_HASH_KEY_HEX));
    expect(out[0]!.explicitHashKey).toBe('0');
  });

  it('writes the same bytes again after build() reset the aggregator', () => {
    const aggregator = new RecordAggregator();
    for (let round = 0; round < 3; round++) {
      for (const record of REFERENCE_RECORDS) expect(aggregator.tryAdd(record)).toBe(true);
      expect(toHex(aggregator.build()!.data)).toBe(hex(REFERENCE_HEX));
    }
  });

  it('writes varints of several bytes for long keys, long data and large indexes', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      partitionKey: `k${i}`.padEnd(200, 'x'),
      data: new Uint8Array(i === 0 ? 20_000 : 3).fill(i),
    }));
    const aggregator = new RecordAggregator({ maxSize: 1_000_000 });
    for (const record of records) aggregator.tryAdd(record);
    const expected = aggregator.dataSize;
    const out = aggregator.build()!;
    expect(out.data.length).toBe(expected);
    // pk table entry 0: tag, 2-byte length (200), then the key.
    expect(toHex(out.data.subarray(4, 8))).toBe('0ac8016b');
  });

  it('always writes partition_key_index and data, even when 0 and empty (proto2 required)', () => {
    const out = aggregate([
      { partitionKey: 'a', data: new Uint8Array(0) },
      { partitionKey: 'a', data: utf8('x') },
    ]);
    // pk table "a"; record 0 = 08 00 1a 00; record 1 = 08 00 1a 01 78
    expect(toHex(out[0]!.data.subarray(4, out[0]!.data.length - 16))).toBe('0a0161' + '1a0408001a00' + '1a0508001a0178');
  });
});
