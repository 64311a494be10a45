// Generated protobuf bodies for the differential tests: AggregatedRecord messages as a
// protobuf writer other than ours could legally produce them. Fields come in any order (the
// order within one repeated field kept), singular fields repeat (the last wins), varints
// are padded to be non-minimal (at most 10 bytes), and unknown fields of every wire type -
// groups included, and known field numbers with the wrong wire type - appear everywhere.
import fc from 'fast-check';
import { explicitHashKeyArb, partitionKeyArb } from './arbitraries.js';
import { utf8 } from './bytes.js';

type Bytes = readonly number[];

/** The longest key or length varint protobufjs 8 accepts (see Writer.key). */
const MAX_ORACLE_VARINT32 = 5;

/** An unknown field: a value of each wire type, or a group of unknown fields. */
export type Unknown =
  | { readonly no: number; readonly wireType: 0; readonly value: bigint }
  | { readonly no: number; readonly wireType: 1 | 5 | 2; readonly bytes: Uint8Array }
  | { readonly no: number; readonly wireType: 3; readonly fields: readonly Unknown[] };

export interface GenTag {
  readonly key?: string;
  readonly values: readonly string[];
  readonly unknowns: readonly Unknown[];
}

/** One Record; each singular field is a list of occurrences (empty: absent; the last wins). */
export interface GenRecord {
  readonly pkIndexes: readonly bigint[];
  readonly ehkIndexes: readonly bigint[];
  readonly datas: readonly Uint8Array[];
  readonly tags: readonly GenTag[];
  readonly unknowns: readonly Unknown[];
}

export interface GenAggregate {
  readonly pks: readonly string[];
  readonly ehks: readonly string[];
  readonly records: readonly GenRecord[];
  readonly unknowns: readonly Unknown[];
  /** Decide varint padding and field interleaving, consumed in turn (so failing cases shrink). */
  readonly choices: readonly number[];
}

const rarely = <T>(often: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 20, arbitrary: often }, { weight: 1, arbitrary: rare });

const uint64Arb = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

/** Unknown fields whose (number, wire type) is not a known field of the message (`known`: number -> wire type). */
function unknownsArb(known: Readonly<Record<number, number>>): fc.Arbitrary<Unknown[]> {
  const { unknown } = fc.letrec<{ unknown: Unknown }>((tie) => ({
    unknown: fc
      .oneof(
        { depthSize: 'small' },
        fc.record({ no: fieldNumberArb, wireType: fc.constant(0 as const), value: uint64Arb }),
        fc.record({ no: fieldNumberArb, wireType: fc.constant(1 as const), bytes: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
        fc.record({ no: fieldNumberArb, wireType: fc.constant(5 as const), bytes: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
        fc.record({ no: fieldNumberArb, wireType: fc.constant(2 as const), bytes: fc.uint8Array({ maxLength: 20 }) }),
        fc.record({ no: fieldNumberArb, wireType: fc.constant(3 as const), fields: fc.array(tie('unknown'), { maxLength: 3 }) }),
      )
      .filter((u) => known[u.no] !== u.wireType),
  }));
  return fc.array(unknown, { maxLength: 3 });
}

/** Known numbers (to get them with a wrong wire type), others, and the largest field number. */
const fieldNumberArb = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 6, max: 2_047 }), fc.constant(2 ** 29 - 1));

const tagArb: fc.Arbitrary<GenTag> = fc.record({
  key: rarely(fc.string({ maxLength: 10 }), fc.constant(undefined)),
  values: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
  unknowns: unknownsArb({ 1: 2, 2: 2 }),
});

function recordArb(pkCount: number, ehkCount: number): fc.Arbitrary<GenRecord> {
  const index = (count: number) => rarely(fc.nat(Math.max(count - 1, 0)).map(BigInt), uint64Arb);
  const decoys = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 2 });
  const occurrences = <T>(arb: fc.Arbitrary<T>) =>
    rarely(fc.tuple(decoys(arb), arb).map(([d, last]) => [...d, last]), fc.constant([] as T[]));
  return fc.record({
    pkIndexes: occurrences(index(pkCount)),
    ehkIndexes: fc.oneof(fc.constant([]), occurrences(index(ehkCount))),
    datas: occurrences(fc.uint8Array({ maxLength: 30 })),
    tags: fc.array(tagArb, { maxLength: 2 }),
    unknowns: unknownsArb({ 1: 0, 2: 0, 3: 2, 4: 2 }),
  });
}

/** Explicit hash keys as a table holds them: mostly canonical decimals, rarely what BigInteger reads or rejects. */
const tableEhkArb = rarely(explicitHashKeyArb, fc.constantFrom('007', '-1', '+5', 'abc', ''));

export const genAggregateArb: fc.Arbitrary<GenAggregate> = fc
  .tuple(fc.array(partitionKeyArb, { maxLength: 4 }), fc.array(tableEhkArb, { maxLength: 3 }))
  .chain(([pks, ehks]) =>
    fc.record({
      pks: fc.constant(pks),
      ehks: fc.constant(ehks),
      records: fc.array(recordArb(pks.length, ehks.length), { maxLength: 6 }),
      unknowns: unknownsArb({ 1: 2, 2: 2, 3: 2 }),
      choices: fc.array(fc.nat(255), { minLength: 1, maxLength: 64 }),
    }),
  );

/** Serialises a generated aggregate body, taking padding and interleaving decisions from `choices`. */
export function writeBody(agg: GenAggregate): Uint8Array {
  const w = new Writer(agg.choices);
  const fields = w.interleave([
    agg.pks.map((pk) => w.len(1, utf8(pk))),
    agg.ehks.map((ehk) => w.len(2, utf8(ehk))),
    agg.records.map((r) => w.len(3, writeRecord(w, r))),
    agg.unknowns.map((u) => w.unknown(u)),
  ]);
  return Uint8Array.from(fields);
}

function writeRecord(w: Writer, r: GenRecord): Bytes {
  return w.interleave([
    r.pkIndexes.map((i) => w.varintField(1, i)),
    r.ehkIndexes.map((i) => w.varintField(2, i)),
    r.datas.map((d) => w.len(3, d)),
    r.tags.map((t) => w.len(4, writeTag(w, t))),
    r.unknowns.map((u) => w.unknown(u)),
  ]);
}

function writeTag(w: Writer, t: GenTag): Bytes {
  return w.interleave([t.key === undefined ? [] : [w.len(1, utf8(t.key))], t.values.map((v) => w.len(2, utf8(v))), t.unknowns.map((u) => w.unknown(u))]);
}

class Writer {
  #next = 0;
  constructor(readonly choices: readonly number[]) {}

  #choose(n: number): number {
    return this.choices[this.#next++ % this.choices.length]! % n;
  }

  /** A base-128 varint, padded with zero groups in one case out of four (never past `maxLength` bytes). */
  varint(value: bigint, maxLength = 10): number[] {
    const out: number[] = [];
    let rest = value;
    do {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      out.push(rest > 0n ? low | 0x80 : low);
    } while (rest > 0n);
    const pad = this.#choose(4) === 0 ? Math.min(1 + this.#choose(4), maxLength - out.length) : 0;
    if (pad > 0) {
      out[out.length - 1]! |= 0x80;
      for (let i = 1; i < pad; i++) out.push(0x80);
      out.push(0x00);
    }
    return out;
  }

  /**
   * Keys and lengths are padded to at most 5 bytes: protobufjs 8 rejects longer ones ("invalid
   * tag encoding", "invalid length encoding"), while the Java, C++ and upb runtimes, and our
   * reader, accept up to 10 bytes whose value fits in 32 bits. That is where the oracle is stricter.
   */
  key(no: number, wireType: number): number[] {
    return this.varint(BigInt(no) * 8n + BigInt(wireType), MAX_ORACLE_VARINT32);
  }

  varintField(no: number, value: bigint): Bytes {
    return [...this.key(no, 0), ...this.varint(value)];
  }

  len(no: number, payload: Bytes | Uint8Array): Bytes {
    return [...this.key(no, 2), ...this.varint(BigInt(payload.length), MAX_ORACLE_VARINT32), ...payload];
  }

  unknown(u: Unknown): Bytes {
    switch (u.wireType) {
      case 0:
        return this.varintField(u.no, u.value);
      case 2:
        return this.len(u.no, u.bytes);
      case 3:
        return [...this.key(u.no, 3), ...u.fields.flatMap((f) => this.unknown(f)), ...this.key(u.no, 4)];
      default:
        return [...this.key(u.no, u.wireType), ...u.bytes];
    }
  }

  /** Merges lists of encoded fields in a chosen order, keeping each list's own order. */
  interleave(lists: readonly (readonly Bytes[])[]): Bytes {
    const queues = lists.map((l) => [...l]).filter((l) => l.length > 0);
    const out: number[] = [];
    while (queues.length > 0) {
      const i = this.#choose(queues.length);
      out.push(...queues[i]!.shift()!);
      if (queues[i]!.length === 0) queues.splice(i, 1);
    }
    return out;
  }
}
