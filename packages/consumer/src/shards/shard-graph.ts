import { newLease, type Lease } from '../leases/lease.js';
import type { ShardDescription } from '../retrieval/kinesis-port.js';
import { descendantCheckpoint, initialCheckpoint, type InitialPosition } from './initial-position.js';

/** The parent shard ids of a shard as ListShards gives them (two after a merge). */
export function parentsOf(shard: ShardDescription): string[] {
  return [shard.parentShardId, shard.adjacentParentShardId].filter((id): id is string => id !== undefined);
}

/**
 * Which shards of the stream need a lease, parents before children. Rules, per shard without a
 * lease:
 *
 * 1. A descendant has a lease: skip. The shard was consumed and its lease cleaned up (cleanup
 *    deletes a parent only once its children are under way), or the application started at
 *    LATEST below it. Re-creating it would replay it.
 * 2. A parent has a lease or gets one in this plan: create it at TRIM_HORIZON (AT_TIMESTAMP for
 *    an application started at a timestamp), so nothing between the parent's end and the child's
 *    start is lost. It waits for its parents (see parentsDone).
 * 3. Otherwise the shard is where this application starts reading (a root): at TRIM_HORIZON or
 *    AT_TIMESTAMP every root gets a lease at that position. At LATEST only OPEN roots do: a closed
 *    shard holds nothing after "now", and its open descendants (which get leases at LATEST, as
 *    roots themselves) cover its whole hash range, so a lease for it would only make them wait.
 *
 * Parents missing from the listing (older than the retention period) count as absent.
 */
export function planLeases(shards: readonly ShardDescription[], leaseKeys: ReadonlySet<string>, initial: InitialPosition): Lease[] {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const children = childrenIndex(shards);
  const coveredMemo = new Map<string, boolean>();
  const hasLeasedDescendant = (id: string): boolean => {
    const known = coveredMemo.get(id);
    if (known !== undefined) return known;
    coveredMemo.set(id, false); // guards against a malformed (cyclic) listing
    const covered = (children.get(id) ?? []).some((child) => leaseKeys.has(child) || hasLeasedDescendant(child));
    coveredMemo.set(id, covered);
    return covered;
  };

  const plan: Lease[] = [];
  const decided = new Map<string, 'leased' | 'planned' | 'skipped'>();
  const visit = (shard: ShardDescription): 'leased' | 'planned' | 'skipped' => {
    const known = decided.get(shard.shardId);
    if (known !== undefined) return known;
    decided.set(shard.shardId, 'skipped');
    const listedParents = parentsOf(shard).filter((id) => byId.has(id));
    const parentStates = listedParents.map((id) => visit(byId.get(id)!));
    const outcome = decide(shard, parentStates);
    decided.set(shard.shardId, outcome);
    return outcome;
  };
  const decide = (shard: ShardDescription, parentStates: readonly string[]): 'leased' | 'planned' | 'skipped' => {
    if (leaseKeys.has(shard.shardId)) return 'leased';
    if (hasLeasedDescendant(shard.shardId)) return 'skipped';
    const descendant = parentStates.some((state) => state !== 'skipped');
    if (!descendant && initial === 'LATEST' && shard.endingSequenceNumber !== undefined) return 'skipped';
    plan.push(
      newLease({
        leaseKey: shard.shardId,
        checkpoint: descendant ? descendantCheckpoint(initial) : initialCheckpoint(initial),
        parentShardIds: parentsOf(shard),
        hashKeyRange: { startingHashKey: shard.startingHashKey, endingHashKey: shard.endingHashKey },
      }),
    );
    return 'planned';
  };
  for (const shard of [...shards].sort((a, b) => compareShardIds(a.shardId, b.shardId))) visit(shard);
  return plan;
}

function childrenIndex(shards: readonly ShardDescription[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const shard of shards) {
    for (const parent of parentsOf(shard)) index.set(parent, [...(index.get(parent) ?? []), shard.shardId]);
  }
  return index;
}

function compareShardIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups a plan (parents before children) into generations that can be created in parallel. */
export function generations(plan: readonly Lease[]): Lease[][] {
  const generationOf = new Map<string, number>();
  const result: Lease[][] = [];
  for (const lease of plan) {
    const parentGeneration = Math.max(-1, ...lease.parentShardIds.map((id) => generationOf.get(id) ?? -1));
    const generation = parentGeneration + 1;
    generationOf.set(lease.leaseKey, generation);
    (result[generation] ??= []).push(lease);
  }
  return result.filter((g) => g !== undefined);
}
