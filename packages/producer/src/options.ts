import {
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE,
  MAX_AGGREGATION_MAX_SIZE,
  MIN_AGGREGATION_MAX_SIZE,
} from '@kinesis-kit/aggregation';
import { checks, option, resolveOptions, type CrossCheck, type OptionValues } from '@kinesis-kit/core';
import {
  DEFAULT_COLLECTION_MAX_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  LARGE_MAX_RECORD_BYTES,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_RECORDS,
} from './limits.js';

/** Per-shard write ordering: none (fastest) or per shard, hence per partition key (see docs/producer.md). */
export type Ordering = 'none' | 'per-shard';
export type Jitter = 'full' | 'equal' | 'none';
/** Bytes, or `'auto'`: the stream's own limit, read with DescribeStreamSummary (see docs/producer.md). */
export type MaxRecordSize = number | 'auto';

const integerOrAuto =
  (max: number) =>
  (value: unknown): string | undefined =>
    value === 'auto' || checks.integer(1, max)(value) === undefined ? undefined : `must be 'auto' or an integer from 1 to ${max}`;

/**
 * Every tunable option of KinesisProducer, declared once: default, one-line meaning, accepted
 * values and the KPL name. Nested options (`aggregation`, `backoff`) are declared by their dotted
 * path. docs/producer.md holds this table rendered by renderOptionsTable (a test keeps it so).
 */
export const PRODUCER_OPTIONS = {
  recordMaxBufferedTime: option(100, 'Longest a record waits (ms) to be aggregated and batched before it is sent.', checks.integer(0, 60_000), {
    javaName: 'RecordMaxBufferedTime',
  }),
  recordTtl: option(30_000, 'A record not written this long (ms) after it was accepted fails with EXPIRED.', checks.integer(1, 86_400_000), {
    javaName: 'RecordTtl',
  }),
  'aggregation.enabled': option(true, 'Pack user records predicted for the same shard into KPL aggregated records.', checks.boolean(), {
    javaName: 'AggregationEnabled',
  }),
  'aggregation.maxSize': option(
    DEFAULT_AGGREGATION_MAX_SIZE,
    'Largest data of one aggregated record, in bytes.',
    checks.integer(MIN_AGGREGATION_MAX_SIZE, MAX_AGGREGATION_MAX_SIZE),
    { javaName: 'AggregationMaxSize' },
  ),
  'aggregation.maxCount': option(DEFAULT_AGGREGATION_MAX_COUNT, 'Most user records in one aggregated record.', checks.integer(1, DEFAULT_AGGREGATION_MAX_COUNT), {
    javaName: 'AggregationMaxCount',
    shownDefault: '2^32-1',
  }),
  collectionMaxCount: option(PUT_RECORDS_MAX_RECORDS, 'Most Kinesis records in one PutRecords request.', checks.integer(1, PUT_RECORDS_MAX_RECORDS), {
    javaName: 'CollectionMaxCount',
  }),
  collectionMaxSize: option(
    DEFAULT_COLLECTION_MAX_BYTES,
    'Most bytes (data + partition keys) in one PutRecords request; a larger record is sent alone.',
    checks.integer(1, PUT_RECORDS_MAX_BYTES),
    { javaName: 'CollectionMaxSize', shownDefault: '5 MiB' },
  ),
  maxConcurrentRequests: option(24, 'Most PutRecords requests in flight at once.', checks.integer(1, 1_024), { javaName: 'MaxConnections' }),
  rateLimit: option(150, 'Per-shard token buckets at this percentage of the shard write limits (1,000 records/s, 1 MiB/s).', checks.integer(1, 1_000_000), {
    javaName: 'RateLimit',
  }),
  failIfThrottled: option(false, 'Fail a record at its first throttling instead of retrying it.', checks.boolean(), { javaName: 'FailIfThrottled' }),
  maxRecordSize: option<MaxRecordSize>(
    DEFAULT_MAX_RECORD_BYTES,
    "Largest user record (data + partition key), in bytes, or 'auto': the stream's MaxRecordSizeInKiB, read at start and on every shard map refresh.",
    integerOrAuto(LARGE_MAX_RECORD_BYTES),
    { shownDefault: '1 MiB' },
  ),
  requestTimeout: option(6_000, 'A PutRecords or ListShards call not answered within this many ms is aborted and retried.', checks.integer(1, 600_000), {
    javaName: 'RequestTimeout',
  }),
  'backoff.initialDelayMs': option(100, 'Delay ceiling (ms) before the first retry of a record.', checks.integer(0, 600_000)),
  'backoff.maxDelayMs': option(5_000, 'Largest delay ceiling (ms) between retries.', checks.integer(0, 600_000)),
  'backoff.multiplier': option(2, 'Growth of the delay ceiling per retry.', checks.number(1, 100)),
  'backoff.jitter': option<Jitter>('full', 'full: uniform in [0, ceiling]; equal: half fixed, half random; none: the ceiling.', checks.oneOf('full', 'equal', 'none')),
  ordering: option<Ordering>(
    'none',
    "'per-shard': one request in flight per shard and one Kinesis record per shard per request, so each key's records are stored in put order.",
    checks.oneOf('none', 'per-shard'),
  ),
  maxBufferedRecords: option(100_000, 'Most user records accepted and not yet settled; enqueue()/put() wait for room beyond it.', checks.integer(1, 100_000_000)),
  maxBufferedBytes: option(64 * 1024 * 1024, 'Most bytes (data + partition keys) accepted and not yet settled.', checks.integer(1, Number.MAX_SAFE_INTEGER), {
    shownDefault: '64 MiB',
  }),
};

export type ProducerOptionSpecs = typeof PRODUCER_OPTIONS;
type Flat = OptionValues<ProducerOptionSpecs>;

/** The tunable options as the constructor takes them (all optional; see PRODUCER_OPTIONS). */
export interface ProducerTuning {
  /** KPL RecordMaxBufferedTime (ms). Default 100. */
  readonly recordMaxBufferedTime?: number;
  /** KPL RecordTtl (ms). Default 30,000. */
  readonly recordTtl?: number;
  /** `false` turns aggregation off; an object sets its limits (KPL Aggregation*). Default on, 51,200 B. */
  readonly aggregation?: boolean | { readonly enabled?: boolean; readonly maxSize?: number; readonly maxCount?: number };
  /** KPL CollectionMaxCount. Default 500. */
  readonly collectionMaxCount?: number;
  /** KPL CollectionMaxSize (bytes). Default 5 MiB. */
  readonly collectionMaxSize?: number;
  /** KPL MaxConnections. Default 24. */
  readonly maxConcurrentRequests?: number;
  /** KPL RateLimit (% of the shard limits). Default 150. */
  readonly rateLimit?: number;
  /** KPL FailIfThrottled. Default false. */
  readonly failIfThrottled?: boolean;
  /** Largest user record in bytes (data + partition key), up to 10 MiB, or `'auto'` (the stream's limit). Default 1 MiB. */
  readonly maxRecordSize?: MaxRecordSize;
  /** KPL RequestTimeout (ms). Default 6,000. */
  readonly requestTimeout?: number;
  /** Retry delays: exponential with jitter. Default 100 ms doubling up to 5 s, full jitter. */
  readonly backoff?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number; readonly multiplier?: number; readonly jitter?: Jitter };
  /** `'per-shard'` stores each partition key's records in put order. Default `'none'`. */
  readonly ordering?: Ordering;
  /** Bound on accepted, unsettled user records. Default 100,000. */
  readonly maxBufferedRecords?: number;
  /** Bound on accepted, unsettled bytes. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
}

/** The resolved, validated configuration the pipeline runs with. */
export interface ProducerConfig {
  readonly recordMaxBufferedTime: number;
  readonly recordTtl: number;
  readonly aggregation: { readonly enabled: boolean; readonly maxSize: number; readonly maxCount: number };
  readonly collectionMaxCount: number;
  readonly collectionMaxSize: number;
  readonly maxConcurrentRequests: number;
  readonly rateLimit: number;
  readonly failIfThrottled: boolean;
  readonly maxRecordSize: MaxRecordSize;
  readonly requestTimeout: number;
  readonly backoff: { readonly initialDelayMs: number; readonly maxDelayMs: number; readonly multiplier: number; readonly jitter: Jitter };
  readonly ordering: Ordering;
  readonly maxBufferedRecords: number;
  readonly maxBufferedBytes: number;
}

const NESTED = ['aggregation', 'backoff'] as const;

const CROSS_CHECKS: readonly CrossCheck<ProducerOptionSpecs>[] = [
  (v) => (v.recordMaxBufferedTime < v.recordTtl ? undefined : 'recordMaxBufferedTime must be less than recordTtl'),
  (v) =>
    v.maxRecordSize === 'auto' || v['aggregation.maxSize'] < v.maxRecordSize
      ? undefined
      : 'aggregation.maxSize must be less than maxRecordSize (an aggregate plus its 1-byte partition key is one Kinesis record)',
  (v) =>
    v.maxBufferedBytes >= recordCeiling(v.maxRecordSize)
      ? undefined
      : "maxBufferedBytes must be at least maxRecordSize (10 MiB with 'auto'), or a large record could never be accepted",
  (v) => (v['backoff.initialDelayMs'] <= v['backoff.maxDelayMs'] ? undefined : 'backoff.initialDelayMs must not exceed backoff.maxDelayMs'),
];

/** The largest record put() may accept: the configured size, or with 'auto' the largest any stream takes (10 MiB). */
export function recordCeiling(maxRecordSize: MaxRecordSize): number {
  return maxRecordSize === 'auto' ? LARGE_MAX_RECORD_BYTES : maxRecordSize;
}

/**
 * Fills in defaults and validates the tunable options (always, with cross-field rules); keys in
 * `otherKeys` are the constructor's non-tunable arguments. Throws ConfigurationError.
 */
export function resolveProducerConfig(input: Readonly<Record<string, unknown>>, otherKeys: readonly string[] = []): ProducerConfig {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if ((NESTED as readonly string[]).includes(key)) flattenInto(flat, key, value);
    else flat[key] = value;
  }
  return structure(resolveOptions('KinesisProducer', PRODUCER_OPTIONS, flat, { otherKeys, crossChecks: CROSS_CHECKS }));
}

function flattenInto(flat: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  if (key === 'aggregation' && typeof value === 'boolean') {
    flat['aggregation.enabled'] = value;
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    flat[key] = value; // reported as "not an option": only the nested keys are declared
    return;
  }
  for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
}

function structure(v: Flat): ProducerConfig {
  return Object.freeze({
    recordMaxBufferedTime: v.recordMaxBufferedTime,
    recordTtl: v.recordTtl,
    aggregation: Object.freeze({ enabled: v['aggregation.enabled'], maxSize: v['aggregation.maxSize'], maxCount: v['aggregation.maxCount'] }),
    collectionMaxCount: v.collectionMaxCount,
    collectionMaxSize: v.collectionMaxSize,
    maxConcurrentRequests: v.maxConcurrentRequests,
    rateLimit: v.rateLimit,
    failIfThrottled: v.failIfThrottled,
    maxRecordSize: v.maxRecordSize,
    requestTimeout: v.requestTimeout,
    backoff: Object.freeze({
      initialDelayMs: v['backoff.initialDelayMs'],
      maxDelayMs: v['backoff.maxDelayMs'],
      multiplier: v['backoff.multiplier'],
      jitter: v['backoff.jitter'],
    }),
    ordering: v.ordering,
    maxBufferedRecords: v.maxBufferedRecords,
    maxBufferedBytes: v.maxBufferedBytes,
  });
}

/** The defaults, as the one exported defaults object (derived from PRODUCER_OPTIONS, never restated). */
export const PRODUCER_DEFAULTS: ProducerConfig = resolveProducerConfig({});
