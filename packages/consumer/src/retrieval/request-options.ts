import { checks, option, systemClock, withTimeout, type Clock } from '@kinesis-kit/core';

/**
 * Kinesis request timeouts and polling stall detection, declared once (KinesisConsumer spreads
 * them into its options; the ports and the polling retrieval take them from here).
 */
export const KINESIS_REQUEST_OPTION_SPECS = {
  kinesisRequestTimeoutMillis: option(
    10_000,
    'Deadline of each Kinesis request attempt (ListShards page, GetShardIterator, GetRecords, DescribeStreamSummary, stream consumer calls, SubscribeToShard until its first event); an attempt with no answer by then is abandoned and retried. The Java KCL waits 30 s.',
    checks.integer(100, 300_000),
    { javaName: 'kinesisRequestTimeout' },
  ),
  pollingStallTimeoutMillis: option(
    35_000,
    'Polling: a shard that got no successful GetRecords answer for this long while being read is restarted with a new iterator after the last record fetched. Time not spent reading (prefetch buffer full, idle pause) does not count.',
    checks.integer(1, 3_600_000),
  ),
} as const;

/** How a port bounds each request attempt. */
export interface RequestTimeoutOptions {
  /** Per-attempt deadline; default `kinesisRequestTimeoutMillis`'s (10 s). */
  readonly requestTimeoutMillis?: number;
  readonly clock?: Clock;
}

/** One request attempt, bounded by the deadline and by `signal` (see withTimeout in core). */
export type TimedRequest = <T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** The per-attempt deadline every Kinesis port applies: settles by the deadline even if the SDK ignores the abort. */
export function timedRequests(options: RequestTimeoutOptions = {}): TimedRequest {
  const ms = options.requestTimeoutMillis ?? KINESIS_REQUEST_OPTION_SPECS.kinesisRequestTimeoutMillis.default;
  const clock = options.clock ?? systemClock;
  return (signal, work) => withTimeout(clock, ms, signal, work);
}
