import {
  TAG_DATA,
  TAG_EXPLICIT_HASH_KEY_INDEX,
  TAG_EXPLICIT_HASH_KEY_TABLE,
  TAG_PARTITION_KEY_INDEX,
  TAG_PARTITION_KEY_TABLE,
  TAG_RECORDS,
  TAG_TAG_KEY,
  TAG_TAGS,
} from './encode.js';
import { readUtf8 } from './utf8.js';

/** The protobuf body of an aggregate, checked and ready to turn into user records. */
export interface ParsedAggregate {
  readonly partitionKeys: readonly string[];
  readonly explicitHashKeys: readonly string[];
  /** Four numbers per user record, in order: partition key index, explicit hash key index or -1, data start, data end. */
  readonly records: readonly number[];
}

/** Thrown inside this module only; deaggregate() turns it into a passthrough record. */
export class MalformedAggregateError extends Error {}

/** The Java protobuf runtime's default recursion limit, applied to nested groups. */
const MAX_GROUP_DEPTH = 100;
/** Largest protobuf tag: field number 2^29-1, wire type 7. */
const MAX_TAG = 0xffffffff;
/** An explicit hash key as java.math.BigInteger parses it (the Java KCL's view of a valid key). */
const DECIMAL = /^[+-]?[0-9]+$/;

/** A cursor over `buf`; every read is bounded by an explicit end and fails with MalformedAggregateError. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos: number,
  ) {
    this.pos = pos;
  }

  /** An unsigned varint of at most 10 bytes. Exact below 2^53; larger values only ever fail range checks. */
  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new MalformedAggregateError('truncated varint');
      const b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    throw new MalformedAggregateError('varint longer than 10 bytes');
  }

  tag(end: number): number {
    const tag = this.varint(end);
    if (tag > MAX_TAG || tag < 8) throw new MalformedAggregateError(`invalid protobuf tag ${tag}`);
    return tag;
  }

  /** A length prefix; the bytes it announces must lie before `end`. */
  length(end: number): number {
    const len = this.varint(end);
    if (len > end - this.pos) throw new MalformedAggregateError('length-delimited field runs past its end');
    return len;
  }

  /** Skips the value of a field we do not read, the way protobuf parsers skip unknown fields. */
  skip(tag: number, end: number): void {
    const wireType = tag & 7;
    if (wireType === 0) {
      this.varint(end);
    } else if (wireType === 2) {
      const len = this.length(end); // read first: `this.pos += this.length()` would add to the old pos
      this.pos += len;
    } else if (wireType === 1 || wireType === 5) {
      this.fixed(wireType === 1 ? 8 : 4, end);
    } else if (wireType === 3) {
      this.skipGroup(tag >>> 3, end);
    } else {
      throw new MalformedAggregateError(`unexpected wire type ${wireType}`);
    }
  }

  private fixed(bytes: number, end: number): void {
    if (bytes > end - this.pos) throw new MalformedAggregateError('truncated fixed-width field');
    this.pos += bytes;
  }

  private skipGroup(field: number, end: number): void {
    const open = [field];
    while (open.length > 0) {
      if (this.pos >= end) throw new MalformedAggregateError('unterminated group');
      const tag = this.tag(end);
      const wireType = tag & 7;
      if (wireType === 4) {
        if (open.pop() !== tag >>> 3) throw new MalformedAggregateError('mismatched end-group');
      } else if (wireType === 3) {
        if (open.length >= MAX_GROUP_DEPTH) throw new MalformedAggregateError('groups nested too deeply');
        open.push(tag >>> 3);
      } else {
        this.skip(tag, end);
      }
    }
  }
}

/*
 * Reads the body grammar written by encodeAggregate (see encode.ts), but as a protobuf parser
 * must: fields may come in any order and repeat (the last singular value wins), unknown fields
 * are skipped by wire type, a known field number with an unexpected wire type is an unknown
 * field (as in the Java runtime), and proto2 required fields must be present.
 */
export function parseAggregate(buf: Uint8Array, start: number, end: number): ParsedAggregate {
  const r = new Reader(buf, start);
  const pkBounds: number[] = [];
  const ehkBounds: number[] = [];
  const records: number[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === TAG_RECORDS) {
      const len = r.length(end);
      readRecord(r, r.pos + len, records);
    } else if (tag === TAG_PARTITION_KEY_TABLE || tag === TAG_EXPLICIT_HASH_KEY_TABLE) {
      const len = r.length(end);
      (tag === TAG_PARTITION_KEY_TABLE ? pkBounds : ehkBounds).push(r.pos, r.pos + len);
      r.pos += len;
    } else {
      r.skip(tag, end);
    }
  }
  const partitionKeys = readStrings(buf, pkBounds);
  const explicitHashKeys = readStrings(buf, ehkBounds);
  checkReferences(records, partitionKeys, explicitHashKeys);
  return { partitionKeys, explicitHashKeys, records };
}

/** Any character outside ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Decodes the strings at `bounds` (start, end pairs in increasing order). A key table written
 * by the KPL or by us is one contiguous run of entries; when that run is ASCII (tags and short
 * length prefixes are ASCII too) it is decoded in one call and the keys are sliced out of it,
 * about 4x cheaper than decoding each key alone. Anything else is decoded entry by entry.
 */
function readStrings(buf: Uint8Array, bounds: readonly number[]): string[] {
  const n = bounds.length;
  const out: string[] = [];
  if (n === 0) return out;
  const first = bounds[0]!;
  const last = bounds[n - 1]!;
  // Between two entries lie a tag and a length (at most 6 bytes); a wider span holds other fields.
  if (n >= 4 && last - first <= sumLengths(bounds) + 3 * n) {
    const span = readUtf8(buf, first, last);
    if (!NON_ASCII.test(span)) {
      for (let i = 0; i < n; i += 2) out.push(span.slice(bounds[i]! - first, bounds[i + 1]! - first));
      return out;
    }
  }
  for (let i = 0; i < n; i += 2) out.push(readUtf8(buf, bounds[i]!, bounds[i + 1]!));
  return out;
}

function sumLengths(bounds: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bounds.length; i += 2) sum += bounds[i + 1]! - bounds[i]!;
  return sum;
}

/*
 * record-body = partition_key_index (1, varint, required) / explicit_hash_key_index (2, varint)
 *             / data (3, bytes, required) / tags (4, Tag, skipped but checked) / unknown fields
 */
function readRecord(r: Reader, end: number, out: number[]): void {
  let pkIndex = -1;
  let ehkIndex = -1;
  let dataStart = -1;
  let dataEnd = -1;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === TAG_PARTITION_KEY_INDEX) {
      pkIndex = r.varint(end);
    } else if (tag === TAG_EXPLICIT_HASH_KEY_INDEX) {
      ehkIndex = r.varint(end);
    } else if (tag === TAG_DATA) {
      const len = r.length(end);
      dataStart = r.pos;
      dataEnd = r.pos += len;
    } else if (tag === TAG_TAGS) {
      const len = r.length(end);
      checkTag(r, r.pos + len);
    } else {
      r.skip(tag, end);
    }
  }
  if (pkIndex < 0) throw new MalformedAggregateError('record without the required partition_key_index');
  if (dataStart < 0) throw new MalformedAggregateError('record without the required data');
  out.push(pkIndex, ehkIndex, dataStart, dataEnd);
}

/** Tag = key (1, string, required) / value (2, string); a Tag without key fails the Java parser. */
function checkTag(r: Reader, end: number): void {
  let hasKey = false;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === TAG_TAG_KEY) hasKey = true;
    r.skip(tag, end);
  }
  if (!hasKey) throw new MalformedAggregateError('tag without the required key');
}

/**
 * Table indexes must exist. On an index out of range the Java KCL 2.x does not throw: it logs
 * the error, keeps the members it had already read before the bad one and drops the rest. We
 * treat it, like a parse failure, as a corrupt aggregate to pass through whole (nothing is
 * dropped silently, and onCorrupt reports it). A referenced explicit hash key must be a decimal
 * integer, as java.math.BigInteger would parse it.
 */
function checkReferences(records: readonly number[], pks: readonly string[], ehks: readonly string[]): void {
  let checkedEhks: Uint8Array | undefined;
  for (let i = 0; i < records.length; i += 4) {
    if (records[i]! >= pks.length) {
      throw new MalformedAggregateError(`partition key index ${records[i]} outside a table of ${pks.length}`);
    }
    const ehk = records[i + 1]!;
    if (ehk < 0) continue;
    if (ehk >= ehks.length) {
      throw new MalformedAggregateError(`explicit hash key index ${ehk} outside a table of ${ehks.length}`);
    }
    checkedEhks ??= new Uint8Array(ehks.length);
    if (checkedEhks[ehk] === 0) {
      if (!DECIMAL.test(ehks[ehk]!)) throw new MalformedAggregateError(`explicit hash key ${ehk} is not a decimal integer`);
      checkedEhks[ehk] = 1;
    }
  }
}
