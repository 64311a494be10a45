import type { Position } from '../position.js';
import type { CoordinatorState, HeldLease } from './coordinator-state.js';
import type { LeaseChange } from './diagnostics.js';
import type { Lease } from './lease.js';

/** Told of the changes to held leases, with the states before and after. */
export type ChangeListener = (changes: readonly LeaseChange[], after: CoordinatorState) => void;
/** Runs after every leader round (or taking round), with the table as this worker knows it. */
export type RoundListener = (state: CoordinatorState) => Promise<void>;
/** Asked to stop consuming a held lease gracefully, then release() it (the coordination moves it on). */
export type HandoffListener = (leaseKey: string) => void;

/** The settings every coordination shares. */
export interface CoordinationSettings {
  readonly failoverTimeMillis: number;
  /** A worker that cannot prove it is alive gives its leases up this long before anyone may take them. */
  readonly leaseLossMarginMillis: number;
}

/**
 * What the rest of the consumer (shard scheduler, lease handles, leader chores) needs from lease
 * coordination. Two implement it: FleetCoordinator (the default: a leader assigns, workers
 * heartbeat into one fleet item) and LeaseCoordinator (the Java KCL 2.x protocol: every worker
 * scans, takes and steals, per-lease renewals).
 */
export interface Coordination {
  readonly workerId: string;
  readonly state: CoordinatorState;
  readonly settings: CoordinationSettings;
  heldLease(leaseKey: string): HeldLease | undefined;
  onChange(listener: ChangeListener): void;
  onRound(listener: RoundListener): void;
  onHandoff(listener: HandoffListener): void;
  /** Whether this worker runs the fleet's chores (shard sync, cleanup) for `state`. */
  isLeader(state: CoordinatorState): boolean;
  start(): void;
  /** Something changed in the table that the assignment should see soon (new child leases). */
  wake(): void;
  /** Takes no more leases (graceful stop begins); held leases are kept until released. */
  stopTaking(): Promise<void>;
  /** After every lease was released: leave the fleet so others take over at once. */
  leave(): Promise<void>;
  /** Stops every timer and aborts every request without releasing anything. */
  halt(): Promise<void>;
  checkpoint(leaseKey: string, position: Position): Promise<'ok' | 'leaseLost'>;
  addChildShards(leaseKey: string, childShardIds: readonly string[]): Promise<'ok' | 'leaseLost'>;
  release(leaseKey: string): Promise<'released' | 'notHeld'>;
  forget(leaseKey: string): void;
  deleteFinished(lease: Lease): Promise<boolean>;
  /** Multi-stream: the streams this worker consumes changed (the leader stops giving it others' leases). */
  streamsChanged(): Promise<void>;
  /** Bytes a held lease's processor was given: its throughput goes with its next checkpoint (fleet coordination balances on it). */
  recordProcessed(leaseKey: string, bytes: number): void;
}
