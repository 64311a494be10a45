// One regression test per known defect of aws-kinesis-agg 4.x (see docs/aggregation.md), named
// after the defect, showing that we do not have it.
import { describe, expect, it } from 'vitest';
import {
  MAX_HASH_KEY,
  RecordAggregator,
  ShardMap,
  aggregate,
  aggregateByShard,
  deaggregate,
  hashKeyOf,
  utf8Length,
} from '@kinesis-kit/aggregation';
import { md5HashKey, utf8 } from './helpers/bytes.js';
import { CORRUPT_FIXTURES } from './helpers/fixtures.js';

const stream = (data: Uint8Array): { data: Uint8Array; partitionKey: string; sequenceNumber: string } => ({ data, partitionKey: 'a', sequenceNumber: '1' });

describe('aws-kinesis-agg defects we do not have', () => {
  it('defect: de-aggregation invents an explicit hash key (table[0]) for members that have none', () => {
    const [outer] = aggregate([
      { partitionKey: 'with', explicitHashKey: '12345', data: utf8('1') },
      { partitionKey: 'without', data: utf8('2') },
    ]);
    const [withKey, withoutKey] = deaggregate(stream(outer!.data));
    expect(withKey!.explicitHashKey).toBe('12345');
    expect(withoutKey!.explicitHashKey).toBeUndefined();
    expect('explicitHashKey' in withoutKey!).toBe(false);
  });

  it('defect: the outer ExplicitHashKey is read from the wrong record', () => {
    // aws-kinesis-agg sets it to records[0].explicitHashKey as soon as any record has one
    // (here: undefined), so the aggregate is routed by the partition key "first" instead.
    const [outer] = aggregate([
      { partitionKey: 'first', data: utf8('1') },
      { partitionKey: 'second', explicitHashKey: '99', data: utf8('2') },
    ]);
    expect(outer!.partitionKey).toBe('a');
    expect(outer!.explicitHashKey).toBe(md5HashKey('first').toString());
    const [second] = aggregate([
      { partitionKey: 'first', explicitHashKey: '7', data: utf8('1') },
      { partitionKey: 'second', data: utf8('2') },
    ]);
    expect(second!.explicitHashKey).toBe('7');
  });

  it('defect: key sizes counted in UTF-16 units let aggregates exceed the size limit', () => {
    // '€' is 1 UTF-16 unit but 3 UTF-8 bytes; '😀' is 2 units but 4 bytes.
    const keys = ['€'.repeat(200), '😀'.repeat(150), 'ключ'.repeat(60)];
    expect(keys.map((k) => [k.length, utf8Length(k)])).toEqual([[200, 600], [300, 600], [240, 480]]);
    const records = Array.from({ length: 300 }, (_, i) => ({ partitionKey: `${keys[i % 3]!}${i}`, data: new Uint8Array(i % 50) }));
    for (const maxSize of [1_000, 5_000, 51_200]) {
      const aggregator = new RecordAggregator({ maxSize });
      for (const record of records) {
        if (!aggregator.tryAdd(record)) {
          const size = aggregator.dataSize;
          const out = aggregator.build()!;
          expect(out.data.length).toBe(size);
          expect(size).toBeLessThanOrEqual(maxSize);
          aggregator.tryAdd(record);
        }
      }
    }
  });

  it('defect: an MD5 mismatch is raised as an error instead of passing the record through', () => {
    const bad = CORRUPT_FIXTURES.find((f) => f.reason === 'md5-mismatch')!;
    const reasons: string[] = [];
    const out = deaggregate(stream(bad.data), { onCorrupt: (info) => reasons.push(info.reason) });
    expect(out).toHaveLength(1);
    expect(out[0]!.aggregated).toBe(false);
    expect(out[0]!.data).toBe(bad.data);
    expect(reasons).toEqual(['md5-mismatch']);
  });

  it('defect: data comes back as base64 and plain records have no subSequenceNumber', () => {
    const [member] = deaggregate(stream(aggregate([{ partitionKey: 'x', data: utf8('hi') }, { partitionKey: 'y', data: utf8('yo') }])[0]!.data));
    expect(member!.data).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(member!.data)).toBe('hi');
    const [plain] = deaggregate({ data: utf8('plain'), partitionKey: 'p', sequenceNumber: '1' });
    expect(plain!.subSequenceNumber).toBe(0);
    expect(plain!.aggregated).toBe(false);
    expect(plain!.data).toBeInstanceOf(Uint8Array);
  });

  it('defect: partition keys named like Object.prototype members corrupt or crash aggregation', () => {
    // aws-kinesis-agg: ["__proto__", "a"] decodes as ["a", undefined]; "hasOwnProperty" throws.
    for (const keys of [['__proto__', 'a'], ['hasOwnProperty', 'hasOwnProperty'], ['a', 'constructor', 'toString', '__proto__']]) {
      const [outer] = aggregate(keys.map((partitionKey) => ({ partitionKey, data: utf8(partitionKey) })));
      const out = deaggregate(stream(outer!.data), { onCorrupt: () => expect.unreachable() });
      expect(out.map((r) => [r.partitionKey, new TextDecoder().decode(r.data)])).toEqual(keys.map((k) => [k, k]));
    }
  });

  it('defect: integer-like partition keys are listed out of order, so members get another record’s key', () => {
    // aws-kinesis-agg builds the table with Object.keys(), which lists "42" and "7" before
    // "user-a" whatever the insertion order: it decodes as [7, user-a], [42, 42], [user-a, 7].
    const keys = ['user-a', '42', '7', 'user-a', '0'];
    const [outer] = aggregate(keys.map((partitionKey) => ({ partitionKey, data: utf8(partitionKey) })));
    const out = deaggregate(stream(outer!.data));
    expect(out.map((r) => [r.partitionKey, new TextDecoder().decode(r.data)])).toEqual(keys.map((k) => [k, k]));
  });

  it('defect: records bound for different shards are aggregated together', () => {
    const half = 1n << 127n;
    const shards = new ShardMap([
      { shardId: 'low', hashKeyRange: { startingHashKey: 0n, endingHashKey: half - 1n } },
      { shardId: 'high', hashKeyRange: { startingHashKey: half, endingHashKey: MAX_HASH_KEY } },
    ]);
    const records = ['1', '2', '3', (half + 1n).toString(), (half + 2n).toString()].map((explicitHashKey) => ({
      partitionKey: 'same-key',
      explicitHashKey,
      data: utf8(explicitHashKey),
    }));
    const byShard = aggregateByShard(records, shards);
    for (const [shardId, outers] of byShard) {
      const range = shards.shards.find((s) => s.shardId === shardId)!.hashKeyRange;
      for (const outer of outers) {
        expect(shards.lookup(hashKeyOf(outer))?.shardId).toBe(shardId);
        // The Java KCL 2.x drops a whole aggregate with any out-of-range member: there is none.
        const discarded: unknown[] = [];
        deaggregate(stream(outer.data), { hashKeyRange: range, onDiscard: (r) => discarded.push(r) });
        expect(discarded).toEqual([]);
      }
    }
    expect([...byShard.keys()].sort()).toEqual(['high', 'low']);
    // And if a mixed aggregate reaches us anyway, only its foreign members are dropped.
    const mixed = aggregate(records)[0]!;
    const kept = deaggregate(stream(mixed.data), { hashKeyRange: shards.shards[0]!.hashKeyRange });
    expect(kept.map((r) => r.subSequenceNumber)).toEqual([0, 1, 2]);
  });
});
