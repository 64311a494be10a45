import { ConfigurationError, KinesisKitError, resolveOptions, type BackoffPolicy, type Clock, type Logger, type OptionValues } from '@kinesis-kit/core';
import { fanOutRetrieval } from './fanout.js';
import { FAN_OUT_OPTION_SPECS, consumerNameProblem, resolveFanOutOptions, type FanOutRetrievalOptions } from './fanout-options.js';
import type { FanOutPort } from './fanout-port.js';
import type { StreamRef } from './kinesis-port.js';
import type { Retrieval } from './retrieval.js';
import { deregisterStreamConsumer, ensureStreamConsumer, type RegisteredStreamConsumer } from './stream-consumer.js';

export type FanOutConsumerSettings = OptionValues<typeof FAN_OUT_OPTION_SPECS>;

export interface FanOutSessionOptions extends Partial<{ -readonly [K in keyof FanOutConsumerSettings]: FanOutConsumerSettings[K] }> {
  readonly stream: StreamRef;
  /** Names the stream consumer unless streamConsumerName is given. */
  readonly applicationName: string;
  /** The prefetch bounds, shared with polling (see POLLING_OPTION_SPECS). */
  readonly maxPrefetchBatches?: number;
  readonly maxPrefetchBytes?: number;
  /** Per-attempt deadline of the control calls and of a subscription's first event (see KINESIS_REQUEST_OPTION_SPECS). */
  readonly kinesisRequestTimeoutMillis?: number;
  /** Subscribe retries (default exponential 1 s .. 5 s, equal jitter). */
  readonly subscribeBackoff?: BackoffPolicy;
  /** Registration polls and control-call retries (default exponential 250 ms .. 5 s, equal jitter). */
  readonly controlBackoff?: BackoffPolicy;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const OTHER_KEYS = ['stream', 'applicationName', 'maxPrefetchBatches', 'maxPrefetchBytes', 'kinesisRequestTimeoutMillis', 'subscribeBackoff', 'controlBackoff', 'clock', 'logger'];

/**
 * Fan-out as a KinesisConsumer runs it: options validated at construction, `retrieval` available
 * at once (for the shard scheduler), the stream consumer registered by `start()` before any shard
 * is opened, and deregistered by `stop()` when deregisterStreamConsumerOnShutdown is set.
 */
export class FanOutSession {
  readonly settings: FanOutConsumerSettings;
  /** Opens shards through the registered consumer; opening before start() completed throws FAN_OUT_NOT_STARTED. */
  readonly retrieval: Retrieval;
  readonly consumerName: string;
  #inner: Retrieval | undefined;
  #consumer: RegisteredStreamConsumer | undefined;

  constructor(
    private readonly port: FanOutPort,
    private readonly options: FanOutSessionOptions,
  ) {
    this.settings = resolveOptions('fan-out', FAN_OUT_OPTION_SPECS, options as unknown as Readonly<Record<string, unknown>>, { otherKeys: OTHER_KEYS });
    this.consumerName = this.settings.streamConsumerName ?? options.applicationName;
    const problem = consumerNameProblem(this.consumerName);
    if (problem !== undefined) throw new ConfigurationError(`invalid fan-out options: the stream consumer name ${JSON.stringify(this.consumerName)} ${problem}; set streamConsumerName`);
    resolveFanOutOptions(this.#retrievalOptions('not-yet-registered')); // the prefetch bounds, checked now rather than at start()
    this.retrieval = { kind: 'fanOut', open: (shard) => this.#started().open(shard) };
  }

  /** The registered consumer, once start() resolved. */
  get consumer(): RegisteredStreamConsumer | undefined {
    return this.#consumer;
  }

  /** Registers the stream consumer if needed and waits until it is ACTIVE (see ensureStreamConsumer). */
  async start(signal?: AbortSignal): Promise<RegisteredStreamConsumer> {
    const { stream, clock, logger, controlBackoff } = this.options;
    const consumer = await ensureStreamConsumer(this.port, {
      stream,
      consumerName: this.consumerName,
      timeoutMs: this.settings.registerStreamConsumerTimeoutMillis,
      ...(controlBackoff === undefined ? {} : { backoff: controlBackoff }),
      ...(clock === undefined ? {} : { clock }),
      ...(logger === undefined ? {} : { logger }),
      ...(signal === undefined ? {} : { signal }),
    });
    this.#inner = fanOutRetrieval(this.port, this.#retrievalOptions(consumer.consumerARN));
    this.#consumer = consumer;
    return consumer;
  }

  /** After every shard consumer finished: deregisters the stream consumer when configured to. */
  async stop(signal?: AbortSignal): Promise<'deregistered' | 'notFound' | 'kept'> {
    const consumer = this.#consumer;
    if (consumer === undefined || !this.settings.deregisterStreamConsumerOnShutdown) return 'kept';
    const { clock, logger, controlBackoff } = this.options;
    return deregisterStreamConsumer(
      this.port,
      { consumerARN: consumer.consumerARN },
      {
        ...(controlBackoff === undefined ? {} : { backoff: controlBackoff }),
        ...(clock === undefined ? {} : { clock }),
        ...(logger === undefined ? {} : { logger }),
        ...(signal === undefined ? {} : { signal }),
      },
    );
  }

  #retrievalOptions(consumerARN: string): FanOutRetrievalOptions {
    const { subscriptionStallTimeoutMillis, maxSubscriptionMillis, minTimeBetweenSubscribesMillis } = this.settings;
    const { maxPrefetchBatches, maxPrefetchBytes, kinesisRequestTimeoutMillis, subscribeBackoff, clock } = this.options;
    return {
      consumerARN,
      ...(kinesisRequestTimeoutMillis === undefined ? {} : { kinesisRequestTimeoutMillis }),
      subscriptionStallTimeoutMillis,
      maxSubscriptionMillis,
      minTimeBetweenSubscribesMillis,
      ...(maxPrefetchBatches === undefined ? {} : { maxPrefetchBatches }),
      ...(maxPrefetchBytes === undefined ? {} : { maxPrefetchBytes }),
      ...(subscribeBackoff === undefined ? {} : { backoff: subscribeBackoff }),
      ...(clock === undefined ? {} : { clock }),
    };
  }

  #started(): Retrieval {
    if (this.#inner === undefined) throw new KinesisKitError('FAN_OUT_NOT_STARTED', 'fan-out retrieval used before its stream consumer was registered (FanOutSession.start())');
    return this.#inner;
  }
}
