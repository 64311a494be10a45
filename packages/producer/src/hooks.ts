import type { Attempt, ErrorClass, Logger } from '@kinesis-kit/core';
import type { PutRecordsBatch } from './batch.js';
import type { PutRecordError } from './errors.js';
import type { MisroutedAggregateEvent, RetryEvent, ShardMapEvent, ShardMapFailureEvent, ThrottleEvent } from './events.js';
import type { PendingRecord, WrittenAt } from './records.js';

/** How one request went, for metrics and the `request` event. */
export interface RequestSummary {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly failedKinesisRecords: number;
  readonly errorCode?: string;
}

/** What one request wrote. */
export interface Written {
  readonly userRecords: number;
  readonly kinesisRecords: number;
  readonly bytes: number;
}

/** What the pipeline reports; the producer turns it into metrics and events. */
export interface PipelineObserver {
  dispatched(batch: PutRecordsBatch, now: number): void;
  request(batch: PutRecordsBatch, summary: RequestSummary, written: Written): void;
  /** One Kinesis record failed one attempt with `code`. */
  recordError(code: string, errorClass: ErrorClass): void;
  throttled(event: ThrottleEvent): void;
  retry(event: RetryEvent): void;
  misrouted(event: MisroutedAggregateEvent): void;
  shardMap(event: ShardMapEvent): void;
  shardMapFailed(event: ShardMapFailureEvent): void;
}

/**
 * How the pipeline settles puts. Both calls must ignore a record already settled, so late
 * answers (after close() gave up on a record, say) can never settle a put twice.
 */
export interface PipelineHooks {
  /**
   * Settles the members of one Kinesis record as written at `at`, in one pass: member i at
   * subsequence number i when `aggregated`, else 0. `attempt` (the success) is appended to the
   * attempts of a member that failed before; one that never did reports `at.firstTry`.
   */
  succeed(members: readonly PendingRecord[], at: WrittenAt, attempt: Attempt, aggregated: boolean): void;
  fail(record: PendingRecord, error: PutRecordError): void;
  readonly observer: PipelineObserver;
  readonly logger: Logger;
}
