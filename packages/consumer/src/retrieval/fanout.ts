import type { StreamRecord } from '@kinesis-kit/aggregation';
import {
  classifyError,
  exponentialBackoff,
  retry,
  systemClock,
  withTimeout,
  type Attempt,
  type BackoffPolicy,
  type Clock,
  type Dimensions,
  type ErrorClass,
} from '@kinesis-kit/core';
import { BatchHandoff } from './batch-handoff.js';
import { SubscriptionStalledError } from './fanout-errors.js';
import { FAN_OUT_METRICS } from './fanout-metric-names.js';
import { resolveFanOutOptions, type FanOutRetrievalOptions, type FanOutSettings } from './fanout-options.js';
import type { FanOutPort, SubscriptionEvent } from './fanout-port.js';
import type { IteratorStart, ShardDescription } from './kinesis-port.js';
import type { ChildShard } from '../processing/contracts.js';
import type { OpenShardInput, RecordBatch, Retrieval, ShardRecordSource } from './retrieval.js';
import { confirmShardEnd, isResourceNotFound, listShardEnd } from './shard-end.js';

/** SubscriptionStalledError's code: what retry's onFailedAttempt sees as a stalled subscribe attempt's errorCode. */
const STALLED = 'SUBSCRIPTION_STALLED';

/** Before retrying a subscribe: ResourceInUse lasts up to 5 s after the previous successful call, throttling 1 s. */
const DEFAULT_BACKOFF = { initialDelayMs: 1_000, maxDelayMs: 5_000, jitter: 'equal' } as const;

/**
 * Enhanced fan-out retrieval: one SubscribeToShard subscription at a time per shard, renewed
 * for as long as the shard is read. Implements the same Retrieval interface as polling, so the
 * shard consumer (de-aggregation, checkpoints, restart filter, shard end) is the same.
 * Options are validated here, once, not per shard.
 */
export function fanOutRetrieval(port: FanOutPort, options: FanOutRetrievalOptions): Retrieval {
  const { consumerARN, ...settings } = resolveFanOutOptions(options);
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? exponentialBackoff(DEFAULT_BACKOFF);
  return {
    kind: 'fanOut',
    open: (shard) => new FanOutShardSource({ port, consumerARN, shard, settings, backoff, clock }),
  };
}

interface SourceContext {
  readonly port: FanOutPort;
  readonly consumerARN: string;
  readonly shard: OpenShardInput;
  readonly settings: FanOutSettings;
  readonly backoff: BackoffPolicy;
  readonly clock: Clock;
}

/** How one established subscription ended (a fatal failure is thrown instead). */
type SubscriptionEnd =
  | { readonly kind: 'shardEnd' }
  /** The service ended it (after 5 minutes): renew. */
  | { readonly kind: 'completed' }
  /** maxSubscriptionMillis passed: renew. */
  | { readonly kind: 'expired' }
  /** No event within the stall deadline: resubscribe. */
  | { readonly kind: 'stalled' }
  /** A retriable failure after it was established (reset, 5xx-like exception event): resubscribe. */
  | { readonly kind: 'failed'; readonly error: unknown }
  /** An end without ChildShards while ListShards shows the shard open: the event was dropped; resubscribe. */
  | { readonly kind: 'spuriousEnd' };

type Step = { readonly kind: 'event'; readonly event: SubscriptionEvent } | Exclude<SubscriptionEnd, { kind: 'shardEnd' }>;

/**
 * One shard's subscriptions. Each event becomes one RecordBatch in a bounded buffer; the next
 * event is pulled from the subscription only when there is room (or the shard consumer waits
 * on an empty buffer), so a slow processor leaves the rest in the HTTP stream, whose flow
 * control then holds the service back. A subscription is renewed AFTER_SEQUENCE_NUMBER of the
 * last ContinuationSequenceNumber taken into the buffer: nothing skipped, nothing repeated
 * (records at or before the last one taken are dropped as a safety net). A subscription that
 * delivers no event for subscriptionStallTimeoutMillis while being read is torn down and replaced.
 */
class FanOutShardSource implements ShardRecordSource {
  readonly #handoff: BatchHandoff;
  readonly #dimensions: Dimensions;
  #continuation: string | undefined;
  #lastSequenceNumber: bigint | undefined;
  #fetchedEnd = false;
  #lastSubscribeAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly context: SourceContext) {
    const { shard, settings } = context;
    this.#handoff = new BatchHandoff(shard.shardId, settings.maxPrefetchBatches, settings.maxPrefetchBytes);
    this.#dimensions = { shardId: shard.shardId };
    void this.#run();
  }

  next(): Promise<RecordBatch> {
    return this.#handoff.next();
  }

  close(): void {
    this.#handoff.close();
  }

  get #shardId(): string {
    return this.context.shard.shardId;
  }

  async #run(): Promise<void> {
    const { backoff, clock } = this.context;
    try {
      while (!this.#fetchedEnd) {
        const end = await retry(() => this.#subscription(), {
          backoff,
          clock,
          signal: this.#handoff.signal,
          description: `SubscribeToShard on ${this.#shardId}`,
          onFailedAttempt: (attempt, errorClass) => this.#onFailedAttempt(attempt, errorClass),
        });
        this.#report(end);
      }
    } catch (error) {
      if (this.#handoff.signal.aborted) return;
      this.context.shard.logger.error('record retrieval failed for good', { shardId: this.#shardId, error });
      this.#handoff.fail(error);
    }
  }

  /** One subscription from subscribe to its end; throws when it could not be established, or failed for good. */
  async #subscription(): Promise<SubscriptionEnd> {
    await this.#handoff.untilRoom();
    await this.#pace();
    const link = linkedAbort(this.#handoff.signal);
    try {
      const events = await this.#establish(link.controller);
      return await this.#read(events);
    } catch (error) {
      if (!isResourceNotFound(error) || this.#handoff.signal.aborted) throw error;
      return await this.#notFound(error);
    } finally {
      link.dispose(); // closes the connection, whatever happened
    }
  }

  /**
   * ResourceNotFoundException on the subscription. The Java KCL's FanOutRecordsPublisher ends the
   * shard; but it also means the stream consumer was deregistered, so ListShards decides here: a
   * shard that is absent or closed ended (with the children ListShards lists); one that is open
   * still has records, and the error stands (the consumer is gone).
   */
  async #notFound(error: unknown): Promise<SubscriptionEnd> {
    const { backoff, clock, shard } = this.context;
    const listed = await listShardEnd(this.#listShards, this.#shardId, { backoff, clock, signal: this.#handoff.signal });
    if (listed.listed === 'open') throw error;
    shard.metrics.count(FAN_OUT_METRICS.shardsGone, 1, this.#dimensions);
    shard.logger.warn('SubscribeToShard answered ResourceNotFoundException and ListShards no longer lists the shard open; ending it', {
      shardId: this.#shardId,
      listed: listed.listed,
    });
    shard.onEvent?.({ type: 'shardGone', shardId: this.#shardId, operation: 'SubscribeToShard' });
    this.#fetchedEnd = true;
    this.#handoff.deliver({ records: [], millisBehindLatest: undefined, shardEnd: { childShards: listed.childShards } });
    return { kind: 'shardEnd' };
  }

  async #pace(): Promise<void> {
    const { clock, settings } = this.context;
    const wait = this.#lastSubscribeAt + settings.minTimeBetweenSubscribesMillis - clock.now();
    if (wait > 0) await clock.sleep(wait, this.#handoff.signal);
  }

  /**
   * SubscribeToShard until its first event, within the request timeout (or the stall deadline,
   * if shorter: then it counts as a stall). A black-holed call is abandoned (even if it ignores
   * its abort signal), its connection closed, and retried.
   */
  async #establish(controller: AbortController): Promise<AsyncIterable<SubscriptionEvent>> {
    const { port, consumerARN, clock, settings, shard } = this.context;
    const startedAt = clock.now();
    this.#lastSubscribeAt = startedAt;
    shard.metrics.count(FAN_OUT_METRICS.subscribeCalls, 1, this.#dimensions);
    const stallMs = settings.subscriptionStallTimeoutMillis;
    const waitMs = Math.min(stallMs, settings.kinesisRequestTimeoutMillis);
    const input = { consumerARN, shardId: this.#shardId, start: this.#resumeAt(), signal: controller.signal };
    try {
      // The subscription lives on `controller` (closed by the caller); withTimeout bounds only the wait for it.
      const events = await withTimeout(clock, waitMs, controller.signal, () => port.subscribeToShard(input));
      shard.metrics.timing(FAN_OUT_METRICS.subscribeTime, clock.now() - startedAt, this.#dimensions);
      return events;
    } catch (error) {
      this.#handoff.throwIfClosed();
      controller.abort(error); // an answer that comes after all is closed at once
      const timedOut = (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
      throw timedOut && waitMs === stallMs ? new SubscriptionStalledError(this.#shardId, stallMs) : error;
    }
  }

  /** Reads events while there is room for them, until the subscription ends. */
  async #read(events: AsyncIterable<SubscriptionEvent>): Promise<SubscriptionEnd> {
    const iterator = events[Symbol.asyncIterator]();
    const renewAt = this.context.clock.now() + this.context.settings.maxSubscriptionMillis;
    for (;;) {
      await this.#handoff.untilRoom();
      const step = await this.#nextEvent(iterator, renewAt);
      if (step.kind !== 'event') return step;
      const end = await this.#accept(step.event);
      if (end !== undefined) return end;
    }
  }

  /** The next event, or why there is none: the stall deadline or the renewal time passed, the stream ended or failed. */
  async #nextEvent(iterator: AsyncIterator<SubscriptionEvent>, renewAt: number): Promise<Step> {
    const { clock, settings } = this.context;
    const remaining = renewAt - clock.now();
    if (remaining <= 0) return { kind: 'expired' };
    const stallMs = settings.subscriptionStallTimeoutMillis;
    const timeout: Step = remaining < stallMs ? { kind: 'expired' } : { kind: 'stalled' };
    // Linked to close(): a subscription that ignores the abort cannot hold close() up.
    const timer = linkedAbort(this.#handoff.signal);
    const pending = iterator.next().then(
      (result): Step => (result.done === true ? { kind: 'completed' } : { kind: 'event', event: result.value }),
      (error: unknown): Step => ({ kind: 'failed', error }),
    );
    const elapsed = clock.sleep(Math.min(remaining, stallMs), timer.controller.signal).then(
      () => timeout,
      () => undefined,
    );
    try {
      const raced = await Promise.race([pending, elapsed]);
      this.#handoff.throwIfClosed();
      const step = raced ?? (await pending);
      if (step.kind === 'failed' && classifyError(step.error).errorClass === 'fatal') throw step.error;
      return step;
    } finally {
      timer.dispose();
    }
  }

  /** Takes one event into the buffer; how the subscription ends when it does (shard end, or a spurious one dropped). */
  async #accept(event: SubscriptionEvent): Promise<SubscriptionEnd | undefined> {
    const { metrics } = this.context.shard;
    metrics.count(FAN_OUT_METRICS.events, 1, this.#dimensions);
    const { continuationSequenceNumber: continuation, millisBehindLatest } = event;
    let { childShards } = event;
    if (continuation === undefined && childShards.length === 0) {
      const confirmed = await this.#confirmEnd();
      if (confirmed === undefined) return { kind: 'spuriousEnd' }; // nothing of the event was taken
      childShards = confirmed;
    }
    const records = this.#dropDelivered(event.records);
    metrics.count(FAN_OUT_METRICS.recordsFetched, records.length, this.#dimensions);
    if (continuation !== undefined) {
      this.#continuation = continuation;
      this.#handoff.deliver({ records, millisBehindLatest });
      return undefined;
    }
    this.#fetchedEnd = true;
    this.#handoff.deliver({ records, millisBehindLatest, shardEnd: { childShards } });
    return { kind: 'shardEnd' };
  }

  /** The children of a shard whose last event had no ChildShards, per ListShards; undefined when it is still open. */
  async #confirmEnd(): Promise<readonly ChildShard[] | undefined> {
    const { backoff, clock, shard } = this.context;
    const options = { backoff, clock, signal: this.#handoff.signal, metric: FAN_OUT_METRICS.unconfirmedShardEnds, operation: 'SubscribeToShard' } as const;
    const check = await confirmShardEnd(this.#listShards, shard, options);
    return check.listed === 'open' ? undefined : check.childShards;
  }

  /** Every shard of the consumer's stream (ListShards), to confirm a shard's end. */
  readonly #listShards = (signal: AbortSignal): Promise<readonly ShardDescription[]> =>
    this.context.port.listShards({ streamARN: streamARNOfConsumer(this.context.consumerARN) }, signal);

  /** Records after the last one taken (records of an event are in order); remembers the newest. */
  #dropDelivered(records: readonly StreamRecord[]): readonly StreamRecord[] {
    const last = this.#lastSequenceNumber;
    const firstNew = last === undefined ? 0 : records.findIndex((record) => BigInt(record.sequenceNumber) > last);
    const kept = firstNew === 0 ? records : firstNew < 0 ? [] : records.slice(firstNew);
    const dropped = records.length - kept.length;
    if (dropped > 0) {
      this.context.shard.metrics.count(FAN_OUT_METRICS.duplicatesDropped, dropped, this.#dimensions);
      this.context.shard.logger.warn('subscription repeated records already taken; dropped them', { shardId: this.#shardId, dropped });
    }
    const newest = kept.at(-1);
    if (newest !== undefined) this.#lastSequenceNumber = BigInt(newest.sequenceNumber);
    return kept;
  }

  /** AFTER_SEQUENCE_NUMBER of the last continuation (or record) taken; the lease's start before the first event. */
  #resumeAt(): IteratorStart {
    const continuation = this.#continuation === undefined ? undefined : BigInt(this.#continuation);
    const last = this.#lastSequenceNumber;
    const after = continuation === undefined || (last !== undefined && last > continuation) ? last : continuation;
    return after === undefined ? this.context.shard.start : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after.toString() };
  }

  #report(end: SubscriptionEnd): void {
    const { metrics, logger } = this.context.shard;
    const fields = { shardId: this.#shardId, after: this.#continuation };
    switch (end.kind) {
      case 'shardEnd':
        logger.info('shard end reached over the subscription', { shardId: this.#shardId });
        return;
      case 'completed':
      case 'expired':
        metrics.count(FAN_OUT_METRICS.renewed, 1, this.#dimensions);
        logger.debug('subscription ended; renewing it', { ...fields, reason: end.kind });
        return;
      case 'stalled': {
        const stallTimeoutMs = this.context.settings.subscriptionStallTimeoutMillis;
        metrics.count(FAN_OUT_METRICS.stalled, 1, this.#dimensions);
        logger.warn('subscription stalled; resubscribing', { ...fields, stallTimeoutMs });
        this.context.shard.onEvent?.({ type: 'retrievalStalled', shardId: this.#shardId, retrieval: 'fanOut', stallTimeoutMs });
        return;
      }
      case 'spuriousEnd':
        logger.warn('the shard is still open; resubscribing after the last continuation', fields);
        return;
      case 'failed': {
        const { code, message } = classifyError(end.error);
        metrics.count(FAN_OUT_METRICS.failures, 1, { ...this.#dimensions, operation: 'SubscribeToShardEvents' });
        logger.warn('subscription failed; resubscribing', { ...fields, errorCode: code, message });
      }
    }
  }

  #onFailedAttempt(attempt: Attempt, errorClass: ErrorClass): void {
    if (this.#handoff.signal.aborted) return;
    const { metrics, logger } = this.context.shard;
    const fields = { shardId: this.#shardId, operation: 'SubscribeToShard', errorCode: attempt.errorCode, errorClass };
    if (attempt.errorCode === 'ResourceInUseException') {
      metrics.count(FAN_OUT_METRICS.resourceInUse, 1, this.#dimensions);
      logger.debug('previous subscription still active; backing off', fields);
    } else if (errorClass === 'throttled') {
      metrics.count(FAN_OUT_METRICS.throttled, 1, this.#dimensions);
      logger.debug('subscribe throttled; backing off', fields);
    } else if (attempt.errorCode === STALLED) {
      const stallTimeoutMs = this.context.settings.subscriptionStallTimeoutMillis;
      metrics.count(FAN_OUT_METRICS.stalled, 1, this.#dimensions);
      logger.warn('subscribe call got no event in time; retrying', { ...fields, stallTimeoutMs });
      this.context.shard.onEvent?.({ type: 'retrievalStalled', shardId: this.#shardId, retrieval: 'fanOut', stallTimeoutMs });
    } else {
      metrics.count(FAN_OUT_METRICS.failures, 1, { ...this.#dimensions, operation: 'SubscribeToShard' });
      logger.warn('subscribe failed', { ...fields, message: attempt.errorMessage });
    }
  }
}

/** The stream's ARN inside a consumer ARN (`<stream ARN>/consumer/<name>:<creation epoch>`). */
export function streamARNOfConsumer(consumerARN: string): string {
  const at = consumerARN.indexOf('/consumer/');
  return at < 0 ? consumerARN : consumerARN.slice(0, at);
}

/** An AbortController that also aborts with `parent`; dispose() aborts it and unhooks it from the parent. */
function linkedAbort(parent: AbortSignal): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    controller,
    dispose: () => {
      parent.removeEventListener('abort', onAbort);
      controller.abort();
    },
  };
}
