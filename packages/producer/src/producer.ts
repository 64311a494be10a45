import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import type { KeySlot } from '@kinesis-kit/aggregation';
import {
  ConfigurationError,
  exponentialBackoff,
  type Attempt,
  noopLogger,
  noopMetrics,
  systemClock,
  type Clock,
  type Logger,
  type Metrics,
} from '@kinesis-kit/core';
import { Admission } from './admission.js';
import { abortedError, closedError, PutRecordError } from './errors.js';
import type { ProducerEventMap } from './events.js';
import { Instrumentation } from './instrumentation.js';
import { canTransition } from './lifecycle.js';
import { recordCeiling, resolveProducerConfig, type ProducerConfig, type ProducerTuning } from './options.js';
import { Pipeline } from './pipeline.js';
import type { KinesisWritePort } from './port.js';
import { Intake, PendingRecord, type SettleListener, type WrittenAt } from './records.js';
import { sdkWritePort, type StreamTarget } from './sdk-port.js';
import type { CloseOptions, ProducerState, PutOptions, PutRecordInput, PutResult, PutTicket } from './types.js';
import { checkRecord } from './validate.js';
import { ProducerWritable, type ProducerWritableOptions } from './writable.js';

/** What the producer is built from besides its tunable options. */
export interface ProducerDependencies {
  /**
   * An SDK client, used as is (e.g. with the HTTP/1.1 handler an emulator needs). Its own
   * retries multiply with the producer's: give it `maxAttempts: 1`.
   */
  readonly kinesisClient?: KinesisClient;
  /** Settings for the client the producer creates when none is given (`maxAttempts` is forced to 1). */
  readonly clientConfig?: KinesisClientConfig;
  /** A port instead of an SDK client (a custom transport, or a test double for faults). */
  readonly writePort?: KinesisWritePort;
  /** Time source for buffering, backoff, TTLs and timeouts. Default: the system clock. */
  readonly clock?: Clock;
  /** Random source in [0, 1) for backoff jitter. Default: Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export type KinesisProducerOptions = StreamTarget & ProducerTuning & ProducerDependencies;

const DEPENDENCY_KEYS = ['streamName', 'streamARN', 'kinesisClient', 'clientConfig', 'writePort', 'clock', 'random', 'logger', 'metrics'];

interface FlushBarrier {
  /** Records accepted up to this sequence number are covered. */
  readonly limit: number;
  remaining: number;
  readonly resolve: () => void;
}

const noop = (): void => undefined;

/**
 * Records accepted without a macrotask turn, at most, before an enqueue() resolves on the next
 * one (setImmediate) instead of at once. A caller awaiting enqueue() per record runs on
 * microtasks only: without a turn, no answer is read and no timer fires until the whole buffer
 * (maxBufferedRecords) has filled, and GC then works on 100,000 live records instead of the few
 * thousand in flight. Yielding once per this many records costs one macrotask per 1,000.
 */
export const ENQUEUE_YIELD_EVERY = 1_000;

/**
 * A KPL-grade Kinesis producer: validates each record, predicts its shard from the shard map,
 * aggregates per shard, rate-limits per shard, batches into PutRecords requests, retries with
 * backoff until each record's TTL, and settles every put exactly once. See docs/producer.md.
 */
export class KinesisProducer {
  readonly config: ProducerConfig;
  /** The stream name or ARN this producer writes to. */
  readonly stream: string;
  readonly #clock: Clock;
  readonly #admission: Admission;
  readonly #instrumentation: Instrumentation;
  readonly #pipeline: Pipeline;
  readonly #ownedClient: KinesisClient | undefined;
  readonly #barriers: FlushBarrier[] = [];
  /** Largest record put() accepts (with 'auto', the pipeline checks each against the stream's own limit). */
  readonly #recordCeiling: number;
  #state: ProducerState = 'open';
  #sequence = 0;
  /** The time base records are accepted under (see Intake). */
  #intake: Intake;
  /** Records accepted since the last macrotask turn the producer knows of (see ENQUEUE_YIELD_EVERY). */
  #sinceTurn = 0;
  #closing: Promise<void> | undefined;

  constructor(options: KinesisProducerOptions) {
    if (typeof options !== 'object' || options === null) throw new ConfigurationError('KinesisProducer needs an options object');
    this.config = resolveProducerConfig(options as unknown as Record<string, unknown>, DEPENDENCY_KEYS);
    checkDependencies(options);
    if (this.config.maxRecordSize === 'auto' && options.writePort !== undefined && typeof options.writePort.maxRecordSize !== 'function') {
      throw new ConfigurationError("invalid KinesisProducer options: maxRecordSize 'auto' needs a writePort with maxRecordSize()");
    }
    this.#recordCeiling = recordCeiling(this.config.maxRecordSize);
    this.stream = options.streamARN ?? options.streamName!;
    const target: StreamTarget = options.streamARN === undefined ? { streamName: options.streamName! } : { streamARN: options.streamARN };
    this.#ownedClient = options.writePort === undefined && options.kinesisClient === undefined ? new KinesisClient({ ...options.clientConfig, maxAttempts: 1 }) : undefined;
    const port = options.writePort ?? sdkWritePort((options.kinesisClient ?? this.#ownedClient)!, target);
    this.#clock = options.clock ?? systemClock;
    this.#intake = new Intake(this.#clock.now(), this.config.recordTtl);
    const logger = options.logger ?? noopLogger;
    this.#admission = new Admission(this.config.maxBufferedRecords, this.config.maxBufferedBytes);
    this.#instrumentation = new Instrumentation(options.metrics ?? noopMetrics, logger, () => ({
      records: this.#admission.records,
      bytes: this.#admission.bytes,
    }));
    this.#pipeline = new Pipeline({
      config: this.config,
      port,
      clock: this.#clock,
      backoff: exponentialBackoff({ ...this.config.backoff, random: options.random ?? Math.random }),
      underPressure: () => this.#admission.waiting > 0,
      hooks: {
        succeed: (members, at, attempt, aggregated) => this.#succeed(members, at, attempt, aggregated),
        fail: (record, error) => this.#fail(record, error),
        observer: this.#instrumentation,
        logger,
      },
    });
  }

  get state(): ProducerState {
    return this.#state;
  }

  /** User records accepted and not yet settled (buffered, in flight, or waiting to be retried). */
  get outstandingRecords(): number {
    return this.#admission.records;
  }

  /** Bytes (data + partition keys) of the outstanding records. */
  get outstandingBytes(): number {
    return this.#admission.bytes;
  }

  /** Puts waiting for buffer room (not yet accepted). */
  get waitingRecords(): number {
    return this.#admission.waiting;
  }

  /** Shard ids of the producer's current shard map (empty until the first ListShards answer). */
  get shardIds(): readonly string[] {
    return this.#pipeline.shardIds;
  }

  /**
   * Writes one record: waits for buffer room if needed, then resolves with where it was
   * written, or rejects with a PutRecordError carrying the record and every attempt.
   */
  put(record: PutRecordInput, options?: PutOptions): Promise<PutResult> {
    const slot = checkRecord(record, this.#recordCeiling);
    if (slot instanceof PutRecordError) return this.#refuse(slot);
    const size = slot.utf8Length + record.data.length;
    if (this.#state !== 'open') return this.#refuse(closedError(record));
    if (options?.signal?.aborted === true) return this.#refuse(abortedError(record, options.signal.reason));
    if (this.#admission.hasRoom(size)) return this.#accept(record, slot, size).result;
    // Waiting for room: the promise returned now is the record's own once it is accepted (no second promise, no extra hop).
    const promise: Promise<PutResult> = new Promise((resolve, reject) =>
      this.#waitForRoom(record, slot, size, options?.signal, noop, reject, (pending) => pending.adopt(promise, resolve, reject)),
    );
    return handled(promise);
  }

  /**
   * Resolves once the record is accepted into the buffer (backpressure), with a ticket whose
   * `result` settles when it is written. Rejects (record not accepted) when it is invalid, the
   * producer is closing, or `signal` aborts while it waits.
   */
  enqueue(record: PutRecordInput, options?: PutOptions): Promise<PutTicket> {
    const slot = checkRecord(record, this.#recordCeiling);
    if (slot instanceof PutRecordError) return this.#refuse(slot);
    const size = slot.utf8Length + record.data.length;
    if (this.#state !== 'open') return this.#refuse(closedError(record));
    if (options?.signal?.aborted === true) return this.#refuse(abortedError(record, options.signal.reason));
    if (!this.#admission.hasRoom(size)) {
      return handled(new Promise<PutTicket>((resolve, reject) => this.#waitForRoom(record, slot, size, options?.signal, resolve, reject)));
    }
    const ticket: PutTicket = this.#accept(record, slot, size);
    if (++this.#sinceTurn < ENQUEUE_YIELD_EVERY) return Promise.resolve(ticket);
    return new Promise<PutTicket>((resolve) =>
      setImmediate(() => {
        this.#sinceTurn = 0;
        resolve(ticket);
      }),
    );
  }

  /**
   * An object-mode Writable of records over this producer, for `stream.pipeline`: `write()`
   * returns false while the producer has no room, and the stream finishes when every record
   * written through it has settled. See ProducerWritable and docs/producer.md.
   */
  writable(options?: ProducerWritableOptions): ProducerWritable {
    return new ProducerWritable(this, options, (record, listener) => this.#offer(record, listener));
  }

  /** Sends everything accepted so far without waiting for buffering deadlines; resolves when all of it has settled. */
  flush(): Promise<void> {
    const remaining = this.#admission.records;
    if (remaining === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#barriers.push({
        limit: this.#sequence,
        remaining,
        resolve: () => {
          this.#pipeline.endFlush();
          resolve();
        },
      });
      this.#pipeline.beginFlush();
    });
  }

  /**
   * Refuses new puts (PRODUCER_CLOSED, also for puts still waiting for room), flushes and waits
   * until every accepted record has settled, then stops. If `signal` aborts first, records not
   * yet settled fail with ABORTED. Calling it again returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#transition('closing');
    this.#admission.refuseAll();
    const { signal } = options;
    const abandon = (): void =>
      this.#pipeline.abandon(
        (record) =>
          new PutRecordError('ABORTED', 'close() was aborted before the record was written', {
            record: record.input,
            attempts: [...(record.attempts ?? [])],
            causeCode: record.attempts?.at(-1)?.errorCode ?? 'ABORTED',
            cause: signal?.reason,
          }),
      );
    if (signal?.aborted === true) abandon();
    else signal?.addEventListener('abort', abandon, { once: true });
    this.#closing = this.flush().then(() => {
      signal?.removeEventListener('abort', abandon);
      this.#pipeline.stop();
      this.#ownedClient?.destroy();
      this.#transition('closed');
    });
    return this.#closing;
  }

  on<K extends keyof ProducerEventMap>(event: K, listener: (...args: ProducerEventMap[K]) => void): this {
    (this.#instrumentation.emitter.on as (event: K, listener: (...args: ProducerEventMap[K]) => void) => unknown)(event, listener);
    return this;
  }

  off<K extends keyof ProducerEventMap>(event: K, listener: (...args: ProducerEventMap[K]) => void): this {
    (this.#instrumentation.emitter.off as (event: K, listener: (...args: ProducerEventMap[K]) => void) => unknown)(event, listener);
    return this;
  }

  /**
   * The writable's fast path: accepts the record at once, with `listener` told when it settles,
   * or returns why not: its error, or undefined (no room, or a macrotask turn is due: then the
   * writable goes through enqueue(), which waits for either).
   */
  #offer(record: PutRecordInput, listener: SettleListener): PendingRecord | PutRecordError | undefined {
    const slot = checkRecord(record, this.#recordCeiling);
    if (slot instanceof PutRecordError) {
      this.#instrumentation.recordFailed(slot);
      return slot;
    }
    const size = slot.utf8Length + record.data.length;
    if (this.#state !== 'open' || !this.#admission.hasRoom(size) || this.#sinceTurn + 1 >= ENQUEUE_YIELD_EVERY) return undefined;
    this.#sinceTurn++;
    return this.#accept(record, slot, size, listener);
  }

  #accept(record: PutRecordInput, slot: KeySlot, size: number, listener?: SettleListener, adopt?: (pending: PendingRecord) => void): PendingRecord {
    const now = this.#clock.now();
    const intake = (this.#intake = this.#intake.at(now));
    const pending = new PendingRecord(record, slot, record.explicitHashKey, record.data, intake, now, ++this.#sequence);
    pending.listener = listener;
    adopt?.(pending); // before the pipeline sees it: it may settle at once (too large for the stream)
    this.#admission.take(size);
    this.#pipeline.add(pending);
    return pending;
  }

  /**
   * Queues a record until there is room (or the producer closes, or `signal` aborts). Once it is
   * accepted, `adopt` (if given) runs before the pipeline sees it, then `accepted`.
   */
  #waitForRoom(
    record: PutRecordInput,
    slot: KeySlot,
    size: number,
    signal: AbortSignal | undefined,
    accepted: (pending: PendingRecord) => void,
    refused: (error: PutRecordError) => void,
    adopt?: (pending: PendingRecord) => void,
  ): void {
    const refuse = (error: PutRecordError): void => {
      this.#instrumentation.recordFailed(error);
      refused(error);
    };
    const onAbort = (): void => {
      if (cancel()) refuse(abortedError(record, signal?.reason));
    };
    const cancel = this.#admission.wait(
      size,
      () => {
        signal?.removeEventListener('abort', onAbort);
        accepted(this.#accept(record, slot, size, undefined, adopt));
      },
      () => {
        signal?.removeEventListener('abort', onAbort);
        refuse(closedError(record));
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (this.#admission.waiting === 1) this.#pipeline.pump(); // the buffer just filled: stop waiting for deadlines
  }

  #succeed(members: readonly PendingRecord[], at: WrittenAt, attempt: Attempt, aggregated: boolean): void {
    let records = 0;
    let bytes = 0;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (member.settled) continue;
      member.attempts?.push(attempt);
      member.written(at, aggregated ? i : 0);
      records++;
      bytes += member.size;
      if (this.#barriers.length > 0) this.#passBarriers(member.sequence);
    }
    if (records > 0) this.#admission.releaseMany(records, bytes);
  }

  #fail(record: PendingRecord, error: PutRecordError): void {
    if (record.settled) return;
    record.failed(error); // never an unhandled rejection, awaited or not
    this.#admission.release(record.size);
    if (this.#barriers.length > 0) this.#passBarriers(record.sequence);
    this.#instrumentation.recordFailed(error);
  }

  #passBarriers(sequence: number): void {
    const barriers = this.#barriers;
    for (let i = 0; i < barriers.length; ) {
      const barrier = barriers[i]!;
      if (sequence <= barrier.limit && --barrier.remaining === 0) {
        barriers.splice(i, 1);
        barrier.resolve();
      } else {
        i++;
      }
    }
  }

  /** A put refused before acceptance: rejected, reported, and never an unhandled rejection. */
  #refuse(error: PutRecordError): Promise<never> {
    this.#instrumentation.recordFailed(error);
    return handled(Promise.reject(error));
  }

  #transition(to: ProducerState): void {
    const from = this.#state;
    if (!canTransition(from, to)) throw new Error(`KinesisProducer: illegal state transition ${from} -> ${to}`);
    this.#state = to;
    this.#instrumentation.emit('stateChange', { from, to });
  }
}

/** Marks a promise as handled (its rejection still reaches whoever awaits it) and returns it. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

function checkDependencies(options: KinesisProducerOptions): void {
  const problems: string[] = [];
  const { streamName, streamARN, kinesisClient, clientConfig, writePort, clock, random, logger, metrics } = options;
  const named = typeof streamName === 'string' && streamName.length > 0;
  const arn = typeof streamARN === 'string' && streamARN.length > 0;
  if (named === arn) problems.push('exactly one of streamName and streamARN must be a non-empty string');
  if (kinesisClient !== undefined && typeof (kinesisClient as { send?: unknown }).send !== 'function') problems.push('kinesisClient must be an AWS SDK v3 KinesisClient');
  if (writePort !== undefined && (typeof writePort.putRecords !== 'function' || typeof writePort.listShards !== 'function')) problems.push('writePort must have putRecords and listShards');
  if (writePort !== undefined && kinesisClient !== undefined) problems.push('give kinesisClient or writePort, not both');
  if (clientConfig !== undefined && (kinesisClient !== undefined || writePort !== undefined)) problems.push('clientConfig only applies to the client the producer creates itself');
  if (clock !== undefined && (typeof clock.now !== 'function' || typeof clock.sleep !== 'function')) problems.push('clock must have now() and sleep()');
  if (random !== undefined && typeof random !== 'function') problems.push('random must be a function');
  if (logger !== undefined && ['debug', 'info', 'warn', 'error'].some((m) => typeof (logger as unknown as Record<string, unknown>)[m] !== 'function')) problems.push('logger must have debug, info, warn and error');
  if (metrics !== undefined && ['count', 'gauge', 'timing'].some((m) => typeof (metrics as unknown as Record<string, unknown>)[m] !== 'function')) problems.push('metrics must have count, gauge and timing');
  if (problems.length > 0) throw new ConfigurationError(`invalid KinesisProducer options: ${problems.join('; ')}`);
}
