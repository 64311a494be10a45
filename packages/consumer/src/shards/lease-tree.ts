import { isFinished, type Lease } from '../leases/lease.js';
import { comparePositions, LATEST } from '../position.js';

/** Lease lookup by key: the coordinator's view of the table. */
export type LeaseLookup = (leaseKey: string) => Lease | undefined;

/**
 * Whether a lease's shard may be processed: every parent lease has checkpoint SHARD_END or no
 * longer exists (a merge waits for both parents). This is what keeps per-key order across
 * resharding: a key's records in a child come after its records in the parent.
 */
export function parentsDone(lease: Lease, lookup: LeaseLookup): boolean {
  return lease.parentShardIds.every((parentId) => {
    const parent = lookup(parentId);
    return parent === undefined || isFinished(parent);
  });
}

/** A child lease that has checkpointed past its starting sentinel (a sequence number or SHARD_END). */
function started(lease: Lease): boolean {
  return comparePositions(lease.checkpoint, LATEST) > 0;
}

/**
 * Finished leases that can be deleted: the shard was read to its end, every child shard has a
 * lease that has advanced past TRIM_HORIZON (so no shard sync can ever re-create this one, and
 * the children no longer need it to wait on), and none of its own parents has a lease left
 * (parents go first, so a chain is deleted from the top). Children are those recorded on the
 * lease and any lease naming it as a parent; a finished lease with no known children stays.
 */
export function deletableLeases(leases: readonly Lease[]): Lease[] {
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const childrenOf = new Map<string, Set<string>>();
  for (const lease of leases) {
    for (const parent of lease.parentShardIds) childrenOf.set(parent, (childrenOf.get(parent) ?? new Set()).add(lease.leaseKey));
  }
  return leases.filter((lease) => {
    if (!isFinished(lease)) return false;
    if (lease.parentShardIds.some((parent) => byKey.has(parent))) return false;
    const children = new Set([...lease.childShardIds, ...(childrenOf.get(lease.leaseKey) ?? [])]);
    if (children.size === 0) return false;
    return [...children].every((id) => {
      const child = byKey.get(id);
      return child !== undefined && started(child);
    });
  });
}
