import { checks, option, resolveOptions, type BackoffPolicy, type Clock, type OptionValues } from '@kinesis-kit/core';
import { POLLING_OPTION_SPECS } from './polling-options.js';
import { KINESIS_REQUEST_OPTION_SPECS } from './request-options.js';

const MIB = 1024 * 1024;

/** Registered consumers per provisioned or On-demand Standard stream (RegisterStreamConsumer API reference). */
export const MAX_STREAM_CONSUMERS_PER_STREAM = 20;
/** Registered consumers per On-demand Advantage stream (RegisterStreamConsumer API reference). */
export const MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE = 50;
/** Consumers that may be CREATING at once; a 6th registration gets LimitExceededException (RegisterStreamConsumer API reference). */
export const MAX_CONSUMERS_CREATING_AT_ONCE = 5;
/** A subscription delivers events for at most 5 minutes (SubscribeToShard API reference). */
export const MAX_SUBSCRIPTION_MS = 300_000;
/** One SubscribeToShard call per second per shard per consumer (SubscribeToShard API reference). */
export const SUBSCRIBE_CALLS_PER_SECOND_PER_SHARD = 1;
/** Read throughput per shard per registered consumer, not shared with other readers (Kinesis quotas). */
export const FAN_OUT_BYTES_PER_SECOND_PER_SHARD = 2 * MIB;

/** RegisterStreamConsumer's ConsumerName: 1..128 characters of `[a-zA-Z0-9_.-]` (Kinesis API reference). */
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

export function consumerNameProblem(value: unknown): string | undefined {
  return typeof value === 'string' && CONSUMER_NAME.test(value) ? undefined : 'must be 1 to 128 characters of a-z, A-Z, 0-9, _ . -';
}

/** Options of the stream consumer's registration (KinesisConsumer with `retrieval: 'fanout'`). */
export const STREAM_CONSUMER_OPTION_SPECS = {
  streamConsumerName: option<string | undefined>(
    undefined,
    'Name the enhanced fan-out consumer is registered under (RegisterStreamConsumer; 1-128 of a-z A-Z 0-9 _ . -); the applicationName when absent.',
    (value) => (value === undefined ? undefined : consumerNameProblem(value)),
    { javaName: 'consumerName', shownDefault: 'applicationName' },
  ),
  registerStreamConsumerTimeoutMillis: option(
    120_000,
    'How long start() waits for the stream consumer to be registered and ACTIVE before it fails (STREAM_CONSUMER_NOT_ACTIVE).',
    checks.integer(1, 3_600_000),
  ),
  deregisterStreamConsumerOnShutdown: option(
    false,
    "Deregister the stream consumer when this worker stops. Only for an application's last (or only) worker: it ends every other worker's subscriptions.",
    checks.boolean(),
  ),
} as const;

/** Options of the subscriptions themselves. */
export const SUBSCRIPTION_OPTION_SPECS = {
  subscriptionStallTimeoutMillis: option(
    35_000,
    'A subscription that delivers no event at all (records or an empty heartbeat) for this long while it is being read is torn down and resubscribed. Time spent not reading (the prefetch buffer full) does not count.',
    checks.integer(1, MAX_SUBSCRIPTION_MS),
  ),
  maxSubscriptionMillis: option(
    MAX_SUBSCRIPTION_MS,
    'A subscription is ended and renewed after this long, if the service has not ended it first (it does after 5 minutes).',
    checks.integer(1, MAX_SUBSCRIPTION_MS),
  ),
  minTimeBetweenSubscribesMillis: option(
    1_000 / SUBSCRIBE_CALLS_PER_SECOND_PER_SHARD,
    'Least time between two SubscribeToShard calls on a shard (1,000 ms = the 1 call/s/shard/consumer quota).',
    checks.integer(0, 60_000),
  ),
} as const;

/** The fan-out options a KinesisConsumer declares (the prefetch bounds are polling's, shared by both retrievals). */
export const FAN_OUT_OPTION_SPECS = { ...STREAM_CONSUMER_OPTION_SPECS, ...SUBSCRIPTION_OPTION_SPECS } as const;

const FAN_OUT_RETRIEVAL_SPECS = {
  ...SUBSCRIPTION_OPTION_SPECS,
  maxPrefetchBatches: POLLING_OPTION_SPECS.maxPrefetchBatches,
  maxPrefetchBytes: POLLING_OPTION_SPECS.maxPrefetchBytes,
  /** Bounds the wait for a subscription's first event too (with the stall deadline, whichever is shorter). */
  kinesisRequestTimeoutMillis: KINESIS_REQUEST_OPTION_SPECS.kinesisRequestTimeoutMillis,
} as const;

export type FanOutSettings = OptionValues<typeof FAN_OUT_RETRIEVAL_SPECS>;

/** Defaults of the fan-out retrieval (a "batch" is one SubscribeToShard event). */
export const FAN_OUT_DEFAULTS: FanOutSettings = Object.freeze(
  Object.fromEntries(Object.entries(FAN_OUT_RETRIEVAL_SPECS).map(([key, spec]) => [key, spec.default])),
) as FanOutSettings;

export interface FanOutRetrievalOptions extends Partial<{ -readonly [K in keyof FanOutSettings]: FanOutSettings[K] }> {
  /** The registered consumer's ARN, from ensureStreamConsumer. */
  readonly consumerARN: string;
  /** Delay before retrying a failed subscribe (ResourceInUse, throttling, 5xx, resets); default exponential 1 s .. 5 s, equal jitter. */
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
}

const VALIDATED_SPECS = {
  consumerARN: option('', 'The registered consumer ARN, from ensureStreamConsumer.', (value) =>
    typeof value === 'string' && value.length > 0 ? undefined : 'must be the registered consumer ARN (from ensureStreamConsumer)',
  ),
  ...FAN_OUT_RETRIEVAL_SPECS,
} as const;

/** Validates every option (all problems reported together in one ConfigurationError). */
export function resolveFanOutOptions(options: FanOutRetrievalOptions): FanOutSettings & { readonly consumerARN: string } {
  return resolveOptions('fan-out retrieval', VALIDATED_SPECS, options as unknown as Readonly<Record<string, unknown>>, { otherKeys: ['backoff', 'clock'] });
}
