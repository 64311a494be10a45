import { KinesisKitError, type Attempt, type InvalidRecordCode } from '@kinesis-kit/core';
import type { PutRecordInput } from './types.js';

/**
 * Why a put failed for good:
 * - the record itself is invalid (`INVALID_PARTITION_KEY`, `INVALID_EXPLICIT_HASH_KEY`,
 *   `INVALID_DATA`, `RECORD_TOO_LARGE`); never sent;
 * - `EXPIRED`: not written within `recordTtl` (the last failure is the cause); retriable;
 * - `THROTTLED`: throttled with `failIfThrottled` on; retriable;
 * - `NON_RETRIABLE`: Kinesis answered with an error that will repeat (`causeCode` says which);
 * - `PRODUCER_CLOSED`: put after close(), or still waiting for buffer room when close() began;
 * - `ABORTED`: the put's AbortSignal fired while it waited for room, or close() was aborted;
 * - `INTERNAL_ERROR`: a defect in the producer (reported rather than leaving the put unsettled).
 */
export type PutRecordErrorCode =
  | InvalidRecordCode
  | 'EXPIRED'
  | 'THROTTLED'
  | 'NON_RETRIABLE'
  | 'PRODUCER_CLOSED'
  | 'ABORTED'
  | 'INTERNAL_ERROR';

/** Codes where putting the same record again (on an open producer) may succeed. */
const RETRIABLE: ReadonlySet<PutRecordErrorCode> = new Set(['EXPIRED', 'THROTTLED']);

/**
 * The one error a put's promise rejects with. It carries the record as given, every attempt
 * to write it (start, duration, error code and message), and the code of the last failure.
 */
export class PutRecordError extends KinesisKitError {
  override readonly code: PutRecordErrorCode;
  readonly record: PutRecordInput;
  readonly attempts: readonly Attempt[];
  /** The AWS / Node error code of the last failed attempt, or this error's own code. */
  readonly causeCode: string;

  constructor(
    code: PutRecordErrorCode,
    message: string,
    details: { record: PutRecordInput; attempts?: readonly Attempt[]; causeCode?: string; cause?: unknown },
  ) {
    super(code, message, { retriable: RETRIABLE.has(code), cause: details.cause });
    this.code = code;
    this.record = details.record;
    this.attempts = details.attempts ?? [];
    this.causeCode = details.causeCode ?? code;
  }
}

/** A put refused because the producer is closing or closed. */
export function closedError(record: PutRecordInput): PutRecordError {
  return new PutRecordError('PRODUCER_CLOSED', 'the producer is closing or closed: the record was not accepted', { record });
}

/** A put whose AbortSignal fired before the record was accepted. */
export function abortedError(record: PutRecordInput, reason: unknown): PutRecordError {
  return new PutRecordError('ABORTED', 'the put was aborted before the record was accepted', { record, cause: reason });
}
