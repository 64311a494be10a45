/** A record as the user hands it to a producer or aggregator. */
export interface UserRecord {
  /** 1..256 Unicode characters; hashed with MD5 to pick the shard unless explicitHashKey is set. */
  readonly partitionKey: string;
  /** Decimal 128-bit integer overriding the partition key's hash (`0|[1-9]\d{0,38}`, <= 2^128-1). */
  readonly explicitHashKey?: string | undefined;
  readonly data: Uint8Array;
}

/** One Kinesis record as PutRecords takes it: a user record alone or an aggregate of several. */
export interface OuterRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
  readonly data: Uint8Array;
}

/**
 * A Kinesis record as read from a stream. Both our camelCase shape and the AWS SDK v3
 * `_Record` shape (`Data`, `PartitionKey`, `SequenceNumber`, ...) are accepted.
 */
export interface StreamRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly explicitHashKey?: string | undefined;
  readonly approximateArrivalTimestamp?: Date | undefined;
}

export interface SdkStreamRecord {
  readonly Data?: Uint8Array | undefined;
  readonly PartitionKey?: string | undefined;
  readonly SequenceNumber?: string | undefined;
  readonly ApproximateArrivalTimestamp?: Date | undefined;
}

/** A user record recovered from a stream record, aggregated or not. */
export interface DeaggregatedRecord {
  readonly partitionKey: string;
  /** Present only when the producer set one (never invented from a key table). */
  readonly explicitHashKey?: string;
  /**
   * For an aggregate member, a plain Uint8Array view into the stream record's bytes (no copy:
   * it aliases the input, so copy it before mutating either); for a plain record, the stream
   * record's own data object.
   */
  readonly data: Uint8Array;
  /** Sequence number of the Kinesis record that carried this user record. */
  readonly sequenceNumber: string;
  /** Position inside the aggregate, 0..n-1; 0 for a plain record. */
  readonly subSequenceNumber: number;
  /** True when the record came out of a KPL aggregate. */
  readonly aggregated: boolean;
  readonly approximateArrivalTimestamp?: Date;
}

/** Why a record that starts with the KPL magic was passed through as one plain record. */
export type CorruptAggregateReason = 'md5-mismatch' | 'malformed-protobuf';

/** An inclusive 128-bit hash key range, as ListShards reports it for a shard. */
export interface HashKeyRange {
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}
