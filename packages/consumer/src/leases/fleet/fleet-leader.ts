import type { Clock, Logger, Metrics } from '@kinesis-kit/core';
import type { HeldLease, ObservedLease } from '../coordinator-state.js';
import { isFinished, type Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { LEASE_METRICS } from '../metric-names.js';
import { parentsDone } from '../../shards/lease-tree.js';
import { encodeMoves, FLEET, slotAttribute, slotAttributes, type FleetView, type Move } from './fleet-item.js';
import type { FleetStore, FleetUpdate, FleetValue, FleetWriteResult } from './fleet-store.js';
import { parseMultiStreamLeaseKey } from '../../streams/stream-identifier.js';
import { planAssignment, type Plan, type PlannedLease } from './plan.js';
import { pool } from './pool.js';
import type { Sightings } from './sightings.js';

export interface LeaderSettings {
  readonly failoverTimeMillis: number;
  /** How often the leader re-reads the whole table (checkpoints, throughput, leases made by others, expiry of foreign owners). */
  readonly tableScanIntervalMillis: number;
  /** Balance bytes/s per worker, not only lease counts. */
  readonly balanceThroughput: boolean;
}

export interface LeaderContext {
  readonly workerId: string;
  readonly store: LeaseStore & FleetStore;
  readonly settings: LeaderSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The member's sightings of every slot's heartbeat (keyed by slot). */
  readonly sightings: Sightings;
  readonly writeFleet: (update: FleetUpdate) => Promise<FleetWriteResult>;
  /** Runs a request with a signal that halt() aborts (the worker's AbortScope). */
  readonly run: <T>(work: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  readonly held: () => ReadonlyMap<string, HeldLease>;
  /** The chores (shard sync, cleanup) after every step, with the table as the leader knows it. */
  readonly onRound: (table: ReadonlyMap<string, ObservedLease>) => Promise<void>;
}

/** At cold start the first plan waits until no worker has joined for this long (at most COLD_START_MAX_WAIT_MS). */
const SETTLE_MS = 500;
const COLD_START_MAX_WAIT_MS = 3_000;
/** Lease requests in flight at once from one step (the leader's heartbeats share its client and must not queue behind many). */
const CONCURRENCY = 16;
/** When new leases may exist (a worker said so), the next scan waits at least this long after the last. */
const MIN_SCAN_GAP_MS = 2_000;
const TOLERANCE = 0.2;
const MIN_WEIGHT_KBPS = 1;

/**
 * The leader's side of the fleet protocol (see FleetCoordinator for the whole): it keeps the lease
 * table in memory (one scan when it becomes leader, then every tableScanIntervalMillis or when a
 * worker signals new leases; its own writes and targeted reads in between), buries dead workers,
 * places unowned leases, asks owners to hand over leases a joining worker should get, and runs
 * the fleet's chores. Every step is driven by the member's heartbeat (every leaderIntervalMillis).
 */
export class FleetLeader {
  readonly #context: LeaderContext;
  readonly #table = new Map<string, ObservedLease>();
  /** slot -> worker id. */
  readonly #workers = new Map<string, string>();
  /** Multi-stream workers' streams, by worker id (absent: every stream). */
  readonly #streams = new Map<string, readonly string[]>();
  /** Leases this leader asked a worker (by slot) to hand over: read again once the worker has done so. */
  readonly #movesAsked = new Map<string, readonly string[]>();
  /** Slots that received leases and have not been told yet (their epoch not yet bumped by a successful write). */
  readonly #toTell = new Set<string>();
  /** Workers confirmed dead: their leases are placed as unowned. */
  readonly #dead = new Set<string>();
  readonly #since: number;
  #scannedAt: number | undefined;
  #scanNow = false;
  #changesSeen: number | undefined;
  #slotsSeen = '';
  #slotsStableSince: number;
  #planned = false;
  #running: Promise<void> | undefined;
  #next: { view: FleetView; leaving: boolean } | undefined;
  #stopped = false;

  constructor(context: LeaderContext) {
    this.#context = context;
    this.#since = context.clock.now();
    this.#slotsStableSince = this.#since;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** This worker made new leases (shard sync, children): read the table at the next step. */
  scanSoon(): void {
    this.#scanNow = true;
  }

  forgetLease(leaseKey: string): void {
    this.#table.delete(leaseKey);
  }

  /** The worker to hand the lock to at a graceful stop: the deputy, or any other live worker. */
  successor(): string | undefined {
    return [...this.#workers.entries()].find(([, id]) => id !== this.#context.workerId && !this.#dead.has(id))?.[1];
  }

  /** One step on the fleet item as just written; steps never overlap (a step asked for meanwhile runs next, on the newest view). */
  step(view: FleetView, options: { leaving: boolean }): Promise<void> {
    if (this.#running !== undefined) {
      this.#next = { view, leaving: options.leaving || (this.#next?.leaving ?? false) };
      return this.#running;
    }
    this.#running = this.#stepLoop(view, options.leaving).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #stepLoop(view: FleetView, leaving: boolean): Promise<void> {
    let current: { view: FleetView; leaving: boolean } | undefined = { view, leaving };
    while (current !== undefined && !this.#stopped) {
      this.#next = undefined;
      await this.#step(current.view, current.leaving);
      current = this.#next;
    }
  }

  async #step(view: FleetView, leaving: boolean): Promise<void> {
    const { clock } = this.#context;
    if (this.#scanDue(view)) await this.#scan(view);
    const removals = this.#recordJoins(view);
    await this.#refresh([...this.#departedLeases(view, leaving), ...this.#movedLeases(view)]);
    for (const slot of this.#staleSlots(view)) await this.#bury(slot, view);
    if (this.#stopped) return;
    const live = this.#liveWorkers(view, leaving);
    const now = clock.now();
    const slots = [...view.slots.keys()].sort().join(',');
    if (slots !== this.#slotsSeen) {
      this.#slotsSeen = slots;
      this.#slotsStableSince = now;
    }
    const update = this.#settling(live, now) || live.size === 0 ? emptyUpdate() : await this.#place(view, live);
    for (const name of removals) (update.remove as string[]).push(name);
    this.#chooseDeputy(view, live, update);
    if (hasChanges(update)) {
      const written = await this.#context.writeFleet({ ...update, conditions: [{ attribute: FLEET.leader, equals: this.#context.workerId }] });
      if (written.kind === 'updated') this.#toTell.clear();
    }
    await this.#context.onRound(this.#table);
  }

  /**
   * At a cold start (no live worker owns a lease yet) the first plan waits for the joins to
   * settle, so the first round is already fair. A leader taking over a running fleet never waits:
   * the leases of a dead leader are placed at once.
   */
  #settling(live: ReadonlyMap<string, string>, now: number): boolean {
    if (this.#planned || now - this.#slotsStableSince >= SETTLE_MS || now - this.#since >= COLD_START_MAX_WAIT_MS) return false;
    for (const { lease } of this.#table.values()) if (lease.leaseOwner !== undefined && live.has(lease.leaseOwner)) return false;
    return true;
  }

  // --- what the leader knows of the table ---------------------------------------------------------

  #scanDue(view: FleetView): boolean {
    const now = this.#context.clock.now();
    if (this.#scannedAt === undefined || this.#scanNow) return true;
    // Another worker made leases (children at a shard end): many may, so such scans are spaced.
    const newLeases = this.#changesSeen !== undefined && view.changes !== this.#changesSeen;
    const interval = this.#foreignPending(now) ? this.#context.settings.failoverTimeMillis / 2 : this.#context.settings.tableScanIntervalMillis;
    return now - this.#scannedAt >= (newLeases ? MIN_SCAN_GAP_MS : interval);
  }

  async #scan(view: FleetView): Promise<void> {
    this.#scanNow = false;
    this.#changesSeen = view.changes;
    const snapshot = await this.#context.run((signal) => this.#context.store.scanTable(signal));
    // Stamped when the scan returned: a counter is never judged older than it is.
    const at = this.#context.clock.now();
    this.#scannedAt = at;
    const seen = new Set<string>();
    for (const lease of snapshot.leases) {
      seen.add(lease.leaseKey);
      this.#see(lease, at);
    }
    for (const key of this.#table.keys()) if (!seen.has(key)) this.#table.delete(key);
    for (const worker of snapshot.workers) {
      if (!view.slots.has(worker.slot)) continue;
      this.#known(worker.slot, worker.workerId);
      if (worker.streams !== undefined) this.#streams.set(worker.workerId, worker.streams);
    }
  }

  /** A lease as read or written at `at`: its counter's first sighting is kept while it does not change. */
  #see(lease: Lease, at: number): void {
    const previous = this.#table.get(lease.leaseKey);
    const unchanged = previous !== undefined && previous.lease.leaseCounter === lease.leaseCounter && previous.lease.leaseOwner === lease.leaseOwner;
    this.#table.set(lease.leaseKey, { lease, counterSeenAt: unchanged ? previous.counterSeenAt : at });
  }

  async #refresh(keys: readonly string[]): Promise<void> {
    const { store, clock } = this.#context;
    await pool(keys, CONCURRENCY, async (key) => {
      const lease = await this.#context.run((signal) => store.getLease(key, signal));
      if (lease === undefined) this.#table.delete(key);
      else this.#see(lease, clock.now());
    });
  }

  #known(slot: string, workerId: string): void {
    this.#workers.set(slot, workerId);
    this.#dead.delete(workerId);
  }

  /** New slots' worker ids and workers' new stream lists, recorded; those attributes are removed by this step's write. */
  #recordJoins(view: FleetView): string[] {
    const removals: string[] = [];
    for (const [slot, seen] of view.slots) {
      if (seen.joinId !== undefined) {
        this.#known(slot, seen.joinId);
        removals.push(slotAttribute('joinId', slot));
      }
      const workerId = this.#workers.get(slot);
      if (seen.streams !== undefined && workerId !== undefined) {
        this.#streams.set(workerId, seen.streams);
        removals.push(slotAttribute('streams', slot));
      }
    }
    return removals;
  }

  /** Leases of workers that left (their slot is gone, or this leader is leaving): read again, they were released. */
  #departedLeases(view: FleetView, leaving: boolean): string[] {
    const gone = new Set<string>();
    for (const [slot, workerId] of this.#workers) {
      if (view.slots.has(slot)) continue;
      this.#workers.delete(slot);
      gone.add(workerId);
    }
    if (leaving) gone.add(this.#context.workerId);
    if (gone.size === 0) return [];
    return [...this.#table.values()].filter((o) => o.lease.leaseOwner !== undefined && gone.has(o.lease.leaseOwner)).map((o) => o.lease.leaseKey);
  }

  /** Leases whose hand-over a worker has finished (its move request is gone): their new owners are read, not assumed. */
  #movedLeases(view: FleetView): string[] {
    const done: string[] = [];
    for (const [slot, keys] of this.#movesAsked) {
      if ((view.slots.get(slot)?.moves.length ?? 0) > 0) continue;
      this.#movesAsked.delete(slot);
      done.push(...keys);
    }
    return done;
  }

  // --- dead workers -------------------------------------------------------------------------------

  /** Slots whose heartbeat has not changed for failoverTimeMillis on this clock. */
  #staleSlots(view: FleetView): string[] {
    const now = this.#context.clock.now();
    return [...view.slots.keys()].filter(
      (slot) => this.#workers.get(slot) !== this.#context.workerId && this.#context.sightings.unchangedFor(slot, now) >= this.#context.settings.failoverTimeMillis,
    );
  }

  /**
   * Removes a dead worker: reads its leases, THEN confirms its heartbeat is still the stale value
   * by a write conditional on it (removing its slot), so every lease value read was written before
   * the worker's life ended. The leases are then placed as unowned, each write conditional on the
   * counter read here.
   */
  async #bury(slot: string, view: FleetView): Promise<void> {
    const { store, sightings, workerId: me, logger, metrics } = this.#context;
    const workerId = this.#workers.get(slot);
    const heartbeat = view.slots.get(slot)?.heartbeat;
    if (heartbeat === undefined || sightings.value(slot) !== heartbeat) return;
    // Every value of the worker's leases known before the confirmation will do (a later change by
    // the worker fails the conditional placement): the table's, and a read of those it lacks.
    const owned = (key: string): boolean => workerId !== undefined && this.#table.get(key)?.lease.leaseOwner === workerId;
    const listed = workerId === undefined ? [] : await this.#context.run((signal) => store.ownedLeaseKeys(workerId, signal));
    const leases: Lease[] = [];
    await pool(listed.filter((key) => !owned(key)), CONCURRENCY, async (key) => {
      const lease = await this.#context.run((signal) => store.getLease(key, signal));
      if (lease !== undefined) leases.push(lease);
    });
    const confirmed = await this.#context.writeFleet({
      remove: slotAttributes(slot),
      conditions: [
        { attribute: slotAttribute('heartbeat', slot), equals: heartbeat },
        { attribute: FLEET.leader, equals: me },
      ],
    });
    if (confirmed.kind !== 'updated') return;
    const at = this.#context.clock.now();
    for (const lease of leases) this.#see(lease, at);
    this.#workers.delete(slot);
    if (workerId !== undefined) this.#dead.add(workerId);
    metrics.count(LEASE_METRICS.workersDeclaredDead);
    logger.warn('worker declared dead: its leases are placed on the others', { workerId: workerId ?? `(slot ${slot})`, leases: leases.length });
  }

  // --- placing leases -----------------------------------------------------------------------------

  #liveWorkers(view: FleetView, leaving: boolean): Map<string, string> {
    const now = this.#context.clock.now();
    const live = new Map<string, string>(); // worker id -> slot
    for (const slot of view.slots.keys()) {
      const workerId = this.#workers.get(slot);
      if (workerId === undefined || (leaving && workerId === this.#context.workerId)) continue;
      if (this.#context.sightings.unchangedFor(slot, now) < this.#context.settings.failoverTimeMillis) live.set(workerId, slot);
    }
    return live;
  }

  /** Plans, writes the placements of unowned leases, and returns the fleet update (epochs, counts, moves). */
  async #place(view: FleetView, live: Map<string, string>): Promise<MutableUpdate> {
    const update = emptyUpdate();
    // No new moves while earlier ones are under way (asked, or not yet read back after being done).
    const movesPending = this.#movesAsked.size > 0 || [...view.slots.values()].some((s) => s.moves.length > 0);
    const plan = this.#plan(this.#placeable(live), [...live.keys()], movesPending ? 0 : Number.MAX_SAFE_INTEGER);
    this.#planned = true;
    for (const workerId of await this.#assign(plan)) this.#toTell.add(live.get(workerId)!);
    // Told until a fleet write carrying the epochs succeeds (a failed step's placements are not lost).
    for (const slot of this.#toTell) if (view.slots.has(slot)) increment(update, slotAttribute('epoch', slot), 1);
    this.#requestMoves(plan, live, update);
    this.#setCounts(view, live, plan, update);
    return update;
  }

  /**
   * One plan per group of leases the same workers may hold: every lease, when every worker consumes
   * every stream; else one group per set of workers consuming a stream (multi-stream workers that
   * differ). A lease whose stream no live worker consumes is left alone.
   */
  #plan(leases: readonly PlannedLease[], workers: readonly string[], maxMoves: number): Plan {
    const groups = new Map<string, { workers: readonly string[]; leases: PlannedLease[] }>();
    for (const lease of leases) {
      const stream = parseMultiStreamLeaseKey(lease.leaseKey)?.streamIdentifier;
      const eligible = stream === undefined ? workers : workers.filter((w) => this.#streams.get(w)?.includes(stream) ?? true);
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
        balanceThroughput: this.#context.settings.balanceThroughput,
        tolerance: TOLERANCE,
        minWeight: MIN_WEIGHT_KBPS,
        maxMoves: maxMoves - move.length,
      });
      assign.push(...plan.assign);
      move.push(...plan.move);
    }
    return { assign, move };
  }

  /** Leases the plan may place: unfinished, parents done, owner live, unowned, dead or expired. */
  #placeable(live: ReadonlyMap<string, string>): PlannedLease[] {
    const now = this.#context.clock.now();
    const lookup = (key: string): Lease | undefined => this.#table.get(key)?.lease;
    const placeable: PlannedLease[] = [];
    for (const observed of this.#table.values()) {
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
    if (owner === undefined || this.#dead.has(owner)) return undefined;
    if (live.has(owner)) return owner;
    if ([...this.#workers.values()].includes(owner)) return null; // a member not judged dead yet
    return now - observed.counterSeenAt > this.#context.settings.failoverTimeMillis ? undefined : null;
  }

  #foreignPending(now: number): boolean {
    const members = new Set(this.#workers.values());
    for (const { lease, counterSeenAt } of this.#table.values()) {
      const owner = lease.leaseOwner;
      if (owner !== undefined && !members.has(owner) && !this.#dead.has(owner) && !isFinished(lease) && now - counterSeenAt <= this.#context.settings.failoverTimeMillis) return true;
    }
    return false;
  }

  /** Writes each placement, conditional on the lease as last seen; returns the workers that received leases. */
  async #assign(plan: Plan): Promise<Set<string>> {
    const { store, clock, metrics } = this.#context;
    const received = new Set<string>();
    const stale: string[] = [];
    await pool(plan.assign, CONCURRENCY, async ({ leaseKey, to }) => {
      const observed = this.#table.get(leaseKey);
      if (observed === undefined) return;
      // A placement that fails (throttled past its retries, a deleted table) is read again and
      // placed at a later step; the others still go out, and their owners are still told.
      const result = await this.#context.run((signal) => store.takeLease(observed.lease, to, signal)).catch(() => ({ kind: 'failed' as const }));
      if (result.kind === 'taken') {
        this.#see(result.lease, clock.now());
        metrics.count(LEASE_METRICS.leasesAssigned);
        received.add(to);
      } else {
        stale.push(leaseKey);
      }
    });
    await this.#refresh(stale).catch(() => stale.forEach((key) => this.#table.delete(key)));
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
    for (const { lease } of this.#table.values()) {
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

  /** The deputy watches the leader closely (fast heartbeats) and takes over first: the live worker with the lowest slot. */
  #chooseDeputy(view: FleetView, live: ReadonlyMap<string, string>, update: MutableUpdate): void {
    const candidates = [...live.entries()].filter(([id]) => id !== this.#context.workerId).map(([, slot]) => slot);
    candidates.sort((a, b) => parseInt(a, 36) - parseInt(b, 36));
    const deputy = candidates[0];
    if (deputy === view.deputy) return;
    if (deputy === undefined) update.remove.push(FLEET.deputy);
    else update.set[FLEET.deputy] = deputy;
  }
}

interface MutableUpdate {
  readonly set: Record<string, FleetValue>;
  readonly increment: Record<string, number>;
  readonly remove: string[];
}

function emptyUpdate(): MutableUpdate {
  return { set: {}, increment: {}, remove: [] };
}

function increment(update: MutableUpdate, attribute: string, by: number): void {
  update.increment[attribute] = (update.increment[attribute] ?? 0) + by;
}

function hasChanges(update: MutableUpdate): boolean {
  return Object.keys(update.set).length > 0 || Object.keys(update.increment).length > 0 || update.remove.length > 0;
}

