import { hash } from 'node:crypto';
import { AGGREGATION_OVERHEAD, MAGIC_BYTES } from './constants.js';
import type { AggregateContents } from './contents.js';
import { writeUtf8 } from './utf8.js';
import { writeVarint } from './varint.js';

/** Protobuf tags: (field number << 3) | wire type; wire type 0 = varint, 2 = length-delimited. */
export const TAG_PARTITION_KEY_TABLE = 0x0a; // AggregatedRecord.partition_key_table = 1, LEN
export const TAG_EXPLICIT_HASH_KEY_TABLE = 0x12; // AggregatedRecord.explicit_hash_key_table = 2, LEN
export const TAG_RECORDS = 0x1a; // AggregatedRecord.records = 3, LEN
export const TAG_PARTITION_KEY_INDEX = 0x08; // Record.partition_key_index = 1, VARINT
export const TAG_EXPLICIT_HASH_KEY_INDEX = 0x10; // Record.explicit_hash_key_index = 2, VARINT
export const TAG_DATA = 0x1a; // Record.data = 3, LEN
export const TAG_TAGS = 0x22; // Record.tags = 4, LEN (never written; skipped when read)
export const TAG_TAG_KEY = 0x0a; // Tag.key = 1, LEN
export const TAG_TAG_VALUE = 0x12; // Tag.value = 2, LEN

/*
 * Byte grammar of the aggregated record written below (ABNF; "len" is a varint byte count of
 * what follows; all numbers are protobuf base-128 varints, least significant group first):
 *
 *   aggregate   = magic body checksum
 *   magic       = %xF3 %x89 %x9A %xC2
 *   body        = *pk-entry *ehk-entry *record      ; we write the tables first, in index order
 *   pk-entry    = %x0A len *OCTET                   ; partition_key_table (1): UTF-8 key
 *   ehk-entry   = %x12 len 1*DIGIT                  ; explicit_hash_key_table (2): canonical decimal
 *   record      = %x1A len record-body              ; records (3), in user order
 *   record-body = %x08 varint                       ; partition_key_index (1), written even when 0
 *                 [ %x10 varint ]                   ; explicit_hash_key_index (2), only if the user set one
 *                 %x1A len *OCTET                   ; data (3), written even when empty
 *   checksum    = 16OCTET                           ; MD5 of body (the magic is not hashed)
 *
 * proto2 "required" fields (partition_key_index, data) are always present: the Java KCL rejects
 * the whole aggregate otherwise. Total length = 20 + bodySize, which RecordAggregator tracks.
 */
export function encodeAggregate(c: AggregateContents): Uint8Array {
  const out = uninitialized(AGGREGATION_OVERHEAD + c.bodySize);
  out.set(MAGIC_BYTES, 0);
  let p = MAGIC_BYTES.length;
  const { partitionKeys, partitionKeyBytes, explicitHashKeys } = c;
  for (let i = 0; i < c.keyCount; i++) {
    const bytes = partitionKeyBytes[i]!;
    out[p++] = TAG_PARTITION_KEY_TABLE;
    p = writeVarint(out, p, bytes);
    p = writeUtf8(partitionKeys[i]!, bytes, out, p);
  }
  for (let i = 0; i < c.explicitHashKeyCount; i++) {
    const key = explicitHashKeys[i]!;
    out[p++] = TAG_EXPLICIT_HASH_KEY_TABLE;
    p = writeVarint(out, p, key.length);
    p = writeUtf8(key, key.length, out, p);
  }
  p = writeRecords(c, out, p);
  out.set(hash('md5', out.subarray(MAGIC_BYTES.length, p), 'buffer'), p);
  return out;
}

/**
 * A Uint8Array of `size` bytes that are not zeroed first (every byte of an aggregate is written
 * below; zero-filling 51,200 B per aggregate cost a third of encoding 100 B records). Its own
 * ArrayBuffer, never a slice of a pool, and a plain Uint8Array, not a Buffer.
 */
function uninitialized(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

function writeRecords(c: AggregateContents, out: Uint8Array, p: number): number {
  const { recordPartitionKeyIndex, recordExplicitHashKeyIndex, recordData, recordSize } = c;
  for (let i = 0; i < c.count; i++) {
    const data = recordData[i]!;
    const ehkIndex = recordExplicitHashKeyIndex[i]!;
    out[p++] = TAG_RECORDS;
    p = writeVarint(out, p, recordSize[i]!);
    out[p++] = TAG_PARTITION_KEY_INDEX;
    p = writeVarint(out, p, recordPartitionKeyIndex[i]!);
    if (ehkIndex >= 0) {
      out[p++] = TAG_EXPLICIT_HASH_KEY_INDEX;
      p = writeVarint(out, p, ehkIndex);
    }
    out[p++] = TAG_DATA;
    p = writeVarint(out, p, data.length);
    out.set(data, p);
    p += data.length;
  }
  return p;
}
