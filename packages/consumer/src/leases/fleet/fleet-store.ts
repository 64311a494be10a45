import type { Lease } from '../lease.js';

/**
 * What the fleet protocol needs from the lease table beyond the lease store: the fleet item
 * (one small item every worker heartbeats into and the leader renews), the workers' own items,
 * one scan of everything, and the LeaseOwnerToLeaseKeyIndex GSI. See fleet-item.ts for the
 * fleet item's attributes and the protocol.
 */
export interface FleetStore {
  /**
   * Every lease and every worker item, in one scan. Eventually consistent, which is safe: the leader
   * never acts on a scanned lease without a write conditional on the counter it read (a stale value
   * only makes that write fail, and the lease is read again), and it judges a counter stale only
   * after seeing it unchanged for failoverTimeMillis.
   */
  scanTable(signal?: AbortSignal): Promise<TableSnapshot>;
  /** Keys of the leases whose leaseOwner is `owner`, from the GSI (eventually consistent, may lag the table). */
  ownedLeaseKeys(owner: string, signal?: AbortSignal): Promise<string[]>;
  /** The fleet item, consistent read; undefined when absent. */
  readFleet(signal?: AbortSignal): Promise<FleetAttributes | undefined>;
  /** One conditional UpdateItem of the fleet item, returning the item as it is after the write (ALL_NEW). */
  updateFleet(update: FleetUpdate, signal?: AbortSignal): Promise<FleetWriteResult>;
  /** Writes this worker's item (the KCL 3.5 WORKER_METRIC_STATS format). */
  putWorker(worker: WorkerRecord, signal?: AbortSignal): Promise<void>;
  /** Deletes a worker's item (absent is fine). */
  deleteWorker(workerId: string, signal?: AbortSignal): Promise<void>;
}

export interface TableSnapshot {
  readonly leases: readonly Lease[];
  readonly workers: readonly WorkerRecord[];
}

/** The whole lease table as tooling reads it (DynamoDBLeaseStore.readTable): leases, our worker items and the fleet item. */
export interface TableContents extends TableSnapshot {
  /** The fleet item's attributes (fleet-item.ts); undefined when the table has none (no fleet worker ever ran). */
  readonly fleet: FleetAttributes | undefined;
}

/** A worker as its item records it: its id (the leaseKey of the item) and its slot in the fleet item. */
export interface WorkerRecord {
  readonly workerId: string;
  readonly slot: string;
  /** Multi-stream: the stream identifiers this worker consumes (the leader gives it no other leases); undefined = every stream. */
  readonly streams?: readonly string[];
}

/** The fleet item's attributes other than its key and entityType: strings and numbers only. */
export type FleetAttributes = ReadonlyMap<string, FleetValue>;
export type FleetValue = string | number;

/** A typed UpdateItem: SETs, increments (absent counts as 0), REMOVEs, under conditions that must all hold. */
export interface FleetUpdate {
  readonly set?: Readonly<Record<string, FleetValue>>;
  readonly increment?: Readonly<Record<string, number>>;
  readonly remove?: readonly string[];
  readonly conditions?: readonly FleetCondition[];
  /** Creates the item (with entityType) when absent; without it the write fails on an absent item. */
  readonly createIfAbsent?: boolean;
}

export type FleetCondition =
  | { readonly attribute: string; readonly equals: FleetValue }
  | { readonly attribute: string; readonly exists: boolean };

export type FleetWriteResult = { readonly kind: 'updated'; readonly fleet: FleetAttributes } | { readonly kind: 'conditionFailed' };
