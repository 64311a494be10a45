import type { HashKeyRange, OuterRecord } from '@kinesis-kit/aggregation';

/** A shard as the producer routes by it: open shards only (ListShards ShardFilter AT_LATEST). */
export interface ShardDescription {
  readonly shardId: string;
  readonly hashKeyRange: HashKeyRange;
  readonly parentShardId?: string | undefined;
  readonly adjacentParentShardId?: string | undefined;
}

/** One entry of a PutRecords answer, in request order. */
export type PutRecordsEntryResult =
  | { readonly shardId: string; readonly sequenceNumber: string; readonly errorCode?: undefined; readonly errorMessage?: undefined }
  | { readonly shardId?: undefined; readonly sequenceNumber?: undefined; readonly errorCode: string; readonly errorMessage: string };

/**
 * Everything the producer needs of Kinesis, bound to one stream. The SDK adapter
 * (sdkWritePort) is the production implementation; tests substitute it only for faults that
 * no emulator produces.
 */
export interface KinesisWritePort {
  /**
   * One PutRecords call. Resolves with one result per record, in order (per-record failures are
   * values); rejects when the whole request fails (throttling, 5xx, network, timeout, abort).
   */
  putRecords(records: readonly OuterRecord[], signal: AbortSignal): Promise<readonly PutRecordsEntryResult[]>;
  /** Every open shard of the stream, all pages. Rejects when any page fails. */
  listShards(signal: AbortSignal): Promise<readonly ShardDescription[]>;
  /**
   * The stream's largest record in bytes (data + partition key): DescribeStreamSummary's
   * MaxRecordSizeInKiB × 1024, or 1 MiB when the answer has no such field. Needed only with
   * `maxRecordSize: 'auto'`. Rejects like listShards.
   */
  maxRecordSize?(signal: AbortSignal): Promise<number>;
}
