import type { Clock, Logger, Metrics } from '@kinesis-kit/core';
import type { HeldLease, ObservedLease } from '../coordinator-state.js';
import type { LeaseStore } from '../lease-store.js';
import type { FleetStore, FleetUpdate, FleetWriteResult } from './fleet-store.js';
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

/** Lease requests in flight at once from one step (the leader's heartbeats share its client and must not queue behind many). */
export const LEADER_CONCURRENCY = 16;
