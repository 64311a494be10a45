import type { HashKeyRange } from '@kinesis-kit/aggregation';
import { checks, option, type BackoffPolicy, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import type { Position } from '../position.js';
import type { ShardRecordProcessor } from '../processor.js';
import type { Retrieval } from '../retrieval/retrieval.js';
import type { LeaseHandle } from './contracts.js';
import type { ShardConsumerEventHook } from './events.js';

/** What to do when processRecords throws. */
export type ProcessRecordsErrorPolicy = 'retry' | 'skip';

/** Per-shard processing options a KinesisConsumer exposes to its users, declared once. */
export const SHARD_CONSUMER_OPTION_SPECS = {
  processRecordsErrorPolicy: option<ProcessRecordsErrorPolicy>(
    'retry',
    "When processRecords throws: 'retry' delivers the batch's records after the last checkpoint again after a backoff (the shard waits, nothing is lost); " +
      "'skip' logs and goes on with the next batch (the Java KCL's behaviour: that batch is lost unless a restart replays it).",
    checks.oneOf('retry', 'skip'),
  ),
} as const;

/** Delay before delivering a failed batch again: exponential 200 ms .. 10 s, full jitter. */
export const DEFAULT_PROCESS_RECORDS_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 } as const;

export interface ShardConsumerOptions {
  readonly shardId: string;
  readonly streamName: string;
  /** Multi-stream only: the stream identifier, passed on in ShardInfo. */
  readonly streamIdentifier?: string;
  /** The lease's checkpoint: a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END) or a sequence number + sub-sequence number. */
  readonly startingPosition: Position;
  /** A prepared checkpoint left on the lease by an earlier owner; passed to initialize. */
  readonly pendingCheckpoint?: Position;
  /** The configured timestamp, used when startingPosition is AT_TIMESTAMP (required then). */
  readonly timestamp?: Date;
  /** The shard's hash key range: aggregate members outside it are dropped (they belong to another shard). */
  readonly hashKeyRange?: HashKeyRange;
  readonly processor: ShardRecordProcessor;
  readonly leaseHandle: LeaseHandle;
  readonly retrieval: Retrieval;
  readonly processRecordsErrorPolicy?: ProcessRecordsErrorPolicy;
  /** Delay before a failed batch is delivered again (policy 'retry'). */
  readonly processRecordsBackoff?: BackoffPolicy;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Typed events; a hook that throws is logged and otherwise ignored. */
  readonly onEvent?: ShardConsumerEventHook;
}
