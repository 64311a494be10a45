import { Writable } from 'node:stream';
import { ConfigurationError } from '@kinesis-kit/core';
import { PutRecordError } from './errors.js';
import type { PendingRecord, SettleListener } from './records.js';
import type { PutRecordInput, PutResult, PutTicket } from './types.js';

/** What a producer writable needs of the producer: acceptance with backpressure. */
export interface Enqueuer {
  enqueue(record: PutRecordInput, options?: { readonly signal?: AbortSignal }): Promise<PutTicket>;
}

/**
 * The producer's synchronous way in (producer.writable() passes it): accepts a record at once,
 * `listener` told when it settles, or returns its error, or undefined to go through enqueue().
 */
export type Offer = (record: PutRecordInput, listener: SettleListener) => PendingRecord | PutRecordError | undefined;

export interface ProducerWritableOptions {
  /**
   * Records the stream itself holds before `write()` returns false (Node's object-mode
   * highWaterMark). The producer's own buffer (maxBufferedRecords / maxBufferedBytes) comes on
   * top: a record leaves the stream only once the producer has accepted it. Default 16.
   */
  readonly highWaterMark?: number;
  /**
   * What a record that fails for good does to the stream:
   * - `'destroy'` (default): the stream is destroyed with that PutRecordError, so
   *   `stream.pipeline` rejects with it. Records accepted before it are still written.
   * - `'emit'`: the stream emits `'recordError'` with the PutRecordError and carries on.
   */
  readonly onRecordError?: 'destroy' | 'emit';
}

const DEFAULT_HIGH_WATER_MARK = 16;

/** Events of a ProducerWritable besides the ones of every Writable. */
export interface ProducerWritableEvents {
  /** A record written (only with a listener attached: nothing is allocated otherwise). */
  result: [result: PutResult, record: PutRecordInput];
  /** A record that failed for good (`onRecordError: 'emit'`). */
  recordError: [error: PutRecordError];
}

/**
 * An object-mode Writable of PutRecordInput over a KinesisProducer, with the Node backpressure
 * contract: `write()` returns false while the producer has no room, and `'drain'` follows. The
 * stream finishes only when every record written through it has settled (written or failed),
 * so `await pipeline(source, producer.writable())` means everything is durably in the stream.
 * The producer is not closed: several writables, and direct puts, can share one producer.
 */
export class ProducerWritable extends Writable {
  /** Records written through this stream and settled as written. */
  written = 0;
  /** Records that failed for good. */
  failed = 0;
  readonly #producer: Enqueuer;
  readonly #offer: Offer | undefined;
  /**
   * Follows the records accepted through the fast path (no promise per record). It is called
   * from inside the producer's answer handling, so it only queues: the records are counted, and
   * events emitted, in one microtask afterwards, never inside the producer's own callbacks.
   */
  readonly #listener: SettleListener = {
    recordSettled: (record, error) => {
      this.#settledRecords.push(record);
      this.#settledErrors.push(error);
      if (this.#settledRecords.length === 1) queueMicrotask(this.#drainSettled);
    },
  };
  #settledRecords: PendingRecord[] = [];
  #settledErrors: (PutRecordError | undefined)[] = [];
  readonly #drainSettled = (): void => {
    const records = this.#settledRecords;
    const errors = this.#settledErrors;
    this.#settledRecords = [];
    this.#settledErrors = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const error = errors[i];
      this.#settled(error === undefined ? record : undefined, record.input, error);
    }
  };
  readonly #mode: 'destroy' | 'emit';
  readonly #abort = new AbortController();
  #unsettled = 0;
  #whenSettled: (() => void) | undefined;

  /** `offer`: the producer's fast path, given by producer.writable(); without it every record goes through enqueue(). */
  constructor(producer: Enqueuer, options: ProducerWritableOptions = {}, offer?: Offer) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!Number.isInteger(highWaterMark) || highWaterMark < 1) throw new ConfigurationError(`highWaterMark must be an integer >= 1, got ${String(highWaterMark)}`);
    const mode = options.onRecordError ?? 'destroy';
    if (mode !== 'destroy' && mode !== 'emit') throw new ConfigurationError(`onRecordError must be 'destroy' or 'emit', got ${String(mode)}`);
    super({ objectMode: true, highWaterMark });
    this.#producer = producer;
    this.#offer = offer;
    this.#mode = mode;
  }

  /** Records accepted by the producer through this stream and not settled yet. */
  get unsettled(): number {
    return this.#unsettled;
  }

  override _write(record: PutRecordInput, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const offered = this.#offer?.(record, this.#listener);
    if (offered instanceof PutRecordError) return callback(this.#failure(offered));
    if (offered !== undefined) {
      this.#unsettled++;
      return callback();
    }
    this.#producer.enqueue(record, { signal: this.#abort.signal }).then(
      (ticket) => {
        this.#unsettled++;
        ticket.result.then(
          (result) => this.#settled({ putResult: () => result }, record),
          (error: unknown) => this.#settled(undefined, record, error),
        );
        callback();
      },
      // Not accepted (invalid record, producer closed, stream destroyed while waiting for room).
      (error: unknown) => callback(this.#failure(error)),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#unsettled === 0) return callback();
    this.#whenSettled = () => callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort(error ?? new Error('the writable was destroyed'));
    this.#whenSettled = undefined;
    callback(error);
  }

  /** `written` is undefined when the record failed; its PutResult is built only for a 'result' listener. */
  #settled(written: { putResult(): PutResult } | undefined, record: PutRecordInput, error?: unknown): void {
    this.#unsettled--;
    if (written !== undefined) {
      this.written++;
      if (this.listenerCount('result') > 0) this.emit('result', written.putResult(), record);
    } else {
      const failure = this.#failure(error);
      if (failure !== null) this.destroy(failure);
    }
    if (this.#unsettled === 0) this.#whenSettled?.();
  }

  /** Counts a failure; the error that must end the stream (mode 'destroy'), or null to carry on. */
  #failure(error: unknown): PutRecordError | null {
    if (this.destroyed) return null;
    this.failed++;
    const failure = error instanceof PutRecordError ? error : asPutRecordError(error);
    if (this.#mode === 'destroy') return failure;
    this.emit('recordError', failure);
    return null;
  }
}

function asPutRecordError(error: unknown): PutRecordError {
  return new PutRecordError('INTERNAL_ERROR', `unexpected failure: ${String(error)}`, { record: { partitionKey: '', data: new Uint8Array() }, cause: error });
}
