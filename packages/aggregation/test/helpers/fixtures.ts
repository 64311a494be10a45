// Golden byte fixtures of the aggregated-record format. Bodies of corrupt fixtures are given in
// hex and framed (magic + body + MD5) by `frame`, so each fixture fails exactly one check.
import type { CorruptAggregateReason, UserRecord } from '@kinesis-kit/aggregation';
import { frame, fromHex, utf8 } from './bytes.js';

/** The reference vector of docs/aggregation-format: (pk1,"hello"), (pk2,"world"), (pk1,"!"). */
export const REFERENCE_RECORDS: readonly UserRecord[] = [
  { partitionKey: 'pk1', data: utf8('hello') },
  { partitionKey: 'pk2', data: utf8('world') },
  { partitionKey: 'pk1', data: utf8('!') },
];
export const REFERENCE_HEX =
  'f3899ac2 0a03706b31 0a03706b32 1a0908001a0568656c6c6f 1a0908011a05776f726c64 1a0508001a0121 13441f9267225980303271d133978ab4';

/**
 * Explicit hash keys (shared table entry, absent for one member, the maximum), a two- and a
 * four-byte UTF-8 character in a key, and empty data (still written: proto2 required).
 */
export const EXPLICIT_HASH_KEY_RECORDS: readonly UserRecord[] = [
  { partitionKey: 'pk1', explicitHashKey: '0', data: utf8('a') },
  { partitionKey: 'pk2', data: utf8('b') },
  { partitionKey: 'pk1', explicitHashKey: '340282366920938463463374607431768211455', data: utf8('c') },
  { partitionKey: 'ü😀', explicitHashKey: '0', data: new Uint8Array(0) },
];
export const EXPLICIT_HASH_KEY_HEX = [
  'f3899ac2',
  '0a03706b31', // pk table[0] "pk1"
  '0a03706b32', // pk table[1] "pk2"
  '0a06c3bcf09f9880', // pk table[2] "ü😀" (6 UTF-8 bytes, 3 UTF-16 units)
  '120130', // ehk table[0] "0"
  '1227' + Buffer.from('340282366920938463463374607431768211455').toString('hex'), // ehk table[1] 2^128-1
  '1a07 0800 1000 1a0161', // pk 0, ehk 0, "a"
  '1a05 0801 1a0162', // pk 1, no ehk field at all, "b"
  '1a07 0800 1001 1a0163', // pk 0, ehk 1, "c"
  '1a06 0802 1000 1a00', // pk 2, ehk 0, empty data
  '060e1e36401ba8ac829878f273a92555',
].join('');

export interface CorruptFixture {
  readonly name: string;
  readonly data: Uint8Array;
  /** The onCorrupt reason, or undefined when the bytes are simply not an aggregate (no report). */
  readonly reason: CorruptAggregateReason | undefined;
}

const reference = fromHex(REFERENCE_HEX);
const flipped = reference.slice();
flipped[flipped.length - 1]! ^= 0xff;
const flippedBody = reference.slice();
flippedBody[10]! ^= 0x01;

/** Inputs that must come back as exactly one plain record, never an exception. */
export const CORRUPT_FIXTURES: readonly CorruptFixture[] = [
  { name: 'reference vector truncated by one byte', data: reference.subarray(0, reference.length - 1), reason: 'md5-mismatch' },
  { name: 'reference vector with its last MD5 byte flipped', data: flipped, reason: 'md5-mismatch' },
  { name: 'reference vector with a body byte flipped', data: flippedBody, reason: 'md5-mismatch' },
  { name: 'wrong magic', data: fromHex('f3899ac3' + REFERENCE_HEX.replace(/\s+/g, '').slice(8)), reason: undefined },
  { name: 'magic alone', data: fromHex('f3899ac2'), reason: undefined },
  { name: 'magic and exactly 16 bytes (KCL: not an aggregate)', data: frame(''), reason: undefined },
  { name: 'three bytes', data: fromHex('f3899a'), reason: undefined },
  { name: 'empty', data: new Uint8Array(0), reason: undefined },
  { name: 'garbage body', data: frame('ffffffff'), reason: 'malformed-protobuf' },
  { name: 'varint longer than 10 bytes', data: frame('08ffffffffffffffffffff01'), reason: 'malformed-protobuf' },
  { name: 'truncated varint', data: frame('0a03706b31 08ff'), reason: 'malformed-protobuf' },
  { name: 'huge length prefix', data: frame('0affffffffffffffff7f'), reason: 'malformed-protobuf' },
  { name: 'length past the end of the body', data: frame('0a10706b31'), reason: 'malformed-protobuf' },
  { name: 'record longer than the body', data: frame('0a03706b31 1a0908001a05'), reason: 'malformed-protobuf' },
  { name: 'data longer than its record', data: frame('0a03706b31 1a0408001a05 6868686868'), reason: 'malformed-protobuf' },
  { name: 'partition key index out of range', data: frame('0a03706b31 1a050801 1a0161'), reason: 'malformed-protobuf' },
  { name: 'huge partition key index', data: frame('0a03706b31 1a0e08ffffffffffffffffff01 1a0161'), reason: 'malformed-protobuf' },
  { name: 'explicit hash key index out of range', data: frame('0a03706b31 1a07 0800 1000 1a0161'), reason: 'malformed-protobuf' },
  { name: 'explicit hash key not a number', data: frame('0a03706b31 120378797a 1a07 0800 1000 1a0161'), reason: 'malformed-protobuf' },
  { name: 'record without partition_key_index', data: frame('0a03706b31 1a03 1a0161'), reason: 'malformed-protobuf' },
  { name: 'record without data', data: frame('0a03706b31 1a02 0800'), reason: 'malformed-protobuf' },
  { name: 'record with a tag that has no key', data: frame('0a03706b31 1a0a 0800 1a0161 2203120176'), reason: 'malformed-protobuf' },
  { name: 'field number 0', data: frame('0003706b31'), reason: 'malformed-protobuf' },
  { name: 'wire type 6', data: frame('0e03706b31'), reason: 'malformed-protobuf' },
  { name: 'wire type 7', data: frame('0f03706b31'), reason: 'malformed-protobuf' },
  { name: 'stray end-group', data: frame('0c'), reason: 'malformed-protobuf' },
  { name: 'unterminated group', data: frame('0b 0801'), reason: 'malformed-protobuf' },
  { name: 'mismatched end-group', data: frame('0b 14'), reason: 'malformed-protobuf' },
  { name: 'groups nested deeper than 100', data: frame('0b'.repeat(101) + '0c'.repeat(101)), reason: 'malformed-protobuf' },
  { name: 'truncated fixed64', data: frame('09 01020304'), reason: 'malformed-protobuf' },
];

export interface OddButValidFixture {
  readonly name: string;
  readonly data: Uint8Array;
  /** [partitionKey, explicitHashKey, data as text] of each member, in order. */
  readonly members: readonly (readonly [string, string | undefined, string])[];
}

/** Bodies the KPL would not write but a protobuf parser (the Java KCL's) accepts. */
export const ODD_BUT_VALID_FIXTURES: readonly OddButValidFixture[] = [
  {
    name: 'records before the key table',
    data: frame('1a05 0800 1a0161 0a03706b31'),
    members: [['pk1', undefined, 'a']],
  },
  {
    name: 'tables interleaved with records',
    data: frame('0a0161 1a05 0800 1a0178 0a0162 1a05 0801 1a0179'),
    members: [
      ['a', undefined, 'x'],
      ['b', undefined, 'y'],
    ],
  },
  {
    name: 'fields of a record in reverse order',
    data: frame('0a03706b31 120135 1a07 1a0161 1000 0800'),
    members: [['pk1', '5', 'a']],
  },
  {
    name: 'a repeated singular field: the last value wins',
    data: frame('0a0161 0a0162 1a07 0800 0801 1a0178'),
    members: [['b', undefined, 'x']],
  },
  {
    name: 'unknown fields of every wire type are skipped',
    data: frame(
      '2001 290102030405060708 3203616263 3d01020304 3b 0801 3c' + // top level: fields 4, 5, 6, 7 (group)
        '0a03706b31 1a12 0800 1a0161 2801 3101020304050607 08 4a00', // record: fields 5, 6, 9
    ),
    members: [['pk1', undefined, 'a']],
  },
  {
    name: 'a known field number with the wrong wire type is an unknown field',
    data: frame('0a0161 0801 1a08 0800 0a0178 1a0179'),
    members: [['a', undefined, 'y']],
  },
  {
    name: 'tags on a record are accepted and ignored',
    data: frame('0a03706b31 1a12 0800 1a0161 2206 0a016b 120176 2203 0a016b'),
    members: [['pk1', undefined, 'a']],
  },
  {
    name: 'explicit hash keys the Java BigInteger parser accepts',
    data: frame('0a0161 1203 303037 1202 2d31 1a07 0800 1000 1a0178 1a07 0800 1001 1a0179'),
    members: [
      ['a', '007', 'x'],
      ['a', '-1', 'y'],
    ],
  },
  {
    name: 'invalid UTF-8 in a key becomes U+FFFD',
    data: frame('0a02 61ff 1a05 0800 1a0178'),
    members: [['a\uFFFD', undefined, 'x']],
  },
  {
    name: 'a key table and no records: zero user records (as the Java KCL)',
    data: frame('0a03706b31 0a03706b32'),
    members: [],
  },
];
