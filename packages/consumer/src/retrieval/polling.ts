import {
  exponentialBackoff,
  retry,
  systemClock,
  timeoutSignal,
  type Attempt,
  type BackoffPolicy,
  type Clock,
  type Dimensions,
  type ErrorClass,
} from '@kinesis-kit/core';
import type { ChildShard } from '../processing/contracts.js';
import { RETRIEVAL_METRICS } from './metric-names.js';
import type { GetRecordsOutcome, IteratorStart, KinesisReadPort } from './kinesis-port.js';
import { resolvePollingOptions, type PollingOptions, type PollingSettings } from './polling-options.js';
import { BatchHandoff } from './batch-handoff.js';
import type { OpenShardInput, RecordBatch, Retrieval, RetrievalEvent, ShardRecordSource } from './retrieval.js';
import { confirmShardEnd, isResourceNotFound, listShardEnd } from './shard-end.js';

type ReadOutcome = GetRecordsOutcome | { readonly kind: 'gone'; readonly operation: string };
type Records = Extract<GetRecordsOutcome, { kind: 'records' }>;

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
 *
 * Faults it survives: every attempt has the port's request timeout; a fetch that gets no
 * successful answer for `pollingStallTimeoutMillis` is abandoned and the iterator renewed after
 * the last record fetched (a stall); ResourceNotFoundException ends the shard (it is gone, as the
 * Java KCL's KinesisDataFetcher treats it) once ListShards shows it closed or absent; an end without
 * ChildShards is confirmed with ListShards the same way.
 */
class PollingShardSource implements ShardRecordSource {
  /** The bounded prefetch buffer between this loop and the shard consumer (shared with fan-out). */
  readonly #handoff: BatchHandoff;
  readonly #dimensions: Dimensions;
  #fetchedEnd = false;
  /** ResourceNotFoundException answers in a row for a shard ListShards lists as open (backoff). */
  #spuriousGone = 0;
  #iterator: string | undefined;
  #lastSequenceNumber: string | undefined;
  #nextReadAt = 0;
  #operation = 'GetShardIterator';
  /** The current fetch's signal: aborts on close() or when the stall deadline passes. */
  #fetchSignal: AbortSignal;

  constructor(
    private readonly port: KinesisReadPort,
    private readonly shard: OpenShardInput,
    private readonly settings: PollingSettings,
    private readonly backoff: BackoffPolicy,
    private readonly clock: Clock,
  ) {
    this.#handoff = new BatchHandoff(shard.shardId, settings.maxPrefetchBatches, settings.maxPrefetchBytes);
    this.#dimensions = { shardId: shard.shardId };
    this.#fetchSignal = this.#handoff.signal;
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
        const batch = await this.#watchedFetch();
        if (batch !== undefined) this.#handoff.deliver(batch);
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

  /** One fetch under the stall deadline; undefined when there is nothing to deliver yet (a stall, or a spurious end). */
  async #watchedFetch(): Promise<RecordBatch | undefined> {
    const stallMs = this.settings.pollingStallTimeoutMillis;
    const deadline = timeoutSignal(this.clock, stallMs, this.#handoff.signal);
    this.#fetchSignal = deadline.signal;
    try {
      return await this.#fetch();
    } catch (error) {
      if (this.#handoff.signal.aborted || !deadline.signal.aborted) throw error;
      // No successful answer for the stall time: start over from the last record fetched.
      this.#iterator = undefined;
      this.shard.metrics.count(RETRIEVAL_METRICS.stalled, 1, this.#dimensions);
      this.shard.logger.warn('no GetRecords answer within the stall timeout; renewing the shard iterator', {
        shardId: this.shard.shardId,
        after: this.#lastSequenceNumber,
        stallTimeoutMs: stallMs,
      });
      this.#emit({ type: 'retrievalStalled', shardId: this.shard.shardId, retrieval: 'polling', stallTimeoutMs: stallMs });
      return undefined;
    } finally {
      deadline.done();
      this.#fetchSignal = this.#handoff.signal;
    }
  }

  /** One batch: GetRecords with retries, renewing the iterator when it expired. */
  async #fetch(): Promise<RecordBatch | undefined> {
    for (let expired = 0; ; ) {
      const outcome = await retry(() => this.#readOnce(), {
        backoff: this.backoff,
        clock: this.clock,
        signal: this.#fetchSignal,
        description: `GetRecords on ${this.shard.shardId}`,
        onFailedAttempt: (attempt, errorClass) => this.#onFailedAttempt(attempt, errorClass),
      });
      if (outcome.kind === 'records') return this.#accept(outcome);
      if (outcome.kind === 'gone') return this.#gone(outcome.operation);
      expired += 1;
      this.#iterator = undefined;
      this.shard.metrics.count(RETRIEVAL_METRICS.expiredIterators, 1, this.#dimensions);
      this.shard.logger.info('shard iterator expired; renewing it', { shardId: this.shard.shardId, after: this.#lastSequenceNumber });
      // A second expiry in a row (the new iterator expired at once) is unusual: back off as for a failure.
      if (expired > 1) await this.clock.sleep(this.backoff.delayMs(expired - 1), this.#fetchSignal);
    }
  }

  async #readOnce(): Promise<ReadOutcome> {
    const signal = this.#fetchSignal;
    try {
      if (this.#iterator === undefined) {
        this.#operation = 'GetShardIterator';
        this.#iterator = await this.port.getShardIterator(this.shard.shardId, this.#resumeAt(), signal);
      }
      this.#operation = 'GetRecords';
      return await this.#getRecords(this.#iterator, signal);
    } catch (error) {
      if (isResourceNotFound(error)) return { kind: 'gone', operation: this.#operation };
      throw error;
    }
  }

  async #getRecords(iterator: string, signal: AbortSignal): Promise<GetRecordsOutcome> {
    const startedAt = this.clock.now();
    this.shard.metrics.count(RETRIEVAL_METRICS.getRecordsCalls, 1, this.#dimensions);
    const outcome = await this.port.getRecords(iterator, { limit: this.settings.maxRecords, signal });
    this.shard.metrics.timing(RETRIEVAL_METRICS.getRecordsTime, this.clock.now() - startedAt, this.#dimensions);
    if (outcome.kind === 'records') {
      const caughtUp = outcome.records.length === 0 || (outcome.millisBehindLatest ?? 0) === 0;
      const { idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis } = this.settings;
      this.#nextReadAt = startedAt + (caughtUp ? Math.max(idleTimeBetweenReadsMillis, minTimeBetweenReadsMillis) : minTimeBetweenReadsMillis);
    }
    return outcome;
  }

  /** A successful read; at a shard end without ChildShards, only once ListShards confirmed it (undefined: read again). */
  async #accept(outcome: Records): Promise<RecordBatch | undefined> {
    const { records, millisBehindLatest, nextShardIterator } = outcome;
    let { childShards } = outcome;
    if (nextShardIterator === undefined && childShards.length === 0) {
      const confirmed = await this.#confirmEnd();
      if (confirmed === undefined) return undefined; // the same iterator is read again: its records were not taken
      childShards = confirmed;
    }
    this.#spuriousGone = 0;
    this.shard.metrics.count(RETRIEVAL_METRICS.recordsFetched, records.length, this.#dimensions);
    const last = records.at(-1);
    if (last !== undefined) this.#lastSequenceNumber = last.sequenceNumber;
    if (nextShardIterator !== undefined) {
      this.#iterator = nextShardIterator;
      return { records, millisBehindLatest };
    }
    this.#fetchedEnd = true;
    return { records, millisBehindLatest, shardEnd: { childShards } };
  }

  /** The children of a shard that ended without ChildShards, per ListShards; undefined when it is still open. */
  async #confirmEnd(): Promise<readonly ChildShard[] | undefined> {
    const listShards = (signal: AbortSignal) => this.port.listShards({ signal });
    const options = { backoff: this.backoff, clock: this.clock, signal: this.#fetchSignal, metric: RETRIEVAL_METRICS.unconfirmedShardEnds, operation: 'GetRecords' } as const;
    const check = await confirmShardEnd(listShards, this.shard, options);
    return check.listed === 'open' ? undefined : check.childShards;
  }

  /**
   * ResourceNotFoundException: the shard (or the stream) may be gone. ListShards decides, as for
   * fan-out and for an end without ChildShards: closed or no longer listed, the shard ends with
   * the children ListShards lists (the Java KCL's KinesisDataFetcher treats this answer as shard
   * end); still listed open, the answer is not believed (ending an open shard would checkpoint
   * SHARD_END over records never read), and the shard is read again after a backoff.
   */
  async #gone(operation: string): Promise<RecordBatch | undefined> {
    const { shardId } = this.shard;
    const listShards = (signal: AbortSignal) => this.port.listShards({ signal });
    const listed = await listShardEnd(listShards, shardId, { backoff: this.backoff, clock: this.clock, signal: this.#fetchSignal });
    if (listed.listed === 'open') {
      this.#spuriousGone += 1;
      this.#iterator = undefined;
      this.shard.metrics.count(RETRIEVAL_METRICS.unconfirmedShardEnds, 1, this.#dimensions);
      this.shard.logger.warn(`${operation} answered ResourceNotFoundException for a shard ListShards lists as open; reading it again`, { shardId, operation });
      this.#emit({ type: 'unconfirmedShardEnd', shardId, listed: 'open' });
      await this.clock.sleep(this.backoff.delayMs(this.#spuriousGone), this.#fetchSignal);
      return undefined;
    }
    this.#fetchedEnd = true;
    this.shard.metrics.count(RETRIEVAL_METRICS.shardsGone, 1, this.#dimensions);
    this.shard.logger.warn(`${operation} answered ResourceNotFoundException; the shard is ${listed.listed}, ending it`, { shardId, operation, after: this.#lastSequenceNumber });
    this.#emit({ type: 'shardGone', shardId, operation });
    return { records: [], millisBehindLatest: undefined, shardEnd: { childShards: listed.childShards } };
  }

  #resumeAt(): IteratorStart {
    const after = this.#lastSequenceNumber;
    return after === undefined ? this.shard.start : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after };
  }

  #emit(event: RetrievalEvent): void {
    this.shard.onEvent?.(event);
  }

  #onFailedAttempt(attempt: Attempt, errorClass: ErrorClass): void {
    // close() or the stall deadline aborted the call in flight: not a failed read.
    if (this.#fetchSignal.aborted) return;
    const name = errorClass === 'throttled' ? RETRIEVAL_METRICS.throttled : RETRIEVAL_METRICS.failures;
    this.shard.metrics.count(name, 1, { ...this.#dimensions, operation: this.#operation });
    const fields = { shardId: this.shard.shardId, operation: this.#operation, errorCode: attempt.errorCode, errorClass };
    if (errorClass === 'throttled') this.shard.logger.debug('read throttled; backing off', fields);
    else this.shard.logger.warn('read failed', { ...fields, message: attempt.errorMessage });
  }
}
