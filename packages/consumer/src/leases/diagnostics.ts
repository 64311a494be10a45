import type { CoordinatorState } from './coordinator-state.js';
import { isFinished } from './lease.js';

/** What changed for this worker between two coordinator states. */
export type LeaseChange =
  /** Now held; `from` is the previous owner when it was stolen from a live worker or taken after expiry. */
  | { readonly kind: 'taken'; readonly leaseKey: string; readonly from: string | undefined }
  /** No longer held and we did not give it up: another worker took it, it expired locally, or it was deleted. */
  | { readonly kind: 'lost'; readonly leaseKey: string; readonly to: string | undefined }
  /** Given up by us (graceful stop, failed shard): the table shows it unassigned. */
  | { readonly kind: 'released'; readonly leaseKey: string }
  /** Given up by us after its shard was read to the end and checkpointed SHARD_END. */
  | { readonly kind: 'finished'; readonly leaseKey: string };

/**
 * The changes between `before` and `after`, derived from the states alone: a lease that left
 * `held` was released when the table now shows it unassigned, or handed to another worker, by our
 * own write (counter moved on from what we held), and lost otherwise.
 */
export function diffHeld(before: CoordinatorState, after: CoordinatorState): LeaseChange[] {
  const changes: LeaseChange[] = [];
  for (const key of after.held.keys()) {
    if (before.held.has(key)) continue;
    const previousOwner = before.table.get(key)?.lease.leaseOwner;
    changes.push({ kind: 'taken', leaseKey: key, from: previousOwner === after.workerId ? undefined : previousOwner });
  }
  for (const [key, held] of before.held) {
    if (after.held.has(key)) continue;
    const observed = after.table.get(key);
    const now = observed?.lease;
    const releasedByUs =
      now !== undefined && now.leaseCounter === held.lease.leaseCounter + 1 && (now.leaseOwner === undefined || (observed?.writtenByUs === true && now.leaseOwner !== after.workerId));
    if (releasedByUs) changes.push(isFinished(now) ? { kind: 'finished', leaseKey: key } : { kind: 'released', leaseKey: key });
    else changes.push({ kind: 'lost', leaseKey: key, to: now?.leaseOwner === after.workerId ? undefined : now?.leaseOwner });
  }
  return changes;
}
