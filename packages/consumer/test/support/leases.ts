// Helpers for the lease-layer tests: a fleet of in-process LeaseCoordinators sharing one lease
// table in an emulator (dynalite by default), with short failover times.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Fault } from '../../../../test/harness/index.js';
import { dynamoClient, testAccountId, uniqueName, waitFor } from '../../../../test/harness/index.js';
import type { LeaseChange } from '../../src/leases/diagnostics.js';
import { DynamoDBLeaseStore } from '../../src/leases/dynamodb-lease-store.js';
import { newLease, type Lease } from '../../src/leases/lease.js';
import type { LeaseStore } from '../../src/leases/lease-store.js';
import { LeaseCoordinator, type LeaseCoordinatorSettings } from '../../src/leases/lease-coordinator.js';
import { TRIM_HORIZON } from '../../src/position.js';

/**
 * Test settings: taking rounds every 300 ms (what the coordinator tests are about), and the KCL's
 * 10 s failover, so no lease ever looks expired by accident: dynalite runs inside the busy vitest
 * main process, and a stall of the shared emulator delays every worker's renewals at once (as a
 * DynamoDB brown-out would). Tests of expiry itself use EXPIRY_LEASES.
 */
export const FAST_LEASES: LeaseCoordinatorSettings = {
  failoverTimeMillis: 10_000,
  epsilonMillis: 25,
  leaseTakingIntervalMillis: 300,
  maxLeasesForWorker: Number.MAX_SAFE_INTEGER,
  maxLeasesToStealAtOneTime: Number.MAX_SAFE_INTEGER,
  leaseLossMarginMillis: 1_000,
};

/** For tests of expiry: a lease expires 4 s after its counter last moved (renewals every 1.3 s). */
export const EXPIRY_LEASES: Partial<LeaseCoordinatorSettings> = { failoverTimeMillis: 4_000 };

export const NO_DELAY = { delayMs: () => 0 };

export interface FleetWorker {
  readonly workerId: string;
  readonly coordinator: LeaseCoordinator;
  readonly store: DynamoDBLeaseStore;
  readonly changes: LeaseChange[];
  /** Held lease count at the end of each taking round, in order. */
  readonly heldAfterRound: number[];
}

/** Coordinators over one table; `close()` halts them all (no release). */
export class LeaseFleet {
  readonly tableName = uniqueName('leases');
  readonly accountId = testAccountId();
  readonly workers: FleetWorker[] = [];
  readonly client: DynamoDBClient;
  readonly store: DynamoDBLeaseStore;

  constructor(endpoint?: string) {
    this.client = dynamoClient({ accountId: this.accountId, ...(endpoint === undefined ? {} : { endpoint }) });
    this.store = new DynamoDBLeaseStore({ client: this.client, tableName: this.tableName, backoff: NO_DELAY });
  }

  async createLeases(count: number): Promise<Lease[]> {
    await this.store.ensureTable();
    const leases = Array.from({ length: count }, (_, i) => newLease({ leaseKey: `shardId-${String(i).padStart(12, '0')}`, checkpoint: TRIM_HORIZON }));
    await Promise.all(leases.map((l) => this.store.createLease(l)));
    return leases;
  }

  /** Starts a coordinator; `client` lets a worker go through a fault proxy, `wrapStore` lets a test watch its store calls. */
  start(
    workerId: string,
    options: { client?: DynamoDBClient; settings?: Partial<LeaseCoordinatorSettings>; wrapStore?: (store: LeaseStore) => LeaseStore } = {},
  ): FleetWorker {
    const store = new DynamoDBLeaseStore({ client: options.client ?? this.client, tableName: this.tableName, backoff: { delayMs: () => 20 } });
    const coordinator = new LeaseCoordinator({ ...FAST_LEASES, ...options.settings, workerId, store: options.wrapStore?.(store) ?? store });
    const worker: FleetWorker = { workerId, coordinator, store, changes: [], heldAfterRound: [] };
    coordinator.onChange((changes) => worker.changes.push(...changes));
    coordinator.onRound(async (state) => {
      worker.heldAfterRound.push(state.held.size);
    });
    coordinator.start();
    this.workers.push(worker);
    return worker;
  }

  /** Lease owner counts as the table says (a consistent scan), keys sorted. */
  async ownerCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const lease of await this.store.listLeases()) {
      const owner = lease.leaseOwner ?? '(none)';
      counts[owner] = (counts[owner] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Resolves once every listed worker has completed `rounds` more taking rounds. */
  async rounds(workers: readonly FleetWorker[], rounds: number): Promise<void> {
    const targets = workers.map((w) => w.heldAfterRound.length + rounds);
    await waitFor(() => workers.every((w, i) => w.heldAfterRound.length >= targets[i]!), { timeoutMs: 20_000, description: `${rounds} more taking rounds` });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.coordinator.halt()));
    this.client.destroy();
  }
}

/** The lease key of a DynamoDB item request as the fault proxy sees it ('' for a Scan). */
export function leaseKeyOf(body: Record<string, unknown>): string {
  return (body.Key as { leaseKey?: { S?: string } } | undefined)?.leaseKey?.S ?? '';
}

/** Whether a request is a renewal (the only UpdateItem that sets nothing but the counter). */
export function isRenewal(operation: string, body: Record<string, unknown>): boolean {
  return operation === 'UpdateItem' && body.UpdateExpression === 'SET #leaseCounter = :next';
}

/** DynamoDB throttling as the service answers it. */
export const THROTTLED: Fault = { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' };
