import { KinesisKitError } from '@kinesis-kit/core';
import type { Position } from './position.js';

function describe(position: Position): string {
  return position.subSequenceNumber === 0 ? position.sequenceNumber : `${position.sequenceNumber}/${position.subSequenceNumber}`;
}

/**
 * This worker no longer holds the shard's lease (another worker took it, or this shard consumer
 * has finished and the lease was released). Nothing was written; the new owner resumes from
 * the lease's last checkpoint. Not retriable: stop processing the shard.
 */
export class LeaseLostError extends KinesisKitError {
  readonly shardId: string;

  constructor(shardId: string, message = `lease for ${shardId} is no longer held by this worker`) {
    super('LEASE_LOST', message, { retriable: false });
    this.shardId = shardId;
  }
}

/**
 * A checkpoint target before the last checkpoint, after the last delivered record, or not a
 * sequence number at all. Nothing was written.
 */
export class InvalidCheckpointError extends KinesisKitError {
  readonly shardId: string;

  constructor(shardId: string, message: string) {
    super('INVALID_CHECKPOINT', `${shardId}: ${message}`, { retriable: false });
    this.shardId = shardId;
  }

  static outOfRange(shardId: string, target: Position, lastCheckpoint: Position, largestPermitted: Position): InvalidCheckpointError {
    return new InvalidCheckpointError(
      shardId,
      `checkpoint ${describe(target)} is outside [${describe(lastCheckpoint)}, ${describe(largestPermitted)}] (last checkpoint, last delivered record)`,
    );
  }
}

/**
 * The processor returned from shardEnded without checkpointing SHARD_END. The shard is not
 * finished: its children stay blocked and the lease layer retries the shard (the processor's
 * shardEnded is called again). Retriable in that sense.
 */
export class ShardEndNotCheckpointedError extends KinesisKitError {
  readonly shardId: string;

  constructor(shardId: string, cause?: unknown) {
    super(
      'SHARD_END_NOT_CHECKPOINTED',
      `${shardId} ended but the processor did not call checkpointer.checkpoint() in shardEnded; ` +
        'its child shards stay blocked until it does (the shard will be retried)',
      { retriable: true, cause },
    );
    this.shardId = shardId;
  }
}

/** The processor's initialize threw: the shard consumer did not start. The lease layer may retry the shard. */
export class ProcessorFailedError extends KinesisKitError {
  readonly shardId: string;

  constructor(shardId: string, phase: 'initialize', cause: unknown) {
    super('PROCESSOR_FAILED', `${shardId}: the processor's ${phase} threw: ${cause instanceof Error ? cause.message : String(cause)}`, {
      retriable: true,
      cause,
    });
    this.shardId = shardId;
  }
}
