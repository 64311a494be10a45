import { hash } from 'node:crypto';
import { isUint8Array } from './bytes.js';
import { AGGREGATION_OVERHEAD, MAGIC_BYTES, MD5_LENGTH } from './constants.js';
import { InvalidRecordError } from './errors.js';
import { partitionKeyToHashKey } from './hash-key.js';
import { type ParsedAggregate, parseAggregate } from './parse.js';
import type {
  CorruptAggregateReason,
  DeaggregatedRecord,
  HashKeyRange,
  SdkStreamRecord,
  StreamRecord,
} from './types.js';

/** What onCorrupt learns about an aggregate that was passed through as one plain record. */
export interface CorruptAggregateInfo {
  readonly sequenceNumber: string;
  readonly reason: CorruptAggregateReason;
  /** Human-readable detail (which check failed); not a stable API. */
  readonly detail: string;
}

export interface DeaggregateOptions {
  /**
   * The hash key range of the shard the record was read from. Members of an aggregate whose
   * hash key lies outside are dropped (they are duplicates that belong to another shard after
   * resharding). Unlike the Java KCL 2.x, which drops the whole aggregate when any member is
   * out of range, we drop only those members; the others keep their subSequenceNumber.
   * Plain records are never dropped: Kinesis itself routed them to this shard.
   */
  hashKeyRange?: HashKeyRange;
  /** Told about an aggregate that failed its MD5 or protobuf checks (it is passed through, never thrown). */
  onCorrupt?: (info: CorruptAggregateInfo) => void;
  /** Told about each member dropped by hashKeyRange. */
  onDiscard?: (record: DeaggregatedRecord) => void;
}

const EMPTY = new Uint8Array(0);

/** One stream record in either accepted shape, reduced to what de-aggregation needs. */
interface Source {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly explicitHashKey: string | undefined;
  readonly approximateArrivalTimestamp: Date | undefined;
}

/**
 * True when `data` is a KPL aggregate by the Java KCL's rule: it starts with the magic bytes
 * and more than 16 bytes follow them. Anything shorter is a plain record, whatever it starts with.
 */
export function isAggregated(data: Uint8Array): boolean {
  return (
    data.length > AGGREGATION_OVERHEAD &&
    data[0] === MAGIC_BYTES[0] &&
    data[1] === MAGIC_BYTES[1] &&
    data[2] === MAGIC_BYTES[2] &&
    data[3] === MAGIC_BYTES[3]
  );
}

/**
 * The user records carried by one stream record: the members of a KPL aggregate, or the record
 * itself (subSequenceNumber 0, aggregated false). Corrupt aggregates (bad MD5, malformed
 * protobuf, key index out of range) never throw: they come back as one plain record and are
 * reported to onCorrupt. Member `data` are views into the input bytes, not copies.
 * @throws InvalidRecordError (INVALID_DATA) only when `data`/`Data` is present but not a Uint8Array.
 */
export function deaggregate(record: StreamRecord | SdkStreamRecord, options?: DeaggregateOptions): DeaggregatedRecord[] {
  const src = toSource(record);
  const data = src.data;
  if (!isAggregated(data)) return [plain(src)];
  const bodyEnd = data.length - MD5_LENGTH;
  if (!md5Matches(data, bodyEnd)) {
    return corrupt(src, 'md5-mismatch', 'the last 16 bytes are not the MD5 of the body', options);
  }
  let parsed: ParsedAggregate;
  try {
    parsed = parseAggregate(data, MAGIC_BYTES.length, bodyEnd);
  } catch (error) {
    return corrupt(src, 'malformed-protobuf', error instanceof Error ? error.message : String(error), options);
  }
  return members(src, parsed, options);
}

function md5Matches(data: Uint8Array, bodyEnd: number): boolean {
  const digest = hash('md5', data.subarray(MAGIC_BYTES.length, bodyEnd), 'buffer');
  for (let i = 0; i < MD5_LENGTH; i++) {
    if (digest[i] !== data[bodyEnd + i]) return false;
  }
  return true;
}

function members(src: Source, parsed: ParsedAggregate, options: DeaggregateOptions | undefined): DeaggregatedRecord[] {
  const { partitionKeys, explicitHashKeys, records } = parsed;
  const { sequenceNumber, approximateArrivalTimestamp } = src;
  const { buffer, byteOffset } = src.data;
  const range = options?.hashKeyRange;
  const hashKeys = range === undefined ? undefined : new HashKeys(partitionKeys, explicitHashKeys);
  const out: DeaggregatedRecord[] = [];
  for (let i = 0, sub = 0; i < records.length; i += 4, sub++) {
    const pkIndex = records[i]!;
    const ehkIndex = records[i + 1]!;
    const start = records[i + 2]!;
    const data = new Uint8Array(buffer, byteOffset + start, records[i + 3]! - start);
    const partitionKey = partitionKeys[pkIndex]!;
    const record: DeaggregatedRecord =
      ehkIndex < 0
        ? { partitionKey, data, sequenceNumber, subSequenceNumber: sub, aggregated: true, approximateArrivalTimestamp }
        : {
            partitionKey,
            explicitHashKey: explicitHashKeys[ehkIndex]!,
            data,
            sequenceNumber,
            subSequenceNumber: sub,
            aggregated: true,
            approximateArrivalTimestamp,
          };
    if (hashKeys !== undefined && range !== undefined) {
      const hashKey = hashKeys.of(pkIndex, ehkIndex);
      if (hashKey < range.startingHashKey || hashKey > range.endingHashKey) {
        options?.onDiscard?.(record);
        continue;
      }
    }
    out.push(record);
  }
  return out;
}

/** Hash keys of one aggregate's table entries, each computed at most once. */
class HashKeys {
  readonly #pk: (bigint | undefined)[] = [];
  readonly #ehk: (bigint | undefined)[] = [];
  constructor(
    readonly partitionKeys: readonly string[],
    readonly explicitHashKeys: readonly string[],
  ) {}

  of(pkIndex: number, ehkIndex: number): bigint {
    if (ehkIndex >= 0) return (this.#ehk[ehkIndex] ??= BigInt(this.explicitHashKeys[ehkIndex]!));
    return (this.#pk[pkIndex] ??= partitionKeyToHashKey(this.partitionKeys[pkIndex]!));
  }
}

function corrupt(
  src: Source,
  reason: CorruptAggregateReason,
  detail: string,
  options: DeaggregateOptions | undefined,
): DeaggregatedRecord[] {
  options?.onCorrupt?.({ sequenceNumber: src.sequenceNumber, reason, detail });
  return [plain(src)];
}

function plain(src: Source): DeaggregatedRecord {
  const { partitionKey, explicitHashKey, data, sequenceNumber, approximateArrivalTimestamp } = src;
  return explicitHashKey === undefined
    ? { partitionKey, data, sequenceNumber, subSequenceNumber: 0, aggregated: false, approximateArrivalTimestamp }
    : {
        partitionKey,
        explicitHashKey,
        data,
        sequenceNumber,
        subSequenceNumber: 0,
        aggregated: false,
        approximateArrivalTimestamp,
      };
}

/**
 * Accepts our camelCase StreamRecord and the AWS SDK v3 `_Record` (Data, PartitionKey, ...).
 * Fields the SDK type marks optional default to empty (data) or "" (keys, sequence number).
 */
function toSource(record: StreamRecord | SdkStreamRecord): Source {
  const camel = record as Partial<StreamRecord>;
  const sdk = record as SdkStreamRecord;
  const isCamel = camel.data !== undefined || camel.partitionKey !== undefined || camel.sequenceNumber !== undefined;
  const data = (isCamel ? camel.data : sdk.Data) ?? EMPTY;
  if (!isUint8Array(data)) {
    throw new InvalidRecordError('INVALID_DATA', 'stream record data must be a Uint8Array (decode base64 first)');
  }
  return isCamel
    ? {
        data,
        partitionKey: camel.partitionKey ?? '',
        sequenceNumber: camel.sequenceNumber ?? '',
        explicitHashKey: camel.explicitHashKey,
        approximateArrivalTimestamp: camel.approximateArrivalTimestamp,
      }
    : {
        data,
        partitionKey: sdk.PartitionKey ?? '',
        sequenceNumber: sdk.SequenceNumber ?? '',
        explicitHashKey: undefined,
        approximateArrivalTimestamp: sdk.ApproximateArrivalTimestamp,
      };
}
