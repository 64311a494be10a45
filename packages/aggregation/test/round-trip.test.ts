import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type OuterRecord,
  RecordAggregator,
  type UserRecord,
  aggregate,
  deaggregate,
  isAggregated,
  utf8Length,
} from '@kinesis-kit/aggregation';
import { aggregatorOptionsArb, userRecordsArb } from './helpers/arbitraries.js';
import { b64 } from './helpers/bytes.js';

const asStream = (outer: OuterRecord, i: number): Parameters<typeof deaggregate>[0] => ({
  data: outer.data,
  partitionKey: outer.partitionKey,
  explicitHashKey: outer.explicitHashKey,
  sequenceNumber: String(i),
});
const comparable = (records: readonly { partitionKey: string; explicitHashKey?: string | undefined; data: Uint8Array }[]): unknown[] =>
  records.map((r) => [r.partitionKey, r.explicitHashKey, b64(r.data)]);

describe('round trips (property-based)', () => {
  it('aggregate then deaggregate returns every record in order; dataSize and partitionKeySize are exact', () => {
    fc.assert(
      fc.property(
        userRecordsArb.chain((records) => fc.tuple(fc.constant(records), fc.array(fc.boolean(), { minLength: records.length, maxLength: records.length }))),
        aggregatorOptionsArb,
        ([records, flushAfter], options) => {
          const aggregator = new RecordAggregator(options);
          const outers: OuterRecord[] = [];
          const flush = (): void => {
            const [count, dataSize, partitionKeySize] = [aggregator.count, aggregator.dataSize, aggregator.partitionKeySize];
            const out = aggregator.build();
            if (out === undefined) return void expect(dataSize).toBe(0);
            expect(out.data.length).toBe(dataSize);
            expect(utf8Length(out.partitionKey)).toBe(partitionKeySize);
            if (count >= 2) {
              expect(out.partitionKey).toBe('a');
              expect(isAggregated(out.data)).toBe(true);
              expect(dataSize).toBeLessThanOrEqual(options.maxSize);
              expect(count).toBeLessThanOrEqual(options.maxCount);
            }
            outers.push(out);
          };
          records.forEach((record, i) => {
            if (!aggregator.tryAdd(record)) {
              flush();
              expect(aggregator.tryAdd(record)).toBe(true);
            }
            if (flushAfter[i]) flush(); // builds at random points: every prefix gets measured
          });
          flush();
          const decoded = outers.flatMap((outer, i) => deaggregate(asStream(outer, i)));
          expect(comparable(decoded)).toEqual(comparable(records));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('aggregate() packs greedily: no outer record could have taken the next record', () => {
    fc.assert(
      fc.property(userRecordsArb, aggregatorOptionsArb, (records, options) => {
        const outers = aggregate(records, options);
        const counts = outers.map((o, i) => deaggregate(asStream(o, i)).length);
        let next = 0;
        for (const count of counts) {
          const aggregator = new RecordAggregator(options);
          for (const record of records.slice(next, next + count)) expect(aggregator.tryAdd(record)).toBe(true);
          next += count;
          if (next < records.length) expect(aggregator.tryAdd(records[next]!)).toBe(false);
        }
        expect(next).toBe(records.length);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every member when the hash key range is the whole space', () => {
    fc.assert(
      fc.property(userRecordsArb, (records: UserRecord[]) => {
        const outers = aggregate(records);
        const range = { startingHashKey: 0n, endingHashKey: (1n << 128n) - 1n };
        const decoded = outers.flatMap((o, i) => deaggregate(asStream(o, i), { hashKeyRange: range, onDiscard: () => expect.unreachable() }));
        expect(decoded).toHaveLength(records.length);
      }),
      { numRuns: 100 },
    );
  });
});
