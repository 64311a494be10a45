import { systemClock, type Clock } from '@kinesis-kit/core';
import { AbortScope } from '../leases/abort-scope.js';
import type { EmitConsumerEvent } from '../consumer-events.js';
import type { CoordinatorState } from '../leases/coordinator-state.js';
import type { Coordination } from '../leases/coordination.js';
import type { LeaseStore } from '../leases/lease-store.js';
import type { KinesisReadPort } from '../retrieval/kinesis-port.js';
import type { InitialPosition } from './initial-position.js';
import { deletableLeases } from './lease-tree.js';
import { syncShards } from './shard-sync.js';

/** A stream to sync: ListShards with shard ids as lease keys, and where new roots start. */
export interface ShardSyncTarget {
  readonly port: Pick<KinesisReadPort, 'listShards'>;
  readonly initialPosition: InitialPosition;
}

/** One stream (`port`, `initialPosition`), or several (`syncTargets`, read at every sync: streams come and go). */
export type MaintenanceOptions = MaintenanceBase & (ShardSyncTarget | { readonly syncTargets: () => readonly ShardSyncTarget[] });

interface MaintenanceBase {
  readonly coordinator: Coordination;
  readonly store: Pick<LeaseStore, 'createLease'>;
  readonly shardSyncIntervalMillis: number;
  readonly leaseCleanupIntervalMillis: number;
  readonly emit: EmitConsumerEvent;
  readonly clock?: Clock;
}

/**
 * The fleet's periodic chores, done by one worker only: the leader, as the coordination decides
 * (Coordination.isLeader). It runs shard sync every shardSyncIntervalMillis (children
 * are normally created at shard end; this catches what that missed) and deletes finished
 * leases every leaseCleanupIntervalMillis. Both run from the table the leader already holds: no extra reads.
 *
 * The chores run in the background: a taking round only starts them (never twice at once) and
 * goes on, so a slow ListShards or the cleanup of thousands of leases after a reshard never
 * delays taking, parent checks or stop(). `stop()` aborts them.
 */
export class LeaderMaintenance {
  readonly #options: MaintenanceOptions;
  readonly #targets: () => readonly ShardSyncTarget[];
  readonly #clock: Clock;
  #lastSync: number;
  #lastCleanup: number;
  readonly #scope: AbortScope;
  #chores: Promise<void> | undefined;

  constructor(options: MaintenanceOptions, syncedAt: number) {
    this.#options = options;
    this.#targets = 'syncTargets' in options ? options.syncTargets : () => [{ port: options.port, initialPosition: options.initialPosition }];
    this.#clock = options.clock ?? systemClock;
    this.#lastSync = syncedAt;
    this.#lastCleanup = syncedAt;
    this.#scope = new AbortScope(this.#clock);
    options.coordinator.onRound(async (state) => void this.run(state));
  }

  /** Aborts the chores in progress (their requests reject at once) and starts no more. */
  async stop(): Promise<void> {
    this.#scope.abort();
    await this.#chores;
  }

  /** Whether this worker is the leader in `state` (the coordination decides). */
  isLeader(state: CoordinatorState): boolean {
    return this.#options.coordinator.isLeader(state);
  }

  /** Starts the chores that are due when this worker is the leader; resolves with them (the round does not wait). */
  run(state: CoordinatorState): Promise<void> {
    if (this.#chores !== undefined || this.#scope.aborted || !this.isLeader(state)) return this.#chores ?? Promise.resolve();
    const now = this.#clock.now();
    const sync = now - this.#lastSync >= this.#options.shardSyncIntervalMillis;
    const cleanup = now - this.#lastCleanup >= this.#options.leaseCleanupIntervalMillis;
    if (!sync && !cleanup) return Promise.resolve();
    if (sync) this.#lastSync = now;
    if (cleanup) this.#lastCleanup = now;
    const chores = this.#runChores(state, sync, cleanup).finally(() => {
      this.#chores = undefined;
    });
    this.#chores = chores;
    return chores;
  }

  async #runChores(state: CoordinatorState, sync: boolean, cleanup: boolean): Promise<void> {
    const report = (source: 'shardSync' | 'cleanup') => (error: unknown) => {
      if (!this.#scope.aborted) this.#options.emit('error', { error, source });
    };
    // One stream failing to sync (throttled, deleted) does not hold the others back.
    for (const target of sync ? this.#targets() : []) {
      if (this.#scope.aborted) return;
      await this.#sync(state, target).catch(report('shardSync'));
    }
    if (cleanup && !this.#scope.aborted) await this.#cleanup(state).catch(report('cleanup'));
  }

  async #sync(state: CoordinatorState, target: ShardSyncTarget): Promise<void> {
    const { created } = await this.#scope.run((signal) =>
      syncShards({
        port: target.port,
        store: this.#options.store,
        leaseKeys: new Set(state.table.keys()),
        initialPosition: target.initialPosition,
        clock: this.#clock,
        signal,
      }),
    );
    if (created.length === 0) return;
    this.#options.emit('leasesCreated', { shardIds: created.map((l) => l.leaseKey), by: 'shardSync' });
    this.#options.coordinator.wake();
  }

  async #cleanup(state: CoordinatorState): Promise<void> {
    const candidates = deletableLeases([...state.table.values()].map((o) => o.lease));
    const deleted: string[] = [];
    for (const lease of candidates) {
      if (this.#scope.aborted) break;
      if (await this.#scope.run(() => this.#options.coordinator.deleteFinished(lease))) deleted.push(lease.leaseKey);
    }
    if (deleted.length > 0) this.#options.emit('leasesCleanedUp', { shardIds: deleted });
  }
}
