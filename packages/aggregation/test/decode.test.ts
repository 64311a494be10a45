import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  type CorruptAggregateInfo,
  type DeaggregatedRecord,
  InvalidRecordError,
  aggregate,
  deaggregate,
  isAggregated,
} from '@kinesis-kit/aggregation';
import { frame, fromHex, utf8 } from './helpers/bytes.js';
import {
  CORRUPT_FIXTURES,
  EXPLICIT_HASH_KEY_HEX,
  ODD_BUT_VALID_FIXTURES,
  REFERENCE_HEX,
} from './helpers/fixtures.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const summary = (records: readonly DeaggregatedRecord[]): unknown[] =>
  records.map((r) => [r.partitionKey, r.explicitHashKey, text(r.data)]);

describe('deaggregate (golden bytes)', () => {
  it('reads the reference test vector', () => {
    const arrival = new Date('2024-01-01T00:00:00Z');
    const out = deaggregate({ data: fromHex(REFERENCE_HEX), partitionKey: 'a', sequenceNumber: '42', approximateArrivalTimestamp: arrival });
    expect(out).toEqual([
      { partitionKey: 'pk1', data: utf8('hello'), sequenceNumber: '42', subSequenceNumber: 0, aggregated: true, approximateArrivalTimestamp: arrival },
      { partitionKey: 'pk2', data: utf8('world'), sequenceNumber: '42', subSequenceNumber: 1, aggregated: true, approximateArrivalTimestamp: arrival },
      { partitionKey: 'pk1', data: utf8('!'), sequenceNumber: '42', subSequenceNumber: 2, aggregated: true, approximateArrivalTimestamp: arrival },
    ]);
    for (const record of out) expect('explicitHashKey' in record).toBe(false);
  });

  it('reads explicit hash keys only where the producer set one', () => {
    const out = deaggregate({ data: fromHex(EXPLICIT_HASH_KEY_HEX), partitionKey: 'a', sequenceNumber: '1' });
    expect(summary(out)).toEqual([
      ['pk1', '0', 'a'],
      ['pk2', undefined, 'b'],
      ['pk1', '340282366920938463463374607431768211455', 'c'],
      ['ü😀', '0', ''],
    ]);
    expect('explicitHashKey' in out[1]!).toBe(false);
  });

  it('accepts the AWS SDK v3 record shape', () => {
    const arrival = new Date();
    const out = deaggregate({ Data: fromHex(REFERENCE_HEX), PartitionKey: 'a', SequenceNumber: '7', ApproximateArrivalTimestamp: arrival });
    expect(out.map((r) => [r.partitionKey, r.sequenceNumber, r.subSequenceNumber, r.approximateArrivalTimestamp])).toEqual([
      ['pk1', '7', 0, arrival],
      ['pk2', '7', 1, arrival],
      ['pk1', '7', 2, arrival],
    ]);
  });

  it('returns member data as plain Uint8Array views into the input, without copying', () => {
    const input = Buffer.from(fromHex(REFERENCE_HEX));
    const [first] = deaggregate({ data: input, partitionKey: 'a', sequenceNumber: '1' });
    expect(Object.getPrototypeOf(first!.data)).toBe(Uint8Array.prototype);
    expect(first!.data.buffer).toBe(input.buffer);
    input[input.indexOf('hello')] = 0x48; // 'H': the view sees writes to the input
    expect(text(first!.data)).toBe('Hello');
  });
});

describe('deaggregate (plain records)', () => {
  it('passes a plain record through with subSequenceNumber 0', () => {
    const data = utf8('just bytes');
    const out = deaggregate({ data, partitionKey: 'pk', sequenceNumber: '9', explicitHashKey: '5' });
    expect(out).toEqual([
      { partitionKey: 'pk', explicitHashKey: '5', data, sequenceNumber: '9', subSequenceNumber: 0, aggregated: false, approximateArrivalTimestamp: undefined },
    ]);
    expect(out[0]!.data).toBe(data);
  });

  it('treats missing SDK fields as empty', () => {
    expect(deaggregate({})).toEqual([
      { partitionKey: '', data: new Uint8Array(0), sequenceNumber: '', subSequenceNumber: 0, aggregated: false, approximateArrivalTimestamp: undefined },
    ]);
  });

  it('rejects data that is not bytes (base64 must be decoded first)', () => {
    const record = { data: 'aGVsbG8=', partitionKey: 'a', sequenceNumber: '1' } as unknown as { data: Uint8Array; partitionKey: string; sequenceNumber: string };
    expect(() => deaggregate(record)).toThrow(InvalidRecordError);
  });
});

describe('deaggregate (corrupt input never throws)', () => {
  it.each(CORRUPT_FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const reports: CorruptAggregateInfo[] = [];
    const out = deaggregate(
      { data: fixture.data, partitionKey: 'outer', sequenceNumber: '11' },
      { onCorrupt: (info) => reports.push(info) },
    );
    expect(out).toEqual([
      { partitionKey: 'outer', data: fixture.data, sequenceNumber: '11', subSequenceNumber: 0, aggregated: false, approximateArrivalTimestamp: undefined },
    ]);
    expect(out[0]!.data).toBe(fixture.data);
    if (fixture.reason === undefined) {
      expect(reports).toEqual([]);
    } else {
      expect(reports).toEqual([{ sequenceNumber: '11', reason: fixture.reason, detail: expect.any(String) }]);
    }
  });

  it('never throws on random bytes behind the magic, framed or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (body, framed) => {
        const data = framed ? frame(Buffer.from(body).toString('hex')) : new Uint8Array([0xf3, 0x89, 0x9a, 0xc2, ...body]);
        const out = deaggregate({ data, partitionKey: 'p', sequenceNumber: '1' }, { onCorrupt: () => {} });
        for (const record of out) expect(record.data).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on mutated valid aggregates (MD5 recomputed so the parser sees them)', () => {
    const valid = aggregate([
      { partitionKey: 'pk1', explicitHashKey: '77', data: utf8('hello') },
      { partitionKey: 'pk2', data: utf8('world') },
      { partitionKey: 'pk1', data: new Uint8Array(200).fill(1) },
    ])[0]!.data;
    const body = Buffer.from(valid.subarray(4, valid.length - 16));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(body.length), (edits, cut) => {
        const mutated = Buffer.from(body);
        for (const [at, value] of edits) mutated[at] = value;
        const data = frame(mutated.subarray(0, cut).toString('hex'));
        const out = deaggregate({ data, partitionKey: 'p', sequenceNumber: '1' });
        expect(out.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not let an exception thrown by onCorrupt be swallowed', () => {
    const data = CORRUPT_FIXTURES.find((f) => f.reason === 'md5-mismatch')!.data;
    expect(() => deaggregate({ data, partitionKey: 'p', sequenceNumber: '1' }, { onCorrupt: () => { throw new Error('boom'); } })).toThrow('boom');
  });
});

describe('deaggregate (what a protobuf parser accepts)', () => {
  it.each(ODD_BUT_VALID_FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const onCorrupt = vi.fn();
    const out = deaggregate({ data: fixture.data, partitionKey: 'a', sequenceNumber: '1' }, { onCorrupt });
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(summary(out)).toEqual(fixture.members);
    expect(out.map((r) => r.subSequenceNumber)).toEqual(fixture.members.map((_, i) => i));
  });
});

describe('isAggregated', () => {
  it.each([
    ['empty', '', false],
    ['magic only', 'f3899ac2', false],
    ['magic + 16 bytes', 'f3899ac2' + '00'.repeat(16), false],
    ['magic + 17 bytes', 'f3899ac2' + '00'.repeat(17), true],
    ['wrong first byte', 'f2899ac2' + '00'.repeat(17), false],
    ['wrong last magic byte', 'f3899ac3' + '00'.repeat(17), false],
  ])('%s', (_name, hex, expected) => {
    expect(isAggregated(fromHex(hex))).toBe(expected);
  });
});

describe('deaggregate (hashKeyRange)', () => {
  // Hash keys: "a" and "b" by MD5, "lo"/"hi" by explicit hash key.
  const records = [
    { partitionKey: 'lo', explicitHashKey: '10', data: utf8('0') },
    { partitionKey: 'hi', explicitHashKey: '1000', data: utf8('1') },
    { partitionKey: 'lo', explicitHashKey: '20', data: utf8('2') },
    { partitionKey: 'hi', explicitHashKey: '999', data: utf8('3') },
  ];
  const stream = { data: aggregate(records)[0]!.data, partitionKey: 'a', sequenceNumber: '5' };

  it('drops only the members outside the range and keeps the others with their positions', () => {
    const discarded: DeaggregatedRecord[] = [];
    const out = deaggregate(stream, {
      hashKeyRange: { startingHashKey: 0n, endingHashKey: 100n },
      onDiscard: (record) => discarded.push(record),
    });
    expect(out.map((r) => [text(r.data), r.subSequenceNumber])).toEqual([
      ['0', 0],
      ['2', 2],
    ]);
    expect(discarded.map((r) => [text(r.data), r.subSequenceNumber, r.aggregated])).toEqual([
      ['1', 1, true],
      ['3', 3, true],
    ]);
  });

  it('treats both ends of the range as inclusive', () => {
    const out = deaggregate(stream, { hashKeyRange: { startingHashKey: 20n, endingHashKey: 999n } });
    expect(out.map((r) => text(r.data))).toEqual(['2', '3']);
  });

  it('uses the MD5 of the partition key for members without an explicit hash key', () => {
    const data = aggregate([
      { partitionKey: 'a', data: utf8('x') },
      { partitionKey: 'b', data: utf8('y') },
    ])[0]!.data;
    const hashA = BigInt('0x0cc175b9c0f1b6a831c399e269772661'); // md5("a")
    const out = deaggregate({ data, partitionKey: 'a', sequenceNumber: '1' }, { hashKeyRange: { startingHashKey: hashA, endingHashKey: hashA } });
    expect(out.map((r) => text(r.data))).toEqual(['x']);
  });

  it('keeps everything when the range is the whole hash key space', () => {
    const out = deaggregate(stream, { hashKeyRange: { startingHashKey: 0n, endingHashKey: (1n << 128n) - 1n } });
    expect(out).toHaveLength(4);
  });

  it('never drops plain records or corrupt aggregates (Kinesis routed them to this shard)', () => {
    const range = { startingHashKey: 0n, endingHashKey: 0n };
    expect(deaggregate({ data: utf8('plain'), partitionKey: 'zzz', sequenceNumber: '1' }, { hashKeyRange: range })).toHaveLength(1);
    const corrupt = CORRUPT_FIXTURES.find((f) => f.reason === 'malformed-protobuf')!.data;
    expect(deaggregate({ data: corrupt, partitionKey: 'zzz', sequenceNumber: '1' }, { hashKeyRange: range })).toHaveLength(1);
  });

  it('drops members whose BigInteger-style explicit hash key is negative', () => {
    const data = frame('0a0161 1202 2d31 1a07 0800 1000 1a0178');
    expect(deaggregate({ data, partitionKey: 'a', sequenceNumber: '1' }, { hashKeyRange: { startingHashKey: 0n, endingHashKey: 10n } })).toEqual([]);
  });
});
