import type { Clock } from '@kinesis-kit/core';
import { newLease } from '../leases/lease.js';
import type { Coordination } from '../leases/coordination.js';
import type { LeaseStore } from '../leases/lease-store.js';
import { TRIM_HORIZON } from '../position.js';
import type { ChildShard } from '../processing/contracts.js';
import type { KinesisReadPort } from '../retrieval/kinesis-port.js';
import { parentsOf } from './shard-graph.js';
import { listShardsWithRetry } from './shard-sync.js';

export interface RecordChildShardsInput {
  readonly parentShardId: string;
  /** As GetRecords reported them at shard end; empty means "not reported": ListShards is asked. */
  readonly children: readonly ChildShard[];
  readonly coordinator: Pick<Coordination, 'heldLease' | 'addChildShards' | 'wake'>;
  readonly store: Pick<LeaseStore, 'createLease'>;
  readonly port: Pick<KinesisReadPort, 'listShards'>;
  readonly clock: Clock;
}

/**
 * The LeaseHandle.recordChildShards implementation: at shard end, before the processor's
 * shardEnded, create each child's lease if absent (checkpoint TRIM_HORIZON whatever the
 * configured initial position, as the KCL: the child holds only records written after its
 * parent closed) and record childShardIds on the parent, conditional on still holding it.
 */
export async function recordChildShards(input: RecordChildShardsInput): Promise<{ outcome: 'ok' | 'leaseLost'; created: string[] }> {
  const { parentShardId, coordinator } = input;
  if (coordinator.heldLease(parentShardId) === undefined) return { outcome: 'leaseLost', created: [] };
  const children = input.children.length > 0 ? input.children : await childrenFromListShards(input);
  const results = await Promise.all(
    children.map((child) =>
      input.store.createLease(
        newLease({
          leaseKey: child.shardId,
          checkpoint: TRIM_HORIZON,
          parentShardIds: child.parentShardIds.length > 0 ? child.parentShardIds : [parentShardId],
          hashKeyRange: { startingHashKey: child.startingHashKey, endingHashKey: child.endingHashKey },
        }),
      ),
    ),
  );
  const outcome = await coordinator.addChildShards(
    parentShardId,
    children.map((c) => c.shardId),
  );
  if (children.length > 0) coordinator.wake();
  return { outcome, created: results.flatMap((r) => (r.kind === 'created' ? [r.lease.leaseKey] : [])) };
}

async function childrenFromListShards(input: RecordChildShardsInput): Promise<ChildShard[]> {
  const shards = await listShardsWithRetry(input.port, input.clock);
  return shards
    .filter((shard) => parentsOf(shard).includes(input.parentShardId))
    .map((shard) => ({
      shardId: shard.shardId,
      parentShardIds: parentsOf(shard),
      startingHashKey: shard.startingHashKey,
      endingHashKey: shard.endingHashKey,
    }));
}
