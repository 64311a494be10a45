import type { UserRecord } from '@kinesis-kit/aggregation';
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

/**
 * One accepted user record until it settles, and the ticket enqueue() hands out for it. It is
 * itself the UserRecord handed to the aggregator (the fields are copied from the caller's
 * object once, at put). Its promise is created only when someone asks for `result` (put()
 * always does; an enqueue() caller that drops the ticket never pays for one), and a failure is
 * never an unhandled rejection: the promise gets a no-op handler before it is rejected.
 */
export class PendingRecord implements UserRecord, PutTicket {
  readonly partitionKey: string;
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
  #promise: Promise<PutResult> | undefined = undefined;
  #resolve: ((result: PutResult) => void) | undefined = undefined;
  #reject: ((error: PutRecordError) => void) | undefined = undefined;
  /** The outcome, kept only while nobody holds the promise. */
  #outcome: PutResult | PutRecordError | undefined = undefined;

  constructor(
    input: PutRecordInput,
    partitionKey: string,
    explicitHashKey: string | undefined,
    data: Uint8Array,
    size: number,
    acceptedAt: number,
    ttl: number,
    sequence: number,
  ) {
    this.partitionKey = partitionKey;
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
      const outcome = this.#outcome;
      if (!this.settled) {
        this.#promise = new Promise<PutResult>(capture);
        this.#resolve = captured.resolve;
        this.#reject = captured.reject;
      } else if (outcome instanceof Error) {
        this.#promise = Promise.reject(outcome);
        this.#promise.catch(noop);
      } else {
        this.#promise = Promise.resolve(outcome!);
      }
      this.#outcome = undefined;
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
    const result: PutResult = { shardId, sequenceNumber, subSequenceNumber, attempts };
    if (this.#resolve === undefined) {
      this.#outcome = result;
      return;
    }
    this.#resolve(result);
    this.#resolve = this.#reject = undefined;
  }

  /** Settles as failed (the caller checked `settled`). */
  failed(error: PutRecordError): void {
    this.settled = true;
    if (this.#reject === undefined) {
      this.#outcome = error;
      return;
    }
    this.#promise!.catch(noop);
    this.#reject(error);
    this.#resolve = this.#reject = undefined;
  }
}
