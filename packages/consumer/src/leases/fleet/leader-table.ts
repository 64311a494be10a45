import type { ObservedLease } from '../coordinator-state.js';
import { isFinished, type Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { slotAttribute, type FleetView } from './fleet-item.js';
import type { FleetStore } from './fleet-store.js';
import { LEADER_CONCURRENCY, type LeaderContext, type LeaderSettings } from './leader-context.js';
import { pool } from './pool.js';

/** What the table knowledge needs of the leader's context. */
export type LeaderTableContext = Pick<LeaderContext, 'workerId' | 'clock' | 'run'> & {
  readonly store: Pick<LeaseStore & FleetStore, 'scanTable' | 'getLease'>;
  readonly settings: Pick<LeaderSettings, 'failoverTimeMillis' | 'tableScanIntervalMillis'>;
};

/** When new leases may exist (a worker said so), the next scan waits at least this long after the last. */
const MIN_SCAN_GAP_MS = 2_000;

/**
 * What the leader knows of the lease table and of the fleet's members: one scan when it becomes
 * leader, then every tableScanIntervalMillis or when a worker signals new leases; its own writes
 * and targeted reads in between. Each lease is kept with the time its counter was first seen as it
 * is (a foreign owner's lease expires failoverTimeMillis after that).
 */
export class LeaderTable {
  readonly #context: LeaderTableContext;
  readonly #table = new Map<string, ObservedLease>();
  /** slot -> worker id. */
  readonly #workers = new Map<string, string>();
  /** Multi-stream workers' streams, by worker id (absent: every stream). */
  readonly #streams = new Map<string, readonly string[]>();
  /** Workers confirmed dead: their leases are placed as unowned. */
  readonly #dead = new Set<string>();
  #scannedAt: number | undefined;
  #scanNow = false;
  #changesSeen: number | undefined;

  constructor(context: LeaderTableContext) {
    this.#context = context;
  }

  /** Every lease as last read or written, by key. */
  get leases(): ReadonlyMap<string, ObservedLease> {
    return this.#table;
  }

  /** The members known by slot: slot -> worker id. */
  get workers(): ReadonlyMap<string, string> {
    return this.#workers;
  }

  isDead(workerId: string): boolean {
    return this.#dead.has(workerId);
  }

  /** A multi-stream worker's streams; undefined = every stream. */
  streamsOf(workerId: string): readonly string[] | undefined {
    return this.#streams.get(workerId);
  }

  /** This worker made new leases (shard sync, children): read the table at the next step. */
  scanSoon(): void {
    this.#scanNow = true;
  }

  forget(leaseKey: string): void {
    this.#table.delete(leaseKey);
  }

  /** A worker's slot was removed after its heartbeat stopped: its leases are placed as unowned. */
  buried(slot: string, workerId: string | undefined): void {
    this.#workers.delete(slot);
    if (workerId !== undefined) this.#dead.add(workerId);
  }

  scanDue(view: FleetView): boolean {
    const now = this.#context.clock.now();
    if (this.#scannedAt === undefined || this.#scanNow) return true;
    // Another worker made leases (children at a shard end): many may, so such scans are spaced.
    const newLeases = this.#changesSeen !== undefined && view.changes !== this.#changesSeen;
    const interval = this.#foreignPending(now) ? this.#context.settings.failoverTimeMillis / 2 : this.#context.settings.tableScanIntervalMillis;
    return now - this.#scannedAt >= (newLeases ? MIN_SCAN_GAP_MS : interval);
  }

  async scan(view: FleetView): Promise<void> {
    this.#scanNow = false;
    this.#changesSeen = view.changes;
    const snapshot = await this.#context.run((signal) => this.#context.store.scanTable(signal));
    // Stamped when the scan returned: a counter is never judged older than it is.
    const at = this.#context.clock.now();
    this.#scannedAt = at;
    const seen = new Set<string>();
    for (const lease of snapshot.leases) {
      seen.add(lease.leaseKey);
      this.see(lease, at);
    }
    for (const key of this.#table.keys()) if (!seen.has(key)) this.#table.delete(key);
    for (const worker of snapshot.workers) {
      if (!view.slots.has(worker.slot)) continue;
      this.#known(worker.slot, worker.workerId);
      if (worker.streams !== undefined) this.#streams.set(worker.workerId, worker.streams);
    }
  }

  /** A lease as read or written at `at`: its counter's first sighting is kept while it does not change. */
  see(lease: Lease, at: number): void {
    const previous = this.#table.get(lease.leaseKey);
    const unchanged = previous !== undefined && previous.lease.leaseCounter === lease.leaseCounter && previous.lease.leaseOwner === lease.leaseOwner;
    this.#table.set(lease.leaseKey, { lease, counterSeenAt: unchanged ? previous.counterSeenAt : at });
  }

  async refresh(keys: readonly string[]): Promise<void> {
    const { store, clock } = this.#context;
    await pool(keys, LEADER_CONCURRENCY, async (key) => {
      const lease = await this.#context.run((signal) => store.getLease(key, signal));
      if (lease === undefined) this.#table.delete(key);
      else this.see(lease, clock.now());
    });
  }

  /** New slots' worker ids and workers' new stream lists, recorded; those attributes are removed by this step's write. */
  recordJoins(view: FleetView): string[] {
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
  departedLeases(view: FleetView, leaving: boolean): string[] {
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

  #known(slot: string, workerId: string): void {
    this.#workers.set(slot, workerId);
    this.#dead.delete(workerId);
  }

  #foreignPending(now: number): boolean {
    const members = new Set(this.#workers.values());
    for (const { lease, counterSeenAt } of this.#table.values()) {
      const owner = lease.leaseOwner;
      if (owner !== undefined && !members.has(owner) && !this.#dead.has(owner) && !isFinished(lease) && now - counterSeenAt <= this.#context.settings.failoverTimeMillis) return true;
    }
    return false;
  }
}
