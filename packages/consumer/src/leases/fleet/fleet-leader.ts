import { FLEET, type FleetView } from './fleet-item.js';
import { emptyUpdate, hasChanges } from './fleet-update-draft.js';
import { Burial } from './burial.js';
import type { LeaderContext } from './leader-context.js';
import { LeaderTable } from './leader-table.js';
import { Placement } from './placement.js';

/** At cold start the first plan waits until no worker has joined for this long (at most COLD_START_MAX_WAIT_MS). */
const SETTLE_MS = 500;
const COLD_START_MAX_WAIT_MS = 3_000;

/**
 * The leader's side of the fleet protocol (see FleetCoordinator for the whole): it keeps the lease
 * table in memory (one scan when it becomes leader, then every tableScanIntervalMillis or when a
 * worker signals new leases; its own writes and targeted reads in between), buries dead workers,
 * places unowned leases, asks owners to hand over leases a joining worker should get, and runs
 * the fleet's chores. Every step is driven by the member's heartbeat (every leaderIntervalMillis).
 * The pieces: LeaderTable (what it knows of the table), Burial (dead workers), Placement.
 */
export class FleetLeader {
  readonly #context: LeaderContext;
  readonly #table: LeaderTable;
  readonly #burial: Burial;
  readonly #placement: Placement;
  readonly #since: number;
  #slotsSeen = '';
  #slotsStableSince: number;
  #running: Promise<void> | undefined;
  #next: { view: FleetView; leaving: boolean } | undefined;
  #stopped = false;

  constructor(context: LeaderContext) {
    this.#context = context;
    this.#table = new LeaderTable(context);
    this.#burial = new Burial({ ...context, table: this.#table });
    this.#placement = new Placement({ ...context, table: this.#table });
    this.#since = context.clock.now();
    this.#slotsStableSince = this.#since;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** This worker made new leases (shard sync, children): read the table at the next step. */
  scanSoon(): void {
    this.#table.scanSoon();
  }

  forgetLease(leaseKey: string): void {
    this.#table.forget(leaseKey);
  }

  /** The worker to hand the lock to at a graceful stop: the deputy, or any other live worker. */
  successor(): string | undefined {
    return [...this.#table.workers.entries()].find(([, id]) => id !== this.#context.workerId && !this.#table.isDead(id))?.[1];
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
    if (this.#table.scanDue(view)) await this.#table.scan(view);
    const removals = this.#table.recordJoins(view);
    await this.#table.refresh([...this.#table.departedLeases(view, leaving), ...this.#placement.movedLeases(view)]);
    for (const slot of this.#burial.staleSlots(view)) await this.#burial.bury(slot, view);
    if (this.#stopped) return;
    const live = this.#placement.liveWorkers(view, leaving);
    const now = clock.now();
    const slots = [...view.slots.keys()].sort().join(',');
    if (slots !== this.#slotsSeen) {
      this.#slotsSeen = slots;
      this.#slotsStableSince = now;
    }
    const update = this.#settling(live, now) || live.size === 0 ? emptyUpdate() : await this.#placement.place(view, live);
    for (const name of removals) update.remove.push(name);
    this.#placement.chooseDeputy(view, live, update);
    if (hasChanges(update)) {
      const written = await this.#context.writeFleet({ ...update, conditions: [{ attribute: FLEET.leader, equals: this.#context.workerId }] });
      if (written.kind === 'updated') this.#placement.told();
    }
    await this.#context.onRound(this.#table.leases);
  }

  /**
   * At a cold start (no live worker owns a lease yet) the first plan waits for the joins to
   * settle, so the first round is already fair. A leader taking over a running fleet never waits:
   * the leases of a dead leader are placed at once.
   */
  #settling(live: ReadonlyMap<string, string>, now: number): boolean {
    if (this.#placement.planned || now - this.#slotsStableSince >= SETTLE_MS || now - this.#since >= COLD_START_MAX_WAIT_MS) return false;
    for (const { lease } of this.#table.leases.values()) if (lease.leaseOwner !== undefined && live.has(lease.leaseOwner)) return false;
    return true;
  }
}
