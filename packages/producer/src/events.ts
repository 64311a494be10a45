import type { PutRecordError } from './errors.js';
import type { ProducerState } from './types.js';

/** One PutRecords request, answered or failed as a whole. */
export interface RequestEvent {
  readonly kinesisRecords: number;
  readonly userRecords: number;
  /** Data + partition key bytes sent. */
  readonly bytes: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** Kinesis records the answer reported failed (all of them when the request failed). */
  readonly failedKinesisRecords: number;
  /** Set when the whole request failed (throttling, 5xx, network, timeout). */
  readonly errorCode?: string;
}

/** A Kinesis record that failed retriably and was scheduled again. */
export interface RetryEvent {
  readonly shardId: string;
  readonly userRecords: number;
  readonly errorCode: string;
  readonly delayMs: number;
}

/** A shard throttled us; its token bucket now runs at `rateFactor` of the configured rate. */
export interface ThrottleEvent {
  readonly shardId: string;
  readonly rateFactor: number;
}

/**
 * An aggregate landed on a shard other than the predicted one. `resent`: some member's hash key
 * lies outside that shard (the Java KCL would drop the whole aggregate), so every member was
 * sent again; otherwise the write stands.
 */
export interface MisroutedAggregateEvent {
  readonly predictedShardId: string;
  readonly actualShardId: string;
  readonly userRecords: number;
  readonly resent: boolean;
}

export interface ShardMapEvent {
  readonly shardCount: number;
  /** What asked for the refresh: `startup`, `shard-mismatch`, `no-shard-for-key`, `record-too-large`. */
  readonly reason: string;
  /** The stream's largest record in bytes as read with this map (`maxRecordSize: 'auto'` only). */
  readonly maxRecordSize?: number;
}

/** One ListShards attempt of a shard map load failed. */
export interface ShardMapFailureEvent {
  readonly reason: string;
  readonly errorCode: string;
  readonly message: string;
  /**
   * The load goes on after a backoff. `false`: it gave up, because the error will repeat (records
   * waiting for the map then fail NON_RETRIABLE) or because no record waits for a map any more.
   */
  readonly willRetry: boolean;
}

export interface StateChangeEvent {
  readonly from: ProducerState;
  readonly to: ProducerState;
}

/**
 * The producer's typed events (`producer.on(name, listener)`). Listeners run synchronously
 * inside the pipeline: keep them short. A listener that throws is logged and ignored. There is
 * deliberately no `error` event (Node's EventEmitter would throw it when nobody listens): every
 * failure reaches its put's promise, and `recordFailed` repeats it for observers.
 */
export interface ProducerEventMap {
  request: [RequestEvent];
  retry: [RetryEvent];
  throttled: [ThrottleEvent];
  recordFailed: [PutRecordError];
  misroutedAggregate: [MisroutedAggregateEvent];
  shardMapRefreshed: [ShardMapEvent];
  shardMapRefreshFailed: [ShardMapFailureEvent];
  stateChange: [StateChangeEvent];
}

/** Names of the metrics reported through the injected Metrics (see docs/producer.md). */
export const METRICS = {
  /** count: user records written. */
  userRecordsPut: 'userRecordsPut',
  /** count: Kinesis records written (aggregates count one). */
  kinesisRecordsPut: 'kinesisRecordsPut',
  /** count: data + partition key bytes of Kinesis records written. */
  bytesPut: 'bytesPut',
  /** timing: PutRecords request latency. */
  requestLatency: 'requestLatency',
  /** count: user records scheduled for another attempt. */
  retries: 'retries',
  /** count: Kinesis records throttled (per record or with their whole request). */
  throttles: 'throttles',
  /** count, dimension `code`: failed Kinesis record attempts by error code. */
  errors: 'errors',
  /** count, dimension `code`: user records that failed for good, by PutRecordError code. */
  userRecordsFailed: 'userRecordsFailed',
  /** timing: from acceptance of a Kinesis record's oldest user record to the request carrying it. */
  bufferingTime: 'bufferingTime',
  /** count: aggregates stored on an unpredicted shard with members outside it (re-sent). */
  misroutedAggregates: 'misroutedAggregates',
  /** count: shard map refreshes. */
  shardMapRefreshes: 'shardMapRefreshes',
  /** gauge: accepted, unsettled user records (after each request). */
  outstandingRecords: 'outstandingRecords',
  /** gauge: accepted, unsettled bytes (after each request). */
  outstandingBytes: 'outstandingBytes',
} as const;
