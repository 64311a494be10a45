import type { Clock } from '@kinesis-kit/core';
import type { EmitConsumerEvent } from '../consumer-events.js';
import type { Coordination } from '../leases/coordination.js';
import type { LeaseStore } from '../leases/lease-store.js';
import type { ChildShard, LeaseHandle } from '../processing/contracts.js';
import type { KinesisReadPort } from '../retrieval/kinesis-port.js';
import { recordChildShards } from './child-shards.js';

export interface LeaseHandleDeps {
  readonly coordinator: Coordination;
  readonly store: Pick<LeaseStore, 'createLease'>;
  readonly port: Pick<KinesisReadPort, 'listShards'>;
  readonly clock: Clock;
  readonly emit: EmitConsumerEvent;
  /** Turns the children GetRecords reports (bare shard ids) into lease keys; default: unchanged. */
  readonly keyChildren?: (children: readonly ChildShard[]) => readonly ChildShard[];
}

/**
 * The LeaseHandle a shard consumer gets, over the lease table: checkpoints are conditional on
 * this worker still holding the lease (counter and owner), serialised with its renewals.
 */
export function leaseHandleFor(shardId: string, deps: LeaseHandleDeps): LeaseHandle {
  return {
    shardId,
    checkpoint: (position) => deps.coordinator.checkpoint(shardId, position),
    recordChildShards: async (children) => {
      const { outcome, created } = await recordChildShards({
        parentShardId: shardId,
        children: deps.keyChildren?.(children) ?? children,
        coordinator: deps.coordinator,
        store: deps.store,
        port: deps.port,
        clock: deps.clock,
      });
      if (created.length > 0) deps.emit('leasesCreated', { shardIds: created, by: 'childShards' });
      return outcome;
    },
  };
}
