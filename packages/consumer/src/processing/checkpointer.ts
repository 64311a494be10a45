import type { Clock, Dimensions, Metrics } from '@kinesis-kit/core';
import { InvalidCheckpointError, LeaseLostError } from '../errors.js';
import { comparePositions, isSequenceNumber, SHARD_END, type Position } from '../position.js';
import type { Checkpointer } from '../processor.js';
import type { LeaseHandle } from './contracts.js';
import { PROCESSING_METRICS } from './metric-names.js';

export interface CheckpointerHooks {
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Told when a write found the lease gone (the consumer then stops as for leaseLost()). */
  readonly onLeaseLost: () => void;
  /** Told after every successful write. */
  readonly onCheckpointed: (position: Position, latencyMs: number) => void;
}

type Target = string | { readonly sequenceNumber: string; readonly subSequenceNumber: number } | undefined;

/**
 * The Checkpointer handed to one shard's processor. Writes go through the LeaseHandle one at a
 * time, in call order, each validated when its turn comes: not before the last checkpoint, not
 * after the largest delivered position (SHARD_END once the shard has ended). A call without a
 * target means "everything delivered so far", resolved when the call is made.
 */
export class ShardCheckpointer implements Checkpointer {
  readonly #dimensions: Dimensions;
  #lastCheckpoint: Position;
  #largestDelivered: Position;
  #shardEnded = false;
  /** Why checkpoints are refused, once the lease is lost or the consumer has finished. */
  #refusal: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly leaseHandle: LeaseHandle,
    startingPosition: Position,
    private readonly hooks: CheckpointerHooks,
  ) {
    this.#dimensions = { shardId: leaseHandle.shardId };
    this.#lastCheckpoint = startingPosition;
    this.#largestDelivered = startingPosition;
  }

  get lastCheckpoint(): Position {
    return this.#lastCheckpoint;
  }

  /** Records handed to processRecords may now be checkpointed, up to `position`. */
  delivered(position: Position): void {
    if (comparePositions(position, this.#largestDelivered) > 0) {
      // A copy: the record itself (and its data) must not outlive the batch through the checkpointer.
      this.#largestDelivered = { sequenceNumber: position.sequenceNumber, subSequenceNumber: position.subSequenceNumber };
    }
  }

  /**
   * The records delivered after `position` were given up (their processRecords failed and will
   * not be retried here): `checkpoint()` must not mark them processed.
   */
  withdrawDeliveredAfter(position: Position): void {
    const floor = comparePositions(position, this.#lastCheckpoint) > 0 ? position : this.#lastCheckpoint;
    if (comparePositions(floor, this.#largestDelivered) < 0) this.#largestDelivered = floor;
  }

  get largestDelivered(): Position {
    return this.#largestDelivered;
  }

  /** The shard is fully read: `checkpoint()` now writes SHARD_END. */
  shardEnded(): void {
    this.#shardEnded = true;
  }

  /** Settles once every checkpoint asked for so far has been written or refused. */
  drain(): Promise<void> {
    return this.#queue.then(() => undefined);
  }

  /** Refuse every later call with LeaseLostError (the lease is lost, or released after shutdown). */
  refuse(reason: string): void {
    this.#refusal ??= reason;
  }

  checkpoint(): Promise<void>;
  checkpoint(record: { readonly sequenceNumber: string; readonly subSequenceNumber: number }): Promise<void>;
  checkpoint(sequenceNumber: string, subSequenceNumber?: number): Promise<void>;
  checkpoint(target?: Target, subSequenceNumber?: number): Promise<void> {
    let position: Position;
    try {
      position = this.#resolve(target, subSequenceNumber);
    } catch (error) {
      return Promise.reject(error);
    }
    const write = this.#queue.then(() => this.#write(position));
    this.#queue = write.catch(() => undefined);
    return write;
  }

  #largestPermitted(): Position {
    return this.#shardEnded ? SHARD_END : this.#largestDelivered;
  }

  #resolve(target: Target, subSequenceNumber: number | undefined): Position {
    const shardId = this.leaseHandle.shardId;
    if (target === undefined) return this.#largestPermitted();
    const sequenceNumber = typeof target === 'string' ? target : target.sequenceNumber;
    const sub = typeof target === 'string' ? (subSequenceNumber ?? 0) : target.subSequenceNumber;
    if (typeof sequenceNumber !== 'string' || !isSequenceNumber(sequenceNumber)) {
      throw new InvalidCheckpointError(shardId, `${String(sequenceNumber)} is not a sequence number (use checkpoint() for SHARD_END)`);
    }
    if (!Number.isSafeInteger(sub) || sub < 0) {
      throw new InvalidCheckpointError(shardId, `sub-sequence number ${String(sub)} is not a non-negative integer`);
    }
    return { sequenceNumber, subSequenceNumber: sub };
  }

  async #write(target: Position): Promise<void> {
    const shardId = this.leaseHandle.shardId;
    if (this.#refusal !== undefined) throw new LeaseLostError(shardId, `${shardId}: ${this.#refusal}; checkpoint not written`);
    const largest = this.#largestPermitted();
    if (comparePositions(target, this.#lastCheckpoint) < 0 || comparePositions(target, largest) > 0) {
      throw InvalidCheckpointError.outOfRange(shardId, target, this.#lastCheckpoint, largest);
    }
    const startedAt = this.hooks.clock.now();
    const result = await this.leaseHandle.checkpoint(target);
    const latencyMs = this.hooks.clock.now() - startedAt;
    this.hooks.metrics.timing(PROCESSING_METRICS.checkpointTime, latencyMs, this.#dimensions);
    if (result === 'leaseLost') {
      this.hooks.metrics.count(PROCESSING_METRICS.checkpointLeaseLost, 1, this.#dimensions);
      this.refuse('the lease was lost (found by a checkpoint)');
      this.hooks.onLeaseLost();
      throw new LeaseLostError(shardId, `${shardId}: the lease was taken by another worker; checkpoint not written`);
    }
    this.#lastCheckpoint = target;
    this.hooks.onCheckpointed(target, latencyMs);
  }
}
