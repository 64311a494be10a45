import type { StreamRecord } from '@kinesis-kit/aggregation';
import type { Logger, Metrics } from '@kinesis-kit/core';
import type { ChildShard } from '../processing/contracts.js';
import type { IteratorStart } from './kinesis-port.js';

/**
 * The retrieval policy: how a shard's records reach its shard consumer. Polling (GetRecords)
 * implements it now; enhanced fan-out (SubscribeToShard) implements the same interface, so the
 * shard consumer never knows which one feeds it.
 */
export interface Retrieval {
  /** For logs and metrics: `polling`, `fanOut`. */
  readonly kind: string;
  /** Starts reading one shard. The source may fetch ahead (bounded) until closed. */
  open(shard: OpenShardInput): ShardRecordSource;
}

export interface OpenShardInput {
  readonly shardId: string;
  /** Where reading starts (from the lease's checkpoint: AT_SEQUENCE_NUMBER of a sequence number). */
  readonly start: IteratorStart;
  /** Reported with `{ shardId }` dimensions. */
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Told what the retrieval did about a fault (stall, gone shard, unconfirmed shard end); the shard consumer passes these on. */
  readonly onEvent?: (event: RetrievalEvent) => void;
}

/** What a retrieval reports besides batches. Each names its shard, like the shard consumer's events. */
export type RetrievalEvent =
  /** No successful read for the stall time while reading: the iterator (polling) or subscription (fan-out) was replaced. */
  | { readonly type: 'retrievalStalled'; readonly shardId: string; readonly retrieval: 'polling' | 'fanOut'; readonly stallTimeoutMs: number }
  /**
   * ResourceNotFoundException for the shard (the parent aged out past retention, or the stream was
   * deleted): treated as the shard's end, as the Java KCL does; its children come from ListShards.
   */
  | { readonly type: 'shardGone'; readonly shardId: string; readonly operation: string }
  /**
   * The service ended the shard without ChildShards, which it never does for a real end. ListShards
   * decided: `open` (the end was ignored, reading goes on), `closed` (ended with the children it
   * lists) or `absent` (gone: ended, children from ListShards).
   */
  | { readonly type: 'unconfirmedShardEnd'; readonly shardId: string; readonly listed: 'open' | 'closed' | 'absent' };

/**
 * One shard's records, batch by batch, in order, each Kinesis record exactly once (within one
 * source; a new source after a restart starts from the checkpoint). Records are as stored in
 * the stream: KPL aggregates are NOT expanded here (the shard consumer de-aggregates).
 */
export interface ShardRecordSource {
  /**
   * The next batch. At most one call may be pending. Resolves with a batch whose `shardEnd` is
   * set exactly once, after which no further call is allowed. Rejects with a typed error when
   * retrieval failed for good (e.g. OperationFailedError NON_RETRIABLE for a deleted stream),
   * or AbortedError once closed.
   */
  next(): Promise<RecordBatch>;
  /** Stops fetching and drops anything prefetched; a pending next() rejects with AbortedError. Idempotent. */
  close(): void;
}

export interface RecordBatch {
  /** May be empty: a caught-up read, delivered only when nothing else is waiting (it refreshes millisBehindLatest). */
  readonly records: readonly StreamRecord[];
  /** How far the shard's newest record is ahead of this batch; undefined when the service did not say. */
  readonly millisBehindLatest: number | undefined;
  /** Set on the shard's last batch (it may still carry records): the shard is closed and fully read. */
  readonly shardEnd?: ShardEnd;
}

export interface ShardEnd {
  /** The children the service reported (empty when it gave none; the lease layer falls back to ListShards). */
  readonly childShards: readonly ChildShard[];
}
