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
 * Where the members of one Kinesis record were written: built once per record in an answer and
 * shared by all its members, so settling a member as written allocates nothing.
 */
export interface WrittenAt {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The attempts of a member that never failed before: this one success. */
  readonly firstTry: readonly Attempt[];
}

/** #index while pending, and once failed; written: the subsequence number (>= 0). */
const PENDING = -1;
const FAILED = -2;

/**
 * Offsets from an intake's epoch stay below this, so they are small integers (V8 stores a
 * number field that is not one in a separate 16-byte object: two per record, tens of thousands
 * of records held, each copied by every young-generation GC they survive).
 */
const MAX_OFFSET_MS = 2 ** 30;

/**
 * The time base and TTL of the records a producer accepts: each record stores its acceptance
 * time as whole milliseconds after `epoch`. Renewed (a new epoch) before offsets grow large;
 * records keep the intake they were accepted under.
 */
export class Intake {
  readonly epoch: number;
  readonly ttl: number;

  constructor(now: number, ttl: number) {
    this.epoch = Math.floor(now);
    this.ttl = ttl;
  }

  /** This intake, or a new one when `now` is too far past its epoch. */
  at(now: number): Intake {
    return now - this.epoch < MAX_OFFSET_MS ? this : new Intake(now, this.ttl);
  }
}

/**
 * One accepted user record until it settles, and the ticket enqueue() hands out for it. It is
 * itself the UserRecord handed to the aggregator (the fields are copied from the caller's
 * object once, at put). It is held from acceptance until its request is answered, tens of
 * thousands at a time, so it is kept small: its size and partition key are read through its key
 * slot, and what it settled with is one shared WrittenAt (or the error) until someone asks for
 * `result`. Its promise is created only then (put() always asks; an enqueue() caller that drops
 * the ticket never pays for one), and a failure is never an unhandled rejection: the promise
 * gets a no-op handler before it is rejected.
 */
export class PendingRecord implements UserRecord, PutTicket {
  /** The partition key's entry in the shared key cache (key, UTF-8 length, hash key, aggregate slot, route). */
  readonly keySlot: KeySlot;
  readonly explicitHashKey: string | undefined;
  readonly data: Uint8Array;
  /** The caller's object, handed back in PutRecordError. */
  readonly input: PutRecordInput;
  readonly intake: Intake;
  /** Acceptance time, in whole milliseconds after intake.epoch (see Intake). */
  readonly #accepted: number;
  /** Position in put order, for flush(). */
  readonly sequence: number;
  /** Failed attempts so far (undefined until the first failure). */
  attempts: Attempt[] | undefined = undefined;
  /** Told when it settles (no promise needed). */
  listener: SettleListener | undefined = undefined;
  /** PENDING, FAILED, or written: its subsequence number. */
  #index = PENDING;
  /** Written: where; failed: the error (until someone asks for the result). Undefined while pending. */
  #outcome: WrittenAt | PutRecordError | undefined = undefined;
  /** The promise handed out by `result`, if anyone asked, and (until it settles) its resolving functions. */
  #promise: Promise<PutResult> | undefined = undefined;
  #resolve: ((result: PutResult) => void) | undefined = undefined;
  #reject: ((error: PutRecordError) => void) | undefined = undefined;

  /** `intake` must be `intake.at(now)` for the `now` given. */
  constructor(input: PutRecordInput, keySlot: KeySlot, explicitHashKey: string | undefined, data: Uint8Array, intake: Intake, now: number, sequence: number) {
    this.keySlot = keySlot;
    this.explicitHashKey = explicitHashKey;
    this.data = data;
    this.input = input;
    this.intake = intake;
    this.#accepted = Math.floor(now) - intake.epoch;
    this.sequence = sequence;
  }

  /** Clock time when the record was accepted into the buffer, to the millisecond below. */
  get acceptedAt(): number {
    return this.intake.epoch + this.#accepted;
  }

  /** Clock time after which it fails with EXPIRED: acceptedAt + recordTtl. */
  get expiresAt(): number {
    const intake = this.intake;
    return intake.epoch + this.#accepted + intake.ttl;
  }

  get partitionKey(): string {
    return this.keySlot.partitionKey;
  }

  /** Bytes counted against the Kinesis limits and the buffer: data + UTF-8 partition key. */
  get size(): number {
    return this.keySlot.utf8Length + this.data.length;
  }

  get settled(): boolean {
    return this.#index !== PENDING;
  }

  /** Settles when the record is written or fails for good. */
  get result(): Promise<PutResult> {
    if (this.#promise !== undefined) return this.#promise;
    if (this.#index === PENDING) {
      this.#promise = new Promise<PutResult>(capture);
      this.#resolve = captured.resolve;
      this.#reject = captured.reject;
    } else {
      this.#promise = this.#index === FAILED ? Promise.reject(this.#outcome as PutRecordError) : Promise.resolve(this.putResult());
      this.#promise.catch(noop);
    }
    return this.#promise;
  }

  /**
   * Settles through `promise` (built, with its resolving functions, before the record was
   * accepted: a put() that waited for room). Only before it settles and before `result` was read.
   */
  adopt(promise: Promise<PutResult>, resolve: (result: PutResult) => void, reject: (error: PutRecordError) => void): void {
    this.#promise = promise;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Failed attempts so far. */
  get failures(): number {
    return this.attempts === undefined ? 0 : this.attempts.length;
  }

  addAttempt(attempt: Attempt): void {
    if (this.attempts === undefined) this.attempts = [attempt];
    else this.attempts.push(attempt);
  }

  /**
   * Settles as written at `at`, as member `index` of its Kinesis record (the caller checked
   * `settled`, and appended the successful attempt to `attempts` if it had any).
   */
  written(at: WrittenAt, index: number): void {
    this.#index = index;
    this.#outcome = at;
    this.listener?.recordSettled(this, undefined);
    const resolve = this.#resolve;
    if (resolve === undefined) return; // nobody holds the promise: no PutResult is built
    this.#resolve = this.#reject = undefined;
    resolve(this.putResult());
  }

  /** Where it was written, once it was (for a listener; the promise holder gets its own). */
  putResult(): PutResult {
    const at = this.#outcome as WrittenAt;
    return { shardId: at.shardId, sequenceNumber: at.sequenceNumber, subSequenceNumber: this.#index, attempts: this.attempts ?? at.firstTry };
  }

  /** Settles as failed (the caller checked `settled`). */
  failed(error: PutRecordError): void {
    this.#index = FAILED;
    this.listener?.recordSettled(this, error);
    const reject = this.#reject;
    if (reject === undefined) {
      this.#outcome = error;
      return;
    }
    this.#resolve = this.#reject = undefined;
    this.#promise!.catch(noop);
    reject(error);
  }
}
