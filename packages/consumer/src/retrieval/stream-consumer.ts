import { ConfigurationError, exponentialBackoff, noopLogger, retry, systemClock, type BackoffPolicy, type Clock, type Logger } from '@kinesis-kit/core';
import { StreamConsumerLimitError, StreamConsumerNotActiveError } from './fanout-errors.js';
import {
  MAX_CONSUMERS_CREATING_AT_ONCE,
  MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE,
  MAX_STREAM_CONSUMERS_PER_STREAM,
  STREAM_CONSUMER_OPTION_SPECS,
  consumerNameProblem,
} from './fanout-options.js';
import type { FanOutPort, StreamConsumerDescription, StreamConsumerRef } from './fanout-port.js';
import type { StreamRef } from './kinesis-port.js';

/** Between DescribeStreamConsumer polls and before retrying a throttled control call. */
const DEFAULT_BACKOFF = { initialDelayMs: 250, maxDelayMs: 5_000, jitter: 'equal' } as const;
const DEFAULT_DEREGISTER_TIMEOUT_MS = 30_000;
/** LimitExceeded refusals in a row, with 20+ consumers registered, before they count as the per-stream limit (see limitRefusal). */
const REFUSALS_BEFORE_LIMIT = 3;

interface ControlOptions {
  /** Delay between status polls and before retrying a throttled or failed call; default exponential 250 ms .. 5 s, equal jitter. */
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

export interface EnsureStreamConsumerOptions extends ControlOptions {
  readonly stream: StreamRef;
  /** RegisterStreamConsumer's ConsumerName; KinesisConsumer passes streamConsumerName ?? applicationName. */
  readonly consumerName: string;
  /** Fail with STREAM_CONSUMER_NOT_ACTIVE after this long; default 120 s. */
  readonly timeoutMs?: number;
}

/** A stream consumer that is ACTIVE: subscriptions may start. */
export interface RegisteredStreamConsumer {
  readonly streamARN: string;
  readonly consumerName: string;
  readonly consumerARN: string;
  /** True when this call registered it; false when it was registered already (by this or another worker). */
  readonly created: boolean;
}

/**
 * Makes sure the enhanced fan-out consumer is registered and ACTIVE, the way a starting worker
 * needs it: describe first (cheap, and what every worker of a fleet does at once), register
 * when absent, then poll DescribeStreamConsumer with backoff until ACTIVE or the deadline.
 * A consumer still DELETING (an earlier deregistration) is waited out, then registered again;
 * a registration lost to another worker (ResourceInUse) is described instead. LimitExceeded on
 * registration is either throttling (retried) or the per-stream consumer limit
 * (StreamConsumerLimitError); see limitRefusal.
 */
export async function ensureStreamConsumer(port: FanOutPort, options: EnsureStreamConsumerOptions): Promise<RegisteredStreamConsumer> {
  const { consumerName } = options;
  const problem = consumerNameProblem(consumerName);
  if (problem !== undefined) throw new ConfigurationError(`stream consumer name ${JSON.stringify(consumerName)} ${problem} (set streamConsumerName)`);
  const control = controlCalls(options, options.timeoutMs ?? STREAM_CONSUMER_OPTION_SPECS.registerStreamConsumerTimeoutMillis.default);
  const logger = options.logger ?? noopLogger;
  const streamARN = await control.call('DescribeStreamSummary', () => port.describeStreamARN(options.stream, options.signal));
  let created = false;
  let refusals = 0;
  for (let round = 1; ; round++) {
    const found = await control.call('DescribeStreamConsumer', () => port.describeStreamConsumer({ streamARN, consumerName }, options.signal));
    if (found.kind === 'found' && found.consumer.status === 'ACTIVE') {
      logger.info('stream consumer is ACTIVE', { consumerName, consumerARN: found.consumer.consumerARN, created });
      return { streamARN, consumerName, consumerARN: found.consumer.consumerARN, created };
    }
    let status = found.kind === 'found' ? found.consumer.status : 'absent';
    if (found.kind === 'notFound') {
      const outcome = await control.call('RegisterStreamConsumer', () => port.registerStreamConsumer(streamARN, consumerName, options.signal));
      refusals = outcome.kind === 'limitExceeded' ? refusals + 1 : 0;
      if (outcome.kind === 'registered') {
        created = true;
        status = outcome.consumer.status;
        logger.info('stream consumer registered', { consumerName, consumerARN: outcome.consumer.consumerARN, streamARN });
      } else if (outcome.kind === 'limitExceeded') {
        const consumers = await control.call('ListStreamConsumers', () => port.listStreamConsumers(streamARN, options.signal));
        if (limitRefusal(consumers, refusals) === 'limit') {
          throw new StreamConsumerLimitError(streamARN, consumerName, liveConsumers(consumers).map((c) => c.consumerName), new Error(outcome.message));
        }
        logger.debug('stream consumer registration throttled; retrying', { consumerName, message: outcome.message });
      }
    }
    await control.pause(round, consumerName, status);
  }
}

/**
 * Why RegisterStreamConsumer answered LimitExceededException. The same exception means the
 * per-stream consumer limit (20; 50 on On-demand Advantage streams, a mode the API does not
 * report), 5 consumers already CREATING, or the 5 calls/s account rate. So: fewer than 20 live
 * consumers, or 5 CREATING, is throttling; 50 is the limit; between 20 and 50 it is the limit
 * once refused `REFUSALS_BEFORE_LIMIT` times in a row (the rate limit clears within a second).
 */
export function limitRefusal(consumers: readonly StreamConsumerDescription[], refusalsInARow: number): 'limit' | 'throttled' {
  const live = liveConsumers(consumers);
  if (live.length >= MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE) return 'limit';
  if (live.length < MAX_STREAM_CONSUMERS_PER_STREAM) return 'throttled';
  if (live.filter((c) => c.status === 'CREATING').length >= MAX_CONSUMERS_CREATING_AT_ONCE) return 'throttled';
  return refusalsInARow >= REFUSALS_BEFORE_LIMIT ? 'limit' : 'throttled';
}

/** Consumers that count against the limit (one being deleted may still count for a while; not treated as a limit). */
function liveConsumers(consumers: readonly StreamConsumerDescription[]): readonly StreamConsumerDescription[] {
  return consumers.filter((consumer) => consumer.status !== 'DELETING');
}

export interface DeregisterStreamConsumerOptions extends ControlOptions {
  /** Fail with STREAM_CONSUMER_NOT_ACTIVE after this long (a consumer still CREATING cannot be deregistered); default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Deregisters the stream consumer (shutdown of an application's last worker, or tests). Already
 * DELETING counts as done; a consumer still CREATING is waited for. Does not wait for the
 * deletion to finish. Every subscription of the consumer, on any worker, ends with it.
 */
export async function deregisterStreamConsumer(
  port: FanOutPort,
  consumer: StreamConsumerRef,
  options: DeregisterStreamConsumerOptions = {},
): Promise<'deregistered' | 'notFound'> {
  const control = controlCalls(options, options.timeoutMs ?? DEFAULT_DEREGISTER_TIMEOUT_MS);
  const name = consumer.consumerName ?? consumer.consumerARN;
  for (let round = 1; ; round++) {
    const outcome = await control.call('DeregisterStreamConsumer', () => port.deregisterStreamConsumer(consumer, options.signal));
    if (outcome === 'deregistering') {
      (options.logger ?? noopLogger).info('stream consumer deregistered', { consumer: name });
      return 'deregistered';
    }
    if (outcome === 'notFound') return 'notFound';
    const found = await control.call('DescribeStreamConsumer', () => port.describeStreamConsumer(consumer, options.signal));
    if (found.kind === 'notFound') return 'notFound';
    if (found.consumer.status === 'DELETING') return 'deregistered';
    await control.pause(round, name, found.consumer.status);
  }
}

interface ControlCalls {
  /** One control-plane call, retried (throttling, 5xx, resets) until the deadline. */
  call<T>(operation: string, run: () => Promise<T>): Promise<T>;
  /** Waits before the next status poll; throws StreamConsumerNotActiveError when the wait would pass the deadline. */
  pause(round: number, consumerName: string, status: string): Promise<void>;
}

function controlCalls(options: ControlOptions, timeoutMs: number): ControlCalls {
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? exponentialBackoff(DEFAULT_BACKOFF);
  const startedAt = clock.now();
  const deadline = startedAt + timeoutMs;
  return {
    call: (operation, run) => retry(run, { backoff, clock, deadline, ...(options.signal === undefined ? {} : { signal: options.signal }), description: operation }),
    async pause(round, consumerName, status) {
      const delay = backoff.delayMs(round);
      if (clock.now() + delay >= deadline) throw new StreamConsumerNotActiveError(consumerName, status, clock.now() - startedAt);
      await clock.sleep(delay, options.signal);
    },
  };
}
