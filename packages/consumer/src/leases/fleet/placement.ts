import type { ObservedLease } from '../coordinator-state.js';
import { isFinished, type Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { LEASE_METRICS } from '../metric-names.js';
import { parentsDone } from '../../shards/lease-tree.js';
import { parseMultiStreamLeaseKey } from '../../streams/stream-identifier.js';
import { encodeMoves, FLEET, slotAttribute, type FleetView, type Move } from './fleet-item.js';
import { emptyUpdate, increment, type MutableUpdate } from './fleet-update-draft.js';
import { LEADER_CONCURRENCY, type LeaderContext, type LeaderSettings } from './leader-context.js';
import type { LeaderTable } from './leader-table.js';
import { planAssignment, type Plan, type PlannedLease } from './plan.js';
import { pool } from './pool.js';

/** What placement needs of the leader's context. */
export type PlacementContext = Pick<LeaderContext, 'workerId' | 'clock' | 'metrics' | 'sightings' | 'run'> & {
  readonly store: Pick<LeaseStore, 'takeLease'>;
  readonly settings: Pick<LeaderSettings, 'failoverTimeMillis' | 'balanceThroughput'>;
  readonly table: LeaderTable;
};

const TOLERANCE = 0.2;
const MIN_WEIGHT_KBPS = 1;

/**
 * The leader's placement of leases: it plans, writes each unowned lease to its new owner, asks
 * owners to hand over leases a joining worker should get, sets every live worker's lease count
 * and chooses the deputy. The fleet item's part goes into the step's one update.
 */
export class Placement {
  readonly #context: PlacementContext;
  /** Leases this leader asked a worker (by slot) to hand over: read again once the worker has done so. */
  readonly #movesAsked = new Map<string, readonly string[]>();
  /** Slots that received leases and have not been told yet (their epoch not yet bumped by a successful write). */
  readonly #toTell = new Set<string>();
  #planned = false;

  constructor(context: PlacementContext) {
    this.#context = context;
  }

  /** Whether this leader has planned once (a cold start's wait for the joins to settle is over). */
  get planned(): boolean {
    return this.#planned;
  }

  /** A fleet write carrying the epochs succeeded: the slots that received leases are told. */
  told(): void {
    this.#toTell.clear();
  }

  /** Leases whose hand-over a worker has finished (its move request is gone): their new owners are read, not assumed. */
  movedLeases(view: FleetView): string[] {
    const done: string[] = [];
    for (const [slot, keys] of this.#movesAsked) {
      if ((view.slots.get(slot)?.moves.length ?? 0) > 0) continue;
      this.#movesAsked.delete(slot);
      done.push(...keys);
    }
    return done;
  }

  liveWorkers(view: FleetView, leaving: boolean): Map<string, string> {
    const now = this.#context.clock.now();
    const live = new Map<string, string>(); // worker id -> slot
    for (const slot of view.slots.keys()) {
      const workerId = this.#context.table.workers.get(slot);
      if (workerId === undefined || (leaving && workerId === this.#context.workerId)) continue;
      if (this.#context.sightings.unchangedFor(slot, now) < this.#context.settings.failoverTimeMillis) live.set(workerId, slot);
    }
    return live;
  }

  /** Plans, writes the placements of unowned leases, and returns the fleet update (epochs, counts, moves). */
  async place(view: FleetView, live: Map<string, string>): Promise<MutableUpdate> {
    const update = emptyUpdate();
    // No new moves while earlier ones are under way (asked, or not yet read back after being done).
    const movesPending = this.#movesAsked.size > 0 || [...view.slots.values()].some((s) => s.moves.length > 0);
    const plan = planGroups(this.#placeable(live), [...live.keys()], movesPending ? 0 : Number.MAX_SAFE_INTEGER, {
      streamsOf: (workerId) => this.#context.table.streamsOf(workerId),
      balanceThroughput: this.#context.settings.balanceThroughput,
    });
    this.#planned = true;
    for (const workerId of await this.#assign(plan)) this.#toTell.add(live.get(workerId)!);
    // Told until a fleet write carrying the epochs succeeds (a failed step's placements are not lost).
    for (const slot of this.#toTell) if (view.slots.has(slot)) increment(update, slotAttribute('epoch', slot), 1);
    this.#requestMoves(plan, live, update);
    this.#setCounts(view, live, plan, update);
    return update;
  }

  /** The deputy watches the leader closely (fast heartbeats) and takes over first: the live worker with the lowest slot. */
  chooseDeputy(view: FleetView, live: ReadonlyMap<string, string>, update: MutableUpdate): void {
    const candidates = [...live.entries()].filter(([id]) => id !== this.#context.workerId).map(([, slot]) => slot);
    candidates.sort((a, b) => parseInt(a, 36) - parseInt(b, 36));
    const deputy = candidates[0];
    if (deputy === view.deputy) return;
    if (deputy === undefined) update.remove.push(FLEET.deputy);
    else update.set[FLEET.deputy] = deputy;
  }

  /** Leases the plan may place: unfinished, parents done, owner live, unowned, dead or expired. */
  #placeable(live: ReadonlyMap<string, string>): PlannedLease[] {
    const now = this.#context.clock.now();
    const lookup = (key: string): Lease | undefined => this.#context.table.leases.get(key)?.lease;
    const placeable: PlannedLease[] = [];
    for (const observed of this.#context.table.leases.values()) {
      const { lease } = observed;
      if (isFinished(lease) || !parentsDone(lease, lookup)) continue;
      const owner = this.#ownerForPlan(observed, live, now);
      if (owner === null) continue;
      placeable.push({ leaseKey: lease.leaseKey, owner, throughputKBps: lease.throughputKBps });
    }
    return placeable;
  }

  /** The lease's live owner; undefined when it may be placed anew; null when it must be left alone (a live foreign owner). */
  #ownerForPlan(observed: ObservedLease, live: ReadonlyMap<string, string>, now: number): string | undefined | null {
    const owner = observed.lease.leaseOwner;
    if (owner === undefined || this.#context.table.isDead(owner)) return undefined;
    if (live.has(owner)) return owner;
    if ([...this.#context.table.workers.values()].includes(owner)) return null; // a member not judged dead yet
    return now - observed.counterSeenAt > this.#context.settings.failoverTimeMillis ? undefined : null;
  }

  /** Writes each placement, conditional on the lease as last seen; returns the workers that received leases. */
  async #assign(plan: Plan): Promise<Set<string>> {
    const { store, clock, metrics, table } = this.#context;
    const received = new Set<string>();
    const stale: string[] = [];
    await pool(plan.assign, LEADER_CONCURRENCY, async ({ leaseKey, to }) => {
      const observed = table.leases.get(leaseKey);
      if (observed === undefined) return;
      // A placement that fails (throttled past its retries, a deleted table) is read again and
      // placed at a later step; the others still go out, and their owners are still told.
      const result = await this.#context.run((signal) => store.takeLease(observed.lease, to, signal)).catch(() => ({ kind: 'failed' as const }));
      if (result.kind === 'taken') {
        table.see(result.lease, clock.now());
        metrics.count(LEASE_METRICS.leasesAssigned);
        received.add(to);
      } else {
        stale.push(leaseKey);
      }
    });
    await table.refresh(stale).catch(() => stale.forEach((key) => table.forget(key)));
    return received;
  }

  #requestMoves(plan: Plan, live: ReadonlyMap<string, string>, update: MutableUpdate): void {
    const bySource = new Map<string, Move[]>();
    for (const { leaseKey, from, to } of plan.move) {
      const toSlot = live.get(to);
      if (toSlot === undefined) continue;
      const moves = bySource.get(from) ?? [];
      moves.push({ leaseKey, to, toSlot });
      bySource.set(from, moves);
    }
    for (const [from, moves] of bySource) {
      const slot = live.get(from);
      if (slot === undefined) continue;
      update.set[slotAttribute('moves', slot)] = encodeMoves(moves);
      this.#movesAsked.set(slot, moves.map((m) => m.leaseKey));
    }
  }

  /** How many leases each live worker should own once the plan is done: workers use it to know the GSI has caught up. */
  #setCounts(view: FleetView, live: ReadonlyMap<string, string>, plan: Plan, update: MutableUpdate): void {
    const counts = new Map<string, number>([...live.keys()].map((id) => [id, 0]));
    for (const { lease } of this.#context.table.leases.values()) {
      const owner = lease.leaseOwner;
      if (owner !== undefined && counts.has(owner) && !isFinished(lease)) counts.set(owner, counts.get(owner)! + 1);
    }
    for (const { from, to } of plan.move) {
      counts.set(from, (counts.get(from) ?? 1) - 1);
      counts.set(to, (counts.get(to) ?? 0) + 1);
    }
    for (const [workerId, count] of counts) {
      const slot = live.get(workerId)!;
      if (view.slots.get(slot)?.count !== count) update.set[slotAttribute('count', slot)] = count;
    }
  }
}

/**
 * One plan per group of leases the same workers may hold: every lease, when every worker consumes
 * every stream; else one group per set of workers consuming a stream (multi-stream workers that
 * differ). A lease whose stream no live worker consumes is left alone.
 */
function planGroups(
  leases: readonly PlannedLease[],
  workers: readonly string[],
  maxMoves: number,
  options: { readonly streamsOf: (workerId: string) => readonly string[] | undefined; readonly balanceThroughput: boolean },
): Plan {
  const groups = new Map<string, { workers: readonly string[]; leases: PlannedLease[] }>();
  for (const lease of leases) {
    const stream = parseMultiStreamLeaseKey(lease.leaseKey)?.streamIdentifier;
    const eligible = stream === undefined ? workers : workers.filter((w) => options.streamsOf(w)?.includes(stream) ?? true);
    if (eligible.length === 0) continue;
    const key = eligible.join('\n');
    const group = groups.get(key) ?? { workers: eligible, leases: [] as PlannedLease[] };
    group.leases.push(lease.owner === undefined || eligible.includes(lease.owner) ? lease : { ...lease, owner: undefined });
    groups.set(key, group);
  }
  const assign: Plan['assign'][number][] = [];
  const move: Plan['move'][number][] = [];
  for (const group of groups.values()) {
    const plan = planAssignment({
      workers: group.workers,
      leases: group.leases,
      balanceThroughput: options.balanceThroughput,
      tolerance: TOLERANCE,
      minWeight: MIN_WEIGHT_KBPS,
      maxMoves: maxMoves - move.length,
    });
    assign.push(...plan.assign);
    move.push(...plan.move);
  }
  return { assign, move };
}
