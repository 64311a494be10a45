import {
  exponentialBackoff,
  retry,
  systemClock,
  type Attempt,
  type BackoffPolicy,
  type Clock,
  type Dimensions,
  type ErrorClass,
} from '@kinesis-kit/core';
import { RETRIEVAL_METRICS } from './metric-names.js';
import type { GetRecordsOutcome, IteratorStart, KinesisReadPort } from './kinesis-port.js';
import { resolvePollingOptions, type PollingOptions, type PollingSettings } from './polling-options.js';
import { BatchHandoff } from './batch-handoff.js';
import type { OpenShardInput, RecordBatch, Retrieval, ShardRecordSource } from './retrieval.js';

const DEFAULT_BACKOFF = { initialDelayMs: 200, maxDelayMs: 5_000 } as const;

/**
 * Polling retrieval: GetRecords in a loop per shard, one call in flight, results prefetched into
 * a bounded buffer. Options are validated here, once, not per shard.
 */
export function pollingRetrieval(port: KinesisReadPort, options: PollingOptions = {}): Retrieval {
  const settings = resolvePollingOptions(options);
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? exponentialBackoff(DEFAULT_BACKOFF);
  return {
    kind: 'polling',
    open: (shard) => new PollingShardSource(port, shard, settings, backoff, clock),
  };
}

/**
 * One shard's GetRecords loop. It fetches while the buffer has room (or the consumer waits on an
 * empty buffer), paces calls (`minTimeBetweenReadsMillis`; `idleTimeBetweenReadsMillis` once caught up),
 * retries throttling and transient failures with the injected backoff, and replaces an expired
 * iterator with one AFTER_SEQUENCE_NUMBER of the last record fetched (or at the start).
 */
class PollingShardSource implements ShardRecordSource {
  /** The bounded prefetch buffer between this loop and the shard consumer (shared with fan-out). */
  readonly #handoff: BatchHandoff;
  readonly #dimensions: Dimensions;
  #fetchedEnd = false;
  #iterator: string | undefined;
  #lastSequenceNumber: string | undefined;
  #nextReadAt = 0;
  #operation = 'GetShardIterator';

  constructor(
    private readonly port: KinesisReadPort,
    private readonly shard: OpenShardInput,
    private readonly settings: PollingSettings,
    private readonly backoff: BackoffPolicy,
    private readonly clock: Clock,
  ) {
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

  async #run(): Promise<void> {
    try {
      while (!this.#fetchedEnd) {
        await this.#handoff.untilRoom();
        await this.#pace();
        this.#handoff.deliver(await this.#fetch());
      }
    } catch (error) {
      if (this.#handoff.signal.aborted) return;
      this.shard.logger.error('record retrieval failed for good', { shardId: this.shard.shardId, error });
      this.#handoff.fail(error);
    }
  }

  async #pace(): Promise<void> {
    const wait = this.#nextReadAt - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, this.#handoff.signal);
  }

  /** One batch: GetRecords with retries, renewing the iterator when it expired. */
  async #fetch(): Promise<RecordBatch> {
    for (let expired = 0; ; ) {
      const outcome = await retry(() => this.#readOnce(), {
        backoff: this.backoff,
        clock: this.clock,
        signal: this.#handoff.signal,
        description: `GetRecords on ${this.shard.shardId}`,
        onFailedAttempt: (attempt, errorClass) => this.#onFailedAttempt(attempt, errorClass),
      });
      if (outcome.kind === 'records') return this.#accept(outcome);
      expired += 1;
      this.#iterator = undefined;
      this.shard.metrics.count(RETRIEVAL_METRICS.expiredIterators, 1, this.#dimensions);
      this.shard.logger.info('shard iterator expired; renewing it', { shardId: this.shard.shardId, after: this.#lastSequenceNumber });
      // A second expiry in a row (the new iterator expired at once) is unusual: back off as for a failure.
      if (expired > 1) await this.clock.sleep(this.backoff.delayMs(expired - 1), this.#handoff.signal);
    }
  }

  async #readOnce(): Promise<GetRecordsOutcome> {
    const signal = this.#handoff.signal;
    if (this.#iterator === undefined) {
      this.#operation = 'GetShardIterator';
      this.#iterator = await this.port.getShardIterator(this.shard.shardId, this.#resumeAt(), signal);
    }
    this.#operation = 'GetRecords';
    const startedAt = this.clock.now();
    this.shard.metrics.count(RETRIEVAL_METRICS.getRecordsCalls, 1, this.#dimensions);
    const outcome = await this.port.getRecords(this.#iterator, { limit: this.settings.maxRecords, signal });
    this.shard.metrics.timing(RETRIEVAL_METRICS.getRecordsTime, this.clock.now() - startedAt, this.#dimensions);
    if (outcome.kind === 'records') {
      const caughtUp = outcome.records.length === 0 || (outcome.millisBehindLatest ?? 0) === 0;
      const { idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis } = this.settings;
      this.#nextReadAt = startedAt + (caughtUp ? Math.max(idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis) : minTimeBetweenReadsMillis);
    }
    return outcome;
  }

  #accept(outcome: Extract<GetRecordsOutcome, { kind: 'records' }>): RecordBatch {
    const { records, millisBehindLatest, nextShardIterator, childShards } = outcome;
    this.shard.metrics.count(RETRIEVAL_METRICS.recordsFetched, records.length, this.#dimensions);
    const last = records.at(-1);
    if (last !== undefined) this.#lastSequenceNumber = last.sequenceNumber;
    this.#iterator = nextShardIterator;
    if (nextShardIterator !== undefined) return { records, millisBehindLatest };
    this.#fetchedEnd = true;
    return { records, millisBehindLatest, shardEnd: { childShards } };
  }

  #resumeAt(): IteratorStart {
    const after = this.#lastSequenceNumber;
    return after === undefined ? this.shard.start : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after };
  }

  #onFailedAttempt(attempt: Attempt, errorClass: ErrorClass): void {
    // close() aborted the call in flight: a shutdown, not a failed read.
    if (this.#handoff.signal.aborted) return;
    const name = errorClass === 'throttled' ? RETRIEVAL_METRICS.throttled : RETRIEVAL_METRICS.failures;
    this.shard.metrics.count(name, 1, { ...this.#dimensions, operation: this.#operation });
    const fields = { shardId: this.shard.shardId, operation: this.#operation, errorCode: attempt.errorCode, errorClass };
    if (errorClass === 'throttled') this.shard.logger.debug('read throttled; backing off', fields);
    else this.shard.logger.warn('read failed', { ...fields, message: attempt.errorMessage });
  }
}
