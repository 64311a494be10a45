// The hand-written codec against the schema of record: every tag constant in src/encode.ts
// must be (field number << 3) | wire type of the field protobufjs parses from
// schema/kpl-aggregation.proto, and the schema must hold no field the codec does not know.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  TAG_DATA,
  TAG_EXPLICIT_HASH_KEY_INDEX,
  TAG_EXPLICIT_HASH_KEY_TABLE,
  TAG_PARTITION_KEY_INDEX,
  TAG_PARTITION_KEY_TABLE,
  TAG_RECORDS,
  TAG_TAG_KEY,
  TAG_TAG_VALUE,
  TAG_TAGS,
} from '../src/encode.js';
import { AggregatedRecordType, RecordType, TagType, expectedMembers, schema } from './helpers/protobufjs.js';
import { fromHex } from './helpers/bytes.js';
import { REFERENCE_HEX } from './helpers/fixtures.js';

/** The codec's view of each field: its tag constant, protobuf type and rule. */
const CODEC_FIELDS = {
  AggregatedRecord: {
    partitionKeyTable: { tag: TAG_PARTITION_KEY_TABLE, type: 'string', rule: 'repeated' },
    explicitHashKeyTable: { tag: TAG_EXPLICIT_HASH_KEY_TABLE, type: 'string', rule: 'repeated' },
    records: { tag: TAG_RECORDS, type: 'Record', rule: 'repeated' },
  },
  Record: {
    partitionKeyIndex: { tag: TAG_PARTITION_KEY_INDEX, type: 'uint64', rule: 'required' },
    explicitHashKeyIndex: { tag: TAG_EXPLICIT_HASH_KEY_INDEX, type: 'uint64', rule: 'optional' },
    data: { tag: TAG_DATA, type: 'bytes', rule: 'required' },
    tags: { tag: TAG_TAGS, type: 'Tag', rule: 'repeated' },
  },
  Tag: {
    key: { tag: TAG_TAG_KEY, type: 'string', rule: 'required' },
    value: { tag: TAG_TAG_VALUE, type: 'string', rule: 'optional' },
  },
} as const;

const TYPES = { AggregatedRecord: AggregatedRecordType, Record: RecordType, Tag: TagType };

/** Wire type of a non-packed field: the scalar's own, or 2 (length-delimited) for messages. */
function wireType(field: protobuf.Field): number {
  return protobuf.types.basic[field.type as keyof typeof protobuf.types.basic] ?? 2;
}

function ruleOf(field: protobuf.Field): string {
  return field.repeated ? 'repeated' : field.required ? 'required' : 'optional';
}

describe('the KPL .proto as the schema of record', () => {
  it('is proto2', () => {
    // proto2 gives partition_key_index and data "required" and explicit_hash_key_index presence.
    expect(schema.lookup('kinesis_kit.kpl')).toBeInstanceOf(protobuf.Namespace);
    expect(RecordType.fields['explicitHashKeyIndex']!.hasPresence).toBe(true);
  });

  for (const [messageName, fields] of Object.entries(CODEC_FIELDS)) {
    it(`${messageName}: the codec's field numbers, wire types and rules are the descriptor's`, () => {
      const type = TYPES[messageName as keyof typeof TYPES];
      const descriptor = type.fieldsArray.map((f) => [f.name, { tag: (f.id << 3) | wireType(f), type: f.type, rule: ruleOf(f) }]);
      expect(Object.fromEntries(descriptor)).toEqual(fields);
    });
  }

  it('protobufjs decodes the reference vector to its three records', () => {
    const data = fromHex(REFERENCE_HEX);
    expect(expectedMembers(data.subarray(4, data.length - 16))).toEqual({
      members: [
        { partitionKey: 'pk1', data: '68656c6c6f', subSequenceNumber: 0 },
        { partitionKey: 'pk2', data: '776f726c64', subSequenceNumber: 1 },
        { partitionKey: 'pk1', data: '21', subSequenceNumber: 2 },
      ],
    });
  });
});
