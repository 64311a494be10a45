import { classifyError, retry, type BackoffPolicy, type Clock } from '@kinesis-kit/core';
import type { ChildShard } from '../processing/contracts.js';
import { parentsOf } from '../shards/shard-graph.js';
import type { ShardDescription } from './kinesis-port.js';
import type { OpenShardInput } from './retrieval.js';

/** ResourceNotFoundException: the stream, or the shard, no longer exists. */
export function isResourceNotFound(error: unknown): boolean {
  return classifyError(error).code === 'ResourceNotFoundException';
}

/** What ListShards says about a shard whose end came without ChildShards. */
export type ListedShardEnd = { readonly listed: 'open' } | { readonly listed: 'closed' | 'absent'; readonly childShards: readonly ChildShard[] };

export interface ConfirmShardEndOptions {
  readonly backoff: BackoffPolicy;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Counted once per check (GetRecords.UnconfirmedShardEnds, SubscribeToShard.UnconfirmedShardEnds). */
  readonly metric: string;
  /** Which call ended the shard, for the log line. */
  readonly operation: 'GetRecords' | 'SubscribeToShard';
}

/**
 * Confirms a shard end that came without ChildShards. The Java KCL rejects such a result as invalid
 * and reads again (DataRetrievalUtil.isValidResult, used by KinesisDataFetcher and
 * FanOutRecordsPublisher); a real end always lists the children, except when the shard is gone. So
 * ask ListShards (retried like any read): the shard still open means the end was spurious; closed,
 * its children are those ListShards lists; absent (or the stream gone), it ended for good.
 */
export async function confirmShardEnd(
  listShards: (signal: AbortSignal) => Promise<readonly ShardDescription[]>,
  shard: OpenShardInput,
  options: ConfirmShardEndOptions,
): Promise<ListedShardEnd> {
  const { shardId } = shard;
  shard.metrics.count(options.metric, 1, { shardId });
  const listed = await listShardEnd(listShards, shardId, options);
  shard.logger.warn(`${options.operation} ended the shard without ChildShards; ListShards says it is ${listed.listed}`, { shardId, listed: listed.listed });
  shard.onEvent?.({ type: 'unconfirmedShardEnd', shardId, listed: listed.listed });
  return listed;
}

/** What ListShards (retried like any read) says about the shard: open, closed with its children, or absent. */
export async function listShardEnd(
  listShards: (signal: AbortSignal) => Promise<readonly ShardDescription[]>,
  shardId: string,
  { backoff, clock, signal }: Pick<ConfirmShardEndOptions, 'backoff' | 'clock' | 'signal'>,
): Promise<ListedShardEnd> {
  const shards = await retry(
    async () => {
      try {
        return await listShards(signal);
      } catch (error) {
        if (isResourceNotFound(error)) return []; // the stream itself is gone
        throw error;
      }
    },
    { backoff, clock, signal, description: `ListShards about the end of ${shardId}` },
  );
  return listedEnd(shards, shardId);
}

function listedEnd(shards: readonly ShardDescription[], shardId: string): ListedShardEnd {
  const shard = shards.find((s) => s.shardId === shardId);
  if (shard !== undefined && shard.endingSequenceNumber === undefined) return { listed: 'open' };
  const childShards = shards
    .filter((s) => parentsOf(s).includes(shardId))
    .map((s) => ({ shardId: s.shardId, parentShardIds: parentsOf(s), startingHashKey: s.startingHashKey, endingHashKey: s.endingHashKey }));
  return { listed: shard === undefined ? 'absent' : 'closed', childShards };
}
