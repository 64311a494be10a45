import type { Lease } from './lease.js';

/** What the assignment policy sees at a taking round: every unfinished lease, judged by this worker. */
export interface AssignmentView {
  readonly workerId: string;
  readonly leases: readonly AssignableLease[];
  /** This worker never holds more (the KCL's maxLeasesForWorker). */
  readonly maxLeasesForWorker: number;
  /** Steals per round at most (the KCL's maxLeasesToStealAtOneTime). */
  readonly maxLeasesToStealAtOneTime: number;
}

export interface AssignableLease {
  readonly lease: Lease;
  /** Unassigned, expired on our clock, or left owned by an earlier run of this worker id. */
  readonly available: boolean;
}

export interface AssignmentDecision {
  /** Available leases to take. */
  readonly take: readonly Lease[];
  /** Leases of live workers above their share to take from them. */
  readonly steal: readonly Lease[];
}

/** The shard assignment policy: which leases this worker takes or steals at a taking round. */
export interface LeaseAssignmentPolicy {
  assign(view: AssignmentView): AssignmentDecision;
}

/**
 * Even share in one round. Workers are the owners of unexpired leases plus this one. With N
 * leases and W workers every worker's share is floor(N/W), and the N mod W workers holding the
 * most (ties by worker id) keep one more, so every worker computes the same shares and the
 * workers already holding the extra lease keep it (no lease moves twice).
 *
 * This worker first takes available leases up to its share, then steals the rest of its
 * deficit from the workers above their share, most loaded first, each only down to its share.
 * Nobody steals from a worker at or below its share, so a balanced fleet never moves a lease;
 * a victim learns of its loss at its next renewal. The KCL instead steals one lease per round
 * (every 20 s by default) from the single most loaded worker.
 */
export class EvenShareAssignment implements LeaseAssignmentPolicy {
  constructor(private readonly random: () => number = Math.random) {}

  assign(view: AssignmentView): AssignmentDecision {
    const { workerId, leases } = view;
    const byOwner = ownedByLiveWorkers(leases, workerId);
    const shares = fairShares(leases.length, byOwner);
    const myShare = Math.min(shares.get(workerId) ?? 0, view.maxLeasesForWorker);
    let deficit = myShare - (byOwner.get(workerId)?.length ?? 0);
    if (deficit <= 0) return { take: [], steal: [] };

    const available = shuffle(leases.filter((l) => l.available).map((l) => l.lease), this.random);
    const take = available.slice(0, deficit);
    deficit -= take.length;

    const steal: Lease[] = [];
    let stealBudget = Math.min(deficit, view.maxLeasesToStealAtOneTime);
    const victims = [...byOwner.entries()]
      .filter(([owner]) => owner !== workerId)
      .map(([owner, owned]) => ({ owned, excess: owned.length - (shares.get(owner) ?? 0) }))
      .filter((v) => v.excess > 0)
      .sort((a, b) => b.excess - a.excess);
    for (const victim of victims) {
      if (stealBudget <= 0) break;
      const count = Math.min(victim.excess, stealBudget);
      steal.push(...shuffle(victim.owned, this.random).slice(0, count));
      stealBudget -= count;
    }
    return { take, steal };
  }
}

/** Leases held by live workers, by owner; this worker is always present (possibly with none). */
function ownedByLiveWorkers(leases: readonly AssignableLease[], workerId: string): Map<string, Lease[]> {
  const byOwner = new Map<string, Lease[]>([[workerId, []]]);
  for (const { lease, available } of leases) {
    if (available || lease.leaseOwner === undefined) continue;
    const owned = byOwner.get(lease.leaseOwner) ?? [];
    owned.push(lease);
    byOwner.set(lease.leaseOwner, owned);
  }
  return byOwner;
}

/** floor(N/W) each; the N mod W most loaded workers (ties by id) get one more. */
export function fairShares(leaseCount: number, byOwner: ReadonlyMap<string, readonly Lease[]>): Map<string, number> {
  const workers = [...byOwner.entries()]
    .map(([owner, owned]) => ({ owner, load: owned.length }))
    .sort((a, b) => b.load - a.load || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  const base = Math.floor(leaseCount / workers.length);
  const extra = leaseCount % workers.length;
  return new Map(workers.map((w, i) => [w.owner, base + (i < extra ? 1 : 0)]));
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
