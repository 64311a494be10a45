import { checks, option, resolveOptions, type BackoffPolicy, type Clock, type OptionValues } from '@kinesis-kit/core';
import { KINESIS_REQUEST_OPTION_SPECS } from './request-options.js';

/** GetRecords `Limit` ceiling (Kinesis API reference: "The maximum value is 10,000"). */
export const MAX_GET_RECORDS_LIMIT = 10_000;
/** 5 GetRecords calls per second per shard, shared by every reader of the shard (Kinesis quotas). */
export const GET_RECORDS_CALLS_PER_SECOND_PER_SHARD = 5;

const MIB = 1024 * 1024;

/** Options of the polling retrieval, declared once (defaults, docs, checks, Java KCL names). */
export const POLLING_OPTION_SPECS = {
  maxRecords: option(MAX_GET_RECORDS_LIMIT, 'Records asked for per GetRecords call (its Limit), 1..10,000.', checks.integer(1, MAX_GET_RECORDS_LIMIT), {
    javaName: 'maxRecords',
  }),
  idleTimeBetweenReadsMillis: option(
    1_000,
    'Pause before the next GetRecords after a read that found the shard caught up (no records or millisBehindLatest 0).',
    checks.integer(0, 300_000),
    { javaName: 'idleTimeBetweenReadsInMillis' },
  ),
  minTimeBetweenReadsMillis: option(
    1_000 / GET_RECORDS_CALLS_PER_SECOND_PER_SHARD,
    'Least time between the starts of two GetRecords calls on a shard while catching up (200 ms = the 5 calls/s/shard quota).',
    checks.integer(0, 300_000),
  ),
  maxPrefetchBatches: option(
    3,
    'GetRecords results held ahead of the processor per shard; 0 fetches only when the processor asks.',
    checks.integer(0, 1_000),
    { javaName: 'maxPendingProcessRecordsInput' },
  ),
  maxPrefetchBytes: option(8 * MIB, 'Record bytes held ahead of the processor per shard; no fetch starts while this many are held.', checks.integer(1), {
    javaName: 'maxByteSize',
    shownDefault: '8 MiB',
  }),
} as const;

/** What pollingRetrieval() validates: the options above, plus its stall deadline (declared with the request timeouts). */
const POLLING_RETRIEVAL_SPECS = { ...POLLING_OPTION_SPECS, pollingStallTimeoutMillis: KINESIS_REQUEST_OPTION_SPECS.pollingStallTimeoutMillis } as const;

export type PollingSettings = OptionValues<typeof POLLING_RETRIEVAL_SPECS>;

/** Defaults of the polling retrieval. */
export const POLLING_DEFAULTS: PollingSettings = Object.freeze(
  Object.fromEntries(Object.entries(POLLING_RETRIEVAL_SPECS).map(([key, spec]) => [key, spec.default])),
) as PollingSettings;

export interface PollingOptions extends Partial<{ -readonly [K in keyof PollingSettings]: PollingSettings[K] }> {
  /** Delay before retrying a throttled or failed call; default exponential 200 ms .. 5 s with full jitter. */
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
}

export function resolvePollingOptions(options: PollingOptions): PollingSettings {
  return resolveOptions('polling retrieval', POLLING_RETRIEVAL_SPECS, options as Readonly<Record<string, unknown>>, {
    otherKeys: ['backoff', 'clock'],
  });
}
