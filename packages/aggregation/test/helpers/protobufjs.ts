// protobufjs 8 as the test oracle of the format: it parses the schema of record
// (schema/kpl-aggregation.proto) and decodes and encodes AggregatedRecord bodies independently
// of our hand-written codec. The root package.json asks for protobufjs ^8; the peers keep their
// nested 7.x (`npm ls protobufjs`), whose decoder mis-reads known fields with the wrong wire type.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { toHex } from './bytes.js';

export const PROTO_PATH = fileURLToPath(new URL('../../schema/kpl-aggregation.proto', import.meta.url));
export const schema = protobuf.loadSync(PROTO_PATH);
export const AggregatedRecordType = schema.lookupType('kinesis_kit.kpl.AggregatedRecord');
export const RecordType = schema.lookupType('kinesis_kit.kpl.Record');
export const TagType = schema.lookupType('kinesis_kit.kpl.Tag');

/** A decoded AggregatedRecord as protobufjs 8 returns it (uint64 fields as Long). */
interface OracleRecord {
  readonly partitionKeyIndex: { toString(): string };
  readonly explicitHashKeyIndex?: { toString(): string };
  readonly data: Uint8Array;
}
interface OracleAggregate {
  readonly partitionKeyTable: readonly string[];
  readonly explicitHashKeyTable: readonly string[];
  readonly records: readonly OracleRecord[];
}

/** A user record as a comparable value: keys, data in hex, sub-sequence number. */
export interface Member {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: string;
  readonly subSequenceNumber: number;
}

/** The expected outcome of de-aggregating one body: its members, or "malformed" with protobufjs's or our policy's reason. */
export type Expected = { readonly members: Member[] } | { readonly malformed: string };

/** An explicit hash key as java.math.BigInteger parses it (docs/aggregation.md, "Rules we follow when reading"). */
const DECIMAL = /^[+-]?[0-9]+$/;

/**
 * Decodes `body` with protobufjs and applies the documented reading rules on top of the
 * protobuf semantics: key-table indexes must exist and a referenced explicit hash key must be
 * a decimal integer, else the aggregate is malformed.
 */
export function expectedMembers(body: Uint8Array): Expected {
  let message: OracleAggregate;
  try {
    message = AggregatedRecordType.decode(body) as unknown as OracleAggregate;
  } catch (error) {
    return { malformed: `protobufjs: ${(error as Error).message}` };
  }
  const pks = message.partitionKeyTable;
  const ehks = message.explicitHashKeyTable;
  const members: Member[] = [];
  for (const [i, record] of message.records.entries()) {
    const pkIndex = BigInt(record.partitionKeyIndex.toString());
    if (pkIndex >= BigInt(pks.length)) return { malformed: `partition key index ${pkIndex} of ${pks.length}` };
    const member: Member = { partitionKey: pks[Number(pkIndex)]!, data: toHex(record.data), subSequenceNumber: i };
    // proto2 presence: protobufjs sets an own property only when the field was on the wire.
    if (!Object.hasOwn(record, 'explicitHashKeyIndex')) {
      members.push(member);
      continue;
    }
    const ehkIndex = BigInt(record.explicitHashKeyIndex!.toString());
    if (ehkIndex >= BigInt(ehks.length)) return { malformed: `explicit hash key index ${ehkIndex} of ${ehks.length}` };
    const explicitHashKey = ehks[Number(ehkIndex)]!;
    if (!DECIMAL.test(explicitHashKey)) return { malformed: `explicit hash key ${JSON.stringify(explicitHashKey)}` };
    members.push({ ...member, explicitHashKey });
  }
  return { members };
}

/** Logical contents of an aggregate, encoded by protobufjs. */
export interface OracleContents {
  readonly partitionKeyTable: readonly string[];
  readonly explicitHashKeyTable: readonly string[];
  readonly records: readonly { partitionKeyIndex: number; explicitHashKeyIndex?: number; data: Uint8Array }[];
}

export function encodeWithProtobufjs(contents: OracleContents): Uint8Array {
  return AggregatedRecordType.encode(AggregatedRecordType.fromObject(contents)).finish();
}
