import type { Position } from '../position.js';

/**
 * The seam between the lease layer (which decides which shards this worker consumes) and
 * per-shard record processing (which fetches, de-aggregates, delivers and checkpoints).
 */

/** A child shard as GetRecords (or SubscribeToShard) reports it at the end of its parent. */
export interface ChildShard {
  readonly shardId: string;
  readonly parentShardIds: readonly string[];
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** Lease operations for one shard held by this worker, implemented over the lease table. */
export interface LeaseHandle {
  readonly shardId: string;
  /** Conditional on still holding the lease (counter and owner). */
  checkpoint(position: Position): Promise<'ok' | 'leaseLost'>;
  /**
   * Called at shard end BEFORE the processor's shardEnded: creates the child leases (checkpoint
   * TRIM_HORIZON) if absent and records childShardIds on this lease.
   */
  recordChildShards(children: readonly ChildShard[]): Promise<'ok' | 'leaseLost'>;
}

export type ShardConsumerOutcome =
  /** The processor checkpointed SHARD_END; children may start once all their parents are done. */
  | { readonly kind: 'shardEnded'; readonly childShards: readonly ChildShard[] }
  /** Stopped by requestShutdown(); the processor had its chance to checkpoint; release the lease. */
  | { readonly kind: 'shutdown' }
  /** The lease was lost (told via leaseLost() or discovered by a failed checkpoint). */
  | { readonly kind: 'leaseLost' }
  /** Something failed that retrying inside the shard consumer cannot fix (e.g. no SHARD_END checkpoint). */
  | { readonly kind: 'failed'; readonly error: Error };

/** Consumes one shard for as long as this worker holds its lease. */
export interface ShardConsumer {
  readonly shardId: string;
  /** Settles (never rejects) when consumption of this shard has ended, with why. */
  readonly finished: Promise<ShardConsumerOutcome>;
  /** Graceful: finish the batch in hand, call shutdownRequested (may checkpoint), then end. */
  requestShutdown(): void;
  /** The lease is gone: stop at once, abort the in-flight batch's signal, call leaseLost. */
  leaseLost(): void;
}
