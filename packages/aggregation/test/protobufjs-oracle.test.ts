// Differential property tests against protobufjs 8, in both directions. The schema is
// schema/kpl-aggregation.proto; protobufjs decodes by the protobuf specification (fields in
// any order, last value of a repeated singular field wins, unknown fields of every wire type
// skipped, a known number with the wrong wire type is unknown, missing required fields fail).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate, type CorruptAggregateInfo, type DeaggregatedRecord, type UserRecord } from '@kinesis-kit/aggregation';
import { aggregatorOptionsArb, explicitHashKeyArb, partitionKeyArb, userRecordsArb } from './helpers/arbitraries.js';
import { frame, toHex } from './helpers/bytes.js';
import { AggregatedRecordType, encodeWithProtobufjs, expectedMembers, type Expected, type Member, type OracleContents } from './helpers/protobufjs.js';
import { genAggregateArb, writeBody } from './helpers/wire.js';

function member(r: DeaggregatedRecord): Member {
  const base = { partitionKey: r.partitionKey, data: toHex(r.data), subSequenceNumber: r.subSequenceNumber };
  return r.explicitHashKey === undefined ? base : { ...base, explicitHashKey: r.explicitHashKey };
}

function asMember(r: UserRecord): Omit<Member, 'subSequenceNumber'> {
  const base = { partitionKey: r.partitionKey, data: toHex(r.data) };
  return r.explicitHashKey === undefined ? base : { ...base, explicitHashKey: r.explicitHashKey };
}

/** De-aggregates a framed `body` and checks the outcome is `expected`. */
function expectDecodedAs(body: Uint8Array, expected: Expected): void {
  const data = frame(toHex(body));
  const corrupt: CorruptAggregateInfo[] = [];
  const out = deaggregate({ data, partitionKey: 'outer', sequenceNumber: '7' }, { onCorrupt: (info) => corrupt.push(info) });
  if ('malformed' in expected) {
    expect({ corrupt: corrupt.map((c) => c.reason), out: out.map((r) => [r.aggregated, r.data === data]) }, expected.malformed).toEqual({
      corrupt: ['malformed-protobuf'],
      out: [[false, true]],
    });
  } else {
    expect(corrupt.map((c) => c.detail)).toEqual([]);
    expect(out.every((r) => r.aggregated)).toBe(true);
    expect(out.map(member)).toEqual(expected.members);
  }
}

/** Logical aggregate contents with valid table indexes, for protobufjs to encode. */
const contentsArb: fc.Arbitrary<OracleContents> = fc
  .tuple(fc.array(partitionKeyArb, { minLength: 1, maxLength: 4 }), fc.array(explicitHashKeyArb, { maxLength: 3 }))
  .chain(([pks, ehks]) =>
    fc.record({
      partitionKeyTable: fc.constant(pks),
      explicitHashKeyTable: fc.constant(ehks),
      records: fc.array(
        fc.record(
          {
            partitionKeyIndex: fc.nat(pks.length - 1),
            explicitHashKeyIndex: ehks.length > 0 ? fc.nat(ehks.length - 1) : fc.constant(undefined),
            data: fc.uint8Array({ maxLength: 40 }),
          },
          { requiredKeys: ['partitionKeyIndex', 'data'] },
        ),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  );

describe('protobufjs 8 as the oracle of the format', () => {
  it('protobufjs reads what we write, and re-encodes it to our bytes exactly', () => {
    fc.assert(
      fc.property(userRecordsArb, aggregatorOptionsArb, (records, options) => {
        const read: Omit<Member, 'subSequenceNumber'>[] = [];
        for (const outer of aggregate(records, options)) {
          const next = records[read.length]!;
          if (outer.data === next.data) {
            read.push(asMember(next)); // a lone record goes out unaggregated, as itself
            continue;
          }
          const body = outer.data.subarray(4, outer.data.length - 16);
          expect(toHex(outer.data)).toBe(toHex(frame(toHex(body))));
          const expected = expectedMembers(body);
          if ('malformed' in expected) expect.unreachable(expected.malformed);
          read.push(...expected.members.map(({ subSequenceNumber: _, ...rest }) => rest));
          expect(toHex(AggregatedRecordType.encode(AggregatedRecordType.decode(body)).finish())).toBe(toHex(body));
        }
        expect(read).toEqual(records.map(asMember));
      }),
      { numRuns: 300 },
    );
  });

  it('we read what protobufjs writes', () => {
    fc.assert(
      fc.property(contentsArb, (contents) => {
        expectDecodedAs(encodeWithProtobufjs(contents), {
          members: contents.records.map((r, i) => {
            const m: Member = { partitionKey: contents.partitionKeyTable[r.partitionKeyIndex]!, data: toHex(r.data), subSequenceNumber: i };
            return r.explicitHashKeyIndex === undefined ? m : { ...m, explicitHashKey: contents.explicitHashKeyTable[r.explicitHashKeyIndex]! };
          }),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('we decode any legal encoding as protobufjs does: unknown fields of every wire type, tags, reordering, repeats, non-minimal varints', () => {
    fc.assert(
      fc.property(genAggregateArb, (generated) => {
        const body = writeBody(generated);
        fc.pre(body.length > 0); // magic + MD5 alone is a plain record (the KCL's rule)
        expectDecodedAs(body, expectedMembers(body));
      }),
      { numRuns: 1_000 },
    );
  });

  it('a damaged body (truncated or one byte changed, MD5 recomputed) is malformed for us exactly when protobufjs rejects it', () => {
    fc.assert(
      fc.property(genAggregateArb, fc.nat(), fc.nat(255), fc.boolean(), (generated, at, byte, truncate) => {
        const whole = writeBody(generated);
        fc.pre(whole.length > 1);
        const i = at % whole.length;
        const body = truncate ? whole.slice(0, i + 1) : whole.map((b, j) => (j === i ? byte : b));
        const expected = expectedMembers(body);
        // protobufjs rejects keys and lengths of 6..10 bytes that the reference runtimes accept (see helpers/wire.ts).
        fc.pre(!('malformed' in expected && /invalid (tag|length) encoding/.test(expected.malformed)));
        expectDecodedAs(body, expected);
      }),
      { numRuns: 500 },
    );
  });
});
