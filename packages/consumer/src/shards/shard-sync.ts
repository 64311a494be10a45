import { exponentialBackoff, retry, systemClock, type Clock } from '@kinesis-kit/core';
import type { Lease } from '../leases/lease.js';
import type { LeaseStore } from '../leases/lease-store.js';
import type { KinesisReadPort, ShardDescription } from '../retrieval/kinesis-port.js';
import type { InitialPosition } from './initial-position.js';
import { generations, planLeases } from './shard-graph.js';

export interface ShardSyncInput {
  readonly port: Pick<KinesisReadPort, 'listShards'>;
  readonly store: Pick<LeaseStore, 'createLease'>;
  /** Keys of every lease in the table (from the latest consistent scan). */
  readonly leaseKeys: ReadonlySet<string>;
  readonly initialPosition: InitialPosition;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

export interface ShardSyncResult {
  readonly shardCount: number;
  /** Leases this call created (others may have been created concurrently by other workers). */
  readonly created: readonly Lease[];
}

/**
 * Lease creations in flight at once. Bounded so that a stream of thousands of shards is not a
 * burst of thousands of PutItems (throttling), and so that the caller's signal, which every
 * request in flight listens to, stays under Node's 10-listener warning.
 */
const CREATE_CONCURRENCY = 8;

/** ListShards, with retries of throttling (LimitExceededException) and transient failures. */
export function listShardsWithRetry(port: Pick<KinesisReadPort, 'listShards'>, clock: Clock, signal?: AbortSignal): Promise<ShardDescription[]> {
  return retry(() => port.listShards(signal ? { signal } : {}), {
    backoff: exponentialBackoff({ initialDelayMs: 200, maxDelayMs: 5_000 }),
    maxAttempts: 10,
    clock,
    description: 'ListShards',
    ...(signal ? { signal } : {}),
  });
}

/**
 * Creates the leases the stream needs (see planLeases) with conditional puts, parents before
 * children: a child's lease never exists before its parent's, whichever workers sync at once.
 * At most CREATE_CONCURRENCY puts are in flight.
 */
export async function syncShards(input: ShardSyncInput): Promise<ShardSyncResult> {
  const clock = input.clock ?? systemClock;
  const shards = await listShardsWithRetry(input.port, clock, input.signal);
  const plan = planLeases(shards, input.leaseKeys, input.initialPosition);
  const created: Lease[] = [];
  for (const generation of generations(plan)) {
    for (let i = 0; i < generation.length; i += CREATE_CONCURRENCY) {
      const results = await Promise.all(generation.slice(i, i + CREATE_CONCURRENCY).map((lease) => input.store.createLease(lease, input.signal)));
      for (const result of results) if (result.kind === 'created') created.push(result.lease);
    }
  }
  return { shardCount: shards.length, created };
}
