import { KinesisKitError } from '@kinesis-kit/core';

/**
 * The shard consumer's lifecycle as a table of legal transitions. Each state names what the
 * consumer is doing; the processor call it makes there is in brackets.
 *
 *   created -> initializing -> processing -> recordingChildShards -> shardEnding -> finished
 *                    |             |                 |                     [shardEnded]
 *                    +-------------+-----------------+-> shuttingDown [shutdownRequested] -> finished
 *                                                    +-> losingLease [leaseLost] -------> finished
 *
 * Exactly one of shardEnding, losingLease and shuttingDown is entered per consumer, so the
 * processor gets exactly one of shardEnded, leaseLost and shutdownRequested after initialize
 * (none when initialize itself failed, or when the lease was already at SHARD_END).
 */
export type ShardConsumerState =
  | 'created'
  | 'initializing'
  | 'processing'
  | 'recordingChildShards'
  | 'shardEnding'
  | 'shuttingDown'
  | 'losingLease'
  | 'finished';

export const SHARD_CONSUMER_TRANSITIONS: Readonly<Record<ShardConsumerState, readonly ShardConsumerState[]>> = {
  // finished at once: the lease was already at SHARD_END (nothing to read).
  created: ['initializing', 'finished'],
  // finished: initialize threw.
  initializing: ['processing', 'shuttingDown', 'losingLease', 'finished'],
  processing: ['recordingChildShards', 'shuttingDown', 'losingLease'],
  // shuttingDown: recording the children failed (the processor still gets its final call).
  recordingChildShards: ['shardEnding', 'shuttingDown', 'losingLease'],
  shardEnding: ['finished'],
  shuttingDown: ['finished'],
  losingLease: ['finished'],
  finished: [],
};

export function isLegalTransition(from: ShardConsumerState, to: ShardConsumerState): boolean {
  return SHARD_CONSUMER_TRANSITIONS[from].includes(to);
}

/** A transition the table does not allow: a bug in the shard consumer, never a runtime condition. */
export class IllegalTransitionError extends KinesisKitError {
  constructor(
    readonly from: ShardConsumerState,
    readonly to: ShardConsumerState,
  ) {
    super('ILLEGAL_TRANSITION', `illegal shard consumer transition ${from} -> ${to}`, { retriable: false });
  }
}
