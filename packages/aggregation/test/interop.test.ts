// Interoperability with aws-kinesis-agg 4.x, which uses protobufjs: what we write, it reads;
// what it writes, we read. Records carry no explicit hash keys (its de-aggregation invents one).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate, isAggregated } from '@kinesis-kit/aggregation';
import { awsAggregate, awsDeaggregate } from './helpers/aws-kinesis-agg.js';
import { partitionKeyArb } from './helpers/arbitraries.js';
import { b64, fromHex } from './helpers/bytes.js';
import { REFERENCE_HEX } from './helpers/fixtures.js';

// aws-kinesis-agg keeps its key tables in plain objects, so keys such as "__proto__" or
// "hasOwnProperty" break it, and integer-like keys ("42") are listed out of order, giving
// members the wrong key (see aws-kinesis-agg-defects.test.ts); leave them out here.
const safeKeyArb = partitionKeyArb.filter((key) => !(key in Object.prototype) && !/^\d+$/.test(key));
const recordsArb = fc.array(
  fc.record({ partitionKey: safeKeyArb, data: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array(0))) }),
  { minLength: 1, maxLength: 50 },
);

describe('interoperability with aws-kinesis-agg', () => {
  it('aws-kinesis-agg reads the reference vector', () => {
    const out = awsDeaggregate({ data: fromHex(REFERENCE_HEX), partitionKey: 'a', sequenceNumber: '1' });
    expect(out.map((r) => [r.partitionKey, Buffer.from(r.data as string, 'base64').toString(), r.subSequenceNumber])).toEqual([
      ['pk1', 'hello', 0],
      ['pk2', 'world', 1],
      ['pk1', '!', 2],
    ]);
  });

  it('aws-kinesis-agg reads what we write', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 64, max: 20_000 }), (records, maxSize) => {
        const decoded = aggregate(records, { maxSize }).flatMap((outer) => {
          const theirs = awsDeaggregate({ data: outer.data, partitionKey: outer.partitionKey, sequenceNumber: '1' });
          // A lone record goes out unaggregated; aws-kinesis-agg passes it through as given.
          return theirs.map((r) => [r.partitionKey, typeof r.data === 'string' ? r.data : b64(r.data)]);
        });
        expect(decoded).toEqual(records.map((r) => [r.partitionKey, b64(r.data)]));
      }),
      { numRuns: 300 },
    );
  });

  it('we read what aws-kinesis-agg writes', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const outers = awsAggregate(records);
        for (const outer of outers) expect(isAggregated(outer.data)).toBe(true);
        const decoded = outers.flatMap((outer, i) =>
          deaggregate({ data: outer.data, partitionKey: outer.partitionKey, sequenceNumber: String(i) }, { onCorrupt: () => expect.unreachable() }),
        );
        expect(decoded.map((r) => [r.partitionKey, b64(r.data), r.aggregated])).toEqual(records.map((r) => [r.partitionKey, b64(r.data), true]));
        expect(decoded.every((r) => !('explicitHashKey' in r))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
