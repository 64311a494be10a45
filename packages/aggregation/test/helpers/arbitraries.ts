import fc from 'fast-check';
import { MAX_HASH_KEY, type UserRecord } from '@kinesis-kit/aggregation';

/** Partition keys of 1..256 code points from all of Unicode (astral included, no lone surrogates). */
export const partitionKeyArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }),
  fc.constantFrom('a', 'pk1', '😀', '€uro', '\u{10FFFF}', '\uFEFFbom'),
);

export const explicitHashKeyArb = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map(String),
  fc.constantFrom('0', MAX_HASH_KEY.toString()),
);

export const dataArb = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)) },
);

export const userRecordArb: fc.Arbitrary<UserRecord> = fc.record(
  {
    partitionKey: partitionKeyArb,
    explicitHashKey: explicitHashKeyArb,
    data: dataArb,
  },
  { requiredKeys: ['partitionKey', 'data'] },
);

/** Records that share a few keys, so key tables get de-duplicated entries. */
export const userRecordsArb = fc
  .tuple(fc.array(partitionKeyArb, { minLength: 1, maxLength: 5 }), fc.array(explicitHashKeyArb, { minLength: 1, maxLength: 3 }))
  .chain(([keys, hashKeys]) =>
    fc.array(
      fc.oneof(
        userRecordArb,
        fc.record(
          {
            partitionKey: fc.constantFrom(...keys),
            explicitHashKey: fc.constantFrom(...hashKeys),
            data: dataArb,
          },
          { requiredKeys: ['partitionKey', 'data'] },
        ),
      ),
      { maxLength: 40 },
    ),
  );

export const aggregatorOptionsArb = fc.record({
  maxSize: fc.oneof(fc.integer({ min: 64, max: 4_096 }), fc.integer({ min: 4_096, max: 200_000 })),
  maxCount: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(4_294_967_295)),
});
