// Structural types for the Lambda Kinesis event source. They mirror `KinesisStreamEvent`,
// `KinesisStreamRecord` and `KinesisStreamBatchResponse` of @types/aws-lambda field for field
// (test/types/aws-lambda-compat.ts proves both directions that matter), so this package needs
// no runtime or type dependency on @types/aws-lambda.

import type { CorruptAggregateReason } from '@kinesis-kit/aggregation';

export type { CorruptAggregateReason };

/** The `kinesis` member of one event record, as Lambda delivers it. */
export interface KinesisStreamRecordPayload {
  /** Seconds since the epoch, with a fraction (e.g. `1700000000.123`). */
  readonly approximateArrivalTimestamp: number;
  /** The Kinesis record's bytes, base64-encoded. */
  readonly data: string;
  readonly kinesisSchemaVersion: string;
  readonly partitionKey: string;
  /** Decimal sequence number of the Kinesis record; the `itemIdentifier` of batch failures. */
  readonly sequenceNumber: string;
}

/** One Kinesis record of a Lambda event (an aggregate or a plain record). */
export interface KinesisStreamRecord {
  readonly awsRegion: string;
  /** `"<shardId>:<sequenceNumber>"`, e.g. `"shardId-000000000000:4954..."`. */
  readonly eventID: string;
  readonly eventName: string;
  readonly eventSource: string;
  readonly eventSourceARN: string;
  readonly eventVersion: string;
  readonly invokeIdentityArn: string;
  readonly kinesis: KinesisStreamRecordPayload;
}

/** The event Lambda passes to a function subscribed to a Kinesis stream. */
export interface KinesisStreamEvent {
  readonly Records: readonly KinesisStreamRecord[];
}

/**
 * The event of an event source mapping with a tumbling window (`TumblingWindowInSeconds`): the
 * records of one window, in several invocations, each carrying the state the previous one
 * returned. Mirrors `KinesisStreamTumblingWindowEvent` of @types/aws-lambda, plus the
 * `shardId` and `eventSourceARN` that Lambda also sends.
 */
export interface KinesisStreamTumblingWindowEvent extends KinesisStreamEvent {
  /** ISO 8601 bounds of the window, from the records' arrival times, e.g. `"2020-12-09T07:04:00Z"`. */
  readonly window: { readonly start: string; readonly end: string };
  /** What the previous invocation of this window returned as `state`; absent or `{}` at first. */
  readonly state?: Readonly<Record<string, unknown>> | undefined;
  readonly shardId?: string | undefined;
  readonly eventSourceARN?: string | undefined;
  /** True on the last invocation of the window: the state is final, process it now. */
  readonly isFinalInvokeForWindow: boolean;
  /** True when Lambda ends the window early (e.g. the state passed 1 MB); the next invocation continues it with a fresh state. */
  readonly isWindowTerminatedEarly: boolean;
}

/**
 * What a tumbling-window handler returns. Lambda counts a response without `state` as a failed
 * invocation; `batchItemFailures` is read only with `ReportBatchItemFailures` on.
 */
export interface KinesisStreamStateResponse<TState extends object = Record<string, unknown>> {
  state: TState;
  batchItemFailures: KinesisStreamBatchItemFailure[];
}

export interface KinesisStreamBatchItemFailure {
  /** Sequence number of the Kinesis record from which Lambda resumes. */
  itemIdentifier: string;
}

/**
 * The partial batch response. Lambda reads it only when the event source mapping has
 * `FunctionResponseTypes: [ReportBatchItemFailures]`; otherwise it is ignored and the batch
 * counts as a success.
 */
export interface KinesisStreamBatchResponse {
  batchItemFailures: KinesisStreamBatchItemFailure[];
}

/**
 * The part of the Lambda `Context` this package names. The wrapper never reads it; it hands
 * the context it was invoked with to your function unchanged.
 */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  getRemainingTimeInMillis(): number;
}

/** A user record taken out of a Lambda Kinesis event, with where it came from. */
export interface KinesisUserRecord {
  readonly partitionKey: string;
  /** Present only when the producer set one on this user record. */
  readonly explicitHashKey?: string;
  /** The user record's exact bytes. */
  readonly data: Buffer;
  /** Sequence number of the parent Kinesis record (shared by all members of an aggregate). */
  readonly sequenceNumber: string;
  /** Position inside the aggregate, 0..n-1; 0 for a plain record. */
  readonly subSequenceNumber: number;
  /** True when the record came out of a KPL aggregate. */
  readonly aggregated: boolean;
  /** When Kinesis accepted the parent record (millisecond precision). */
  readonly approximateArrivalTimestamp: Date;
  readonly eventID: string;
  readonly eventSourceARN: string;
  /** Parsed from `eventID`, e.g. `"shardId-000000000000"`. */
  readonly shardId: string;
  /** The event record this user record came from. */
  readonly parent: KinesisStreamRecord;
}

/** Reported once per corrupt aggregate; the record is still delivered, as one plain record. */
export interface CorruptAggregateInfo {
  readonly reason: CorruptAggregateReason;
  /** Which check failed, for humans; the wording is not a stable API. */
  readonly detail: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly eventID: string;
  readonly parent: KinesisStreamRecord;
}

/**
 * A logger as most Node loggers shape it (`console`, Powertools `Logger`, the `Logger` of
 * @kinesis-kit/core, ...): a message first, then structured details.
 *
 * `details` is required on purpose: this package always passes it, and a required parameter
 * is what lets Powertools' `warn(input, ...extraInput: [Error | string] | LogAttributes[])`
 * fit (an optional one would admit `undefined`, which none of its rest forms accepts).
 */
export interface Logger {
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}
