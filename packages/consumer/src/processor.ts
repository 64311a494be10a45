import type { DeaggregatedRecord } from '@kinesis-kit/aggregation';
import type { Position } from './position.js';

/** A user record delivered to a processor (de-aggregated, with its sub-sequence number). */
export type ConsumerRecord = DeaggregatedRecord;

/**
 * Records progress for one shard. Every call is conditional on this worker still holding the
 * shard's lease: a lost lease rejects with LeaseLostError (code LEASE_LOST), never overwrites.
 * A target before the last checkpoint or after the last delivered record rejects with
 * InvalidCheckpointError (code INVALID_CHECKPOINT).
 */
export interface Checkpointer {
  /** Checkpoints the last record delivered (in shardEnded: SHARD_END). */
  checkpoint(): Promise<void>;
  /** Checkpoints at this record (it counts as processed). */
  checkpoint(record: { readonly sequenceNumber: string; readonly subSequenceNumber: number }): Promise<void>;
  /** Checkpoints at a sequence number (and sub-sequence number inside an aggregate). */
  checkpoint(sequenceNumber: string, subSequenceNumber?: number): Promise<void>;
}

export interface ShardInfo {
  readonly shardId: string;
  readonly streamName: string;
  /** Multi-stream consumers only: the KCL stream identifier `<accountId>:<streamName>:<creationEpochSeconds>`. */
  readonly streamIdentifier?: string;
}

export interface InitializeInput extends ShardInfo {
  /** Where processing resumes: the lease's checkpoint (a sentinel for a new lease). */
  readonly startingPosition: Position;
  /** A prepared (two-phase) checkpoint left by an earlier owner, if any. */
  readonly pendingCheckpoint?: Position;
}

export interface ProcessRecordsInput extends ShardInfo {
  readonly records: readonly ConsumerRecord[];
  readonly checkpointer: Checkpointer;
  /** How far the shard's newest record is ahead of this batch; undefined when unknown. */
  readonly millisBehindLatest: number | undefined;
  /** Aborted when the lease is lost or the consumer stops without grace. */
  readonly signal: AbortSignal;
}

export interface ShardEndedInput extends ShardInfo {
  /** The processor MUST call `checkpointer.checkpoint()` (SHARD_END) or the shard is retried. */
  readonly checkpointer: Checkpointer;
}

export interface ShutdownRequestedInput extends ShardInfo {
  /** May checkpoint; the lease is released afterwards so another worker takes over at once. */
  readonly checkpointer: Checkpointer;
}

/**
 * One processor per shard lease, the KCL's ShardRecordProcessor. Lifecycle: initialize ->
 * processRecords (repeated) -> exactly one of shardEnded, leaseLost, shutdownRequested.
 * Calls for one shard never overlap.
 */
export interface ShardRecordProcessor {
  initialize?(input: InitializeInput): Promise<void> | void;
  processRecords(input: ProcessRecordsInput): Promise<void> | void;
  /** The lease went to another worker; checkpointing is no longer possible. */
  leaseLost?(input: ShardInfo): Promise<void> | void;
  shardEnded(input: ShardEndedInput): Promise<void> | void;
  shutdownRequested?(input: ShutdownRequestedInput): Promise<void> | void;
}

/** Creates the processor for a shard when this worker starts consuming it. */
export type ShardRecordProcessorFactory = (shard: ShardInfo) => ShardRecordProcessor;
