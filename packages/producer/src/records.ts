import type { KeySlot, UserRecord } from '@kinesis-kit/aggregation';
import type { Attempt } from '@kinesis-kit/core';
import type { PutResult, PutRecordInput, PutTicket } from './types.js';
import type { PutRecordError } from './errors.js';

/** The resolving functions of the promise being built: one shared executor, no closure per record. */
const captured: { resolve?: (result: PutResult) => void; reject?: (error: PutRecordError) => void } = {};
function capture(resolve: (result: PutResult) => void, reject: (error: PutRecordError) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}
const noop = (): void => undefined;

/** Told when a record settles, instead of through a promise (how a ProducerWritable follows its records). */
export interface SettleListener {
  recordSettled(record: PendingRecord, error: PutRecordError | undefined): void;
}

/**
 * One accepted user record until it settles, and the ticket enqueue() hands out for it. It is
 * itself the UserRecord handed to the aggregator (the fields are copied from the caller's
 * object once, at put). Its promise is created only when someone asks for `result` (put()
 * always does; an enqueue() caller that drops the ticket never pays for one), and a failure is
 * never an unhandled rejection: the promise gets a no-op handler before it is rejected.
 */
export class PendingRecord implements UserRecord, PutTicket {
  readonly partitionKey: string;
  /** The partition key's entry in the shared key cache (UTF-8 length, hash key, aggregate slot, route). */
  readonly keySlot: KeySlot;
  readonly explicitHashKey: string | undefined;
  readonly data: Uint8Array;
  /** The caller's object, handed back in PutRecordError. */
  readonly input: PutRecordInput;
  /** Bytes counted against the Kinesis limits and the buffer: data + UTF-8 partition key. */
  readonly size: number;
  /** Clock time when the record was accepted into the buffer. */
  readonly acceptedAt: number;
  /** Clock time after which it fails with EXPIRED. */
  readonly expiresAt: number;
  /** Position in put order, for flush(). */
  readonly sequence: number;
  /** Failed attempts so far (undefined until the first failure). */
  attempts: Attempt[] | undefined = undefined;
  settled = false;
  /** Told when it settles (no promise needed). */
  listener: SettleListener | undefined = undefined;
  #promise: Promise<PutResult> | undefined = undefined;
  #resolve: ((result: PutResult) => void) | undefined = undefined;
  #reject: ((error: PutRecordError) => void) | undefined = undefined;
  /** The failure, kept only while nobody holds the promise. */
  #error: PutRecordError | undefined = undefined;
  /** Where it was written, kept only while nobody holds the promise (a PutResult is built on demand). */
  #shardId = '';
  #sequenceNumber = '';
  #subSequenceNumber = 0;
  #okAttempts: readonly Attempt[] | undefined = undefined;

  constructor(
    input: PutRecordInput,
    keySlot: KeySlot,
    explicitHashKey: string | undefined,
    data: Uint8Array,
    size: number,
    acceptedAt: number,
    ttl: number,
    sequence: number,
  ) {
    this.partitionKey = keySlot.partitionKey;
    this.keySlot = keySlot;
    this.explicitHashKey = explicitHashKey;
    this.data = data;
    this.input = input;
    this.size = size;
    this.acceptedAt = acceptedAt;
    this.expiresAt = acceptedAt + ttl;
    this.sequence = sequence;
  }

  /** Settles when the record is written or fails for good. */
  get result(): Promise<PutResult> {
    if (this.#promise === undefined) {
      const error = this.#error;
      if (!this.settled) {
        this.#promise = new Promise<PutResult>(capture);
        this.#resolve = captured.resolve;
        this.#reject = captured.reject;
      } else if (error !== undefined) {
        this.#promise = Promise.reject(error);
        this.#promise.catch(noop);
        this.#error = undefined;
      } else {
        this.#promise = Promise.resolve(this.#putResult());
        this.#okAttempts = undefined;
      }
    }
    return this.#promise;
  }

  /** Failed attempts so far. */
  get failures(): number {
    return this.attempts === undefined ? 0 : this.attempts.length;
  }

  addAttempt(attempt: Attempt): void {
    if (this.attempts === undefined) this.attempts = [attempt];
    else this.attempts.push(attempt);
  }

  /** Settles as written (the caller checked `settled`). */
  written(shardId: string, sequenceNumber: string, subSequenceNumber: number, attempts: readonly Attempt[]): void {
    this.settled = true;
    this.#shardId = shardId;
    this.#sequenceNumber = sequenceNumber;
    this.#subSequenceNumber = subSequenceNumber;
    this.#okAttempts = attempts;
    this.listener?.recordSettled(this, undefined);
    const resolve = this.#resolve;
    if (resolve === undefined) return; // nobody holds the promise: no PutResult is built
    this.#resolve = this.#reject = undefined;
    this.#okAttempts = undefined;
    resolve({ shardId, sequenceNumber, subSequenceNumber, attempts });
  }

  /** Where it was written, once it was (for a listener; the promise holder gets its own). */
  putResult(): PutResult {
    return this.#putResult();
  }

  #putResult(): PutResult {
    return { shardId: this.#shardId, sequenceNumber: this.#sequenceNumber, subSequenceNumber: this.#subSequenceNumber, attempts: this.#okAttempts! };
  }

  /** Settles as failed (the caller checked `settled`). */
  failed(error: PutRecordError): void {
    this.settled = true;
    this.listener?.recordSettled(this, error);
    if (this.#reject === undefined) {
      this.#error = error;
      return;
    }
    this.#promise!.catch(noop);
    this.#reject(error);
    this.#resolve = this.#reject = undefined;
  }
}
