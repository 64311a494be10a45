import type { Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { LEASE_METRICS } from '../metric-names.js';
import { FLEET, slotAttribute, slotAttributes, type FleetView } from './fleet-item.js';
import type { FleetStore } from './fleet-store.js';
import { LEADER_CONCURRENCY, type LeaderContext, type LeaderSettings } from './leader-context.js';
import type { LeaderTable } from './leader-table.js';
import { pool } from './pool.js';

/** What the burial of dead workers needs of the leader's context. */
export type BurialContext = Pick<LeaderContext, 'workerId' | 'clock' | 'logger' | 'metrics' | 'sightings' | 'run' | 'writeFleet'> & {
  readonly store: Pick<LeaseStore & FleetStore, 'ownedLeaseKeys' | 'getLease'>;
  readonly settings: Pick<LeaderSettings, 'failoverTimeMillis'>;
  readonly table: LeaderTable;
};

/** The leader's judgement of dead workers: a slot whose heartbeat stopped is removed, and its leases become placeable. */
export class Burial {
  readonly #context: BurialContext;

  constructor(context: BurialContext) {
    this.#context = context;
  }

  /** Slots whose heartbeat has not changed for failoverTimeMillis on this clock. */
  staleSlots(view: FleetView): string[] {
    const now = this.#context.clock.now();
    return [...view.slots.keys()].filter(
      (slot) => this.#context.table.workers.get(slot) !== this.#context.workerId && this.#context.sightings.unchangedFor(slot, now) >= this.#context.settings.failoverTimeMillis,
    );
  }

  /**
   * Removes a dead worker: reads its leases, THEN confirms its heartbeat is still the stale value
   * by a write conditional on it (removing its slot), so every lease value read was written before
   * the worker's life ended. The leases are then placed as unowned, each write conditional on the
   * counter read here.
   */
  async bury(slot: string, view: FleetView): Promise<void> {
    const { store, sightings, workerId: me, logger, metrics, table } = this.#context;
    const workerId = table.workers.get(slot);
    const heartbeat = view.slots.get(slot)?.heartbeat;
    if (heartbeat === undefined || sightings.value(slot) !== heartbeat) return;
    // Every value of the worker's leases known before the confirmation will do (a later change by
    // the worker fails the conditional placement): the table's, and a read of those it lacks.
    const owned = (key: string): boolean => workerId !== undefined && table.leases.get(key)?.lease.leaseOwner === workerId;
    const listed = workerId === undefined ? [] : await this.#context.run((signal) => store.ownedLeaseKeys(workerId, signal));
    const leases: Lease[] = [];
    await pool(listed.filter((key) => !owned(key)), LEADER_CONCURRENCY, async (key) => {
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
    for (const lease of leases) table.see(lease, at);
    table.buried(slot, workerId);
    metrics.count(LEASE_METRICS.workersDeclaredDead);
    logger.warn('worker declared dead: its leases are placed on the others', { workerId: workerId ?? `(slot ${slot})`, leases: leases.length });
  }
}
