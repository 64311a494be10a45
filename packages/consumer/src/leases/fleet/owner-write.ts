import type { Clock } from '@kinesis-kit/core';
import { lost, wrote, type CoordinatorState, type HeldLease } from '../coordinator-state.js';
import type { KeyedLocks } from '../keyed-locks.js';
import type { Lease } from '../lease.js';

/** What a write by the lease's owner needs of the coordinator. */
export interface OwnerWriteContext {
  readonly clock: Clock;
  /** The coordinator's per-lease locks (writes of one lease never race its own counter). */
  readonly locks: KeyedLocks;
  /** Runs a request in the coordinator's abort scope, with a deadline when given. */
  readonly run: <T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => Promise<T>;
  readonly held: () => ReadonlyMap<string, HeldLease>;
  /** When this worker's life ends (see Life). */
  readonly lifeEnds: () => number;
  readonly apply: (transition: (state: CoordinatorState) => CoordinatorState) => void;
}

/**
 * A write by the owner (checkpoint, child shards, release, hand-over), bounded by the end of this
 * worker's life: after it the write could not help. A write that finds the lease changed loses it.
 */
export function ownerWrite(
  context: OwnerWriteContext,
  leaseKey: string,
  write: (lease: Lease, signal: AbortSignal) => Promise<{ kind: string; lease?: Lease }>,
  onSuccess: (s: CoordinatorState, lease: Lease, sentAt: number) => CoordinatorState = wrote,
): Promise<'ok' | 'leaseLost'> {
  return context.locks.run(leaseKey, async () => {
    const held = context.held().get(leaseKey);
    if (held === undefined) return 'leaseLost';
    const sentAt = context.clock.now();
    const result = await context.run((signal) => write(held.lease, signal), context.lifeEnds() - sentAt);
    if (result.lease === undefined) {
      context.apply((s) => lost(s, leaseKey));
      return 'leaseLost';
    }
    const written = result.lease;
    // The heartbeat, not this write, keeps the lease alive: renewedAt stays the heartbeat's.
    context.apply((s) => onSuccess(s, written, held.renewedAt));
    return 'ok';
  });
}
