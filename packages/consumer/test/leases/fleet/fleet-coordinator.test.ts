import { afterEach, describe, expect, inject, it } from 'vitest';
import { dynamoClient, FaultProxy, waitFor } from '../../../../../test/harness/index.js';
import { DynamoDBLeaseStore } from '../../../src/leases/dynamodb-lease-store.js';
import { FLEET_ITEM_KEY } from '../../../src/leases/fleet/fleet-item.js';
import { FleetCoordinator } from '../../../src/leases/fleet/fleet-coordinator.js';
import { LeaseFleet } from '../../support/leases.js';

const FLEET = {
  failoverTimeMillis: 4_000,
  leaseLossMarginMillis: 1_000,
  heartbeatIntervalMillis: 250,
  leaderIntervalMillis: 100,
  tableScanIntervalMillis: 1_000,
  balanceThroughput: true,
};

/** The leader's fleet write telling workers of new leases: it increments an epoch `e<slot>`, conditional on `ldr` (a join sets e<slot> too, with no such condition). */
function isEpochWrite(operation: string, body: Record<string, unknown>): boolean {
  const key = (body.Key as { leaseKey?: { S?: string } } | undefined)?.leaseKey?.S;
  const names = Object.values((body.ExpressionAttributeNames as Record<string, string> | undefined) ?? {});
  return operation === 'UpdateItem' && key === FLEET_ITEM_KEY && names.includes('ldr') && names.some((name) => /^e[0-9a-z]+$/.test(name));
}

describe('FleetCoordinator under DynamoDB faults (FaultProxy in front of dynalite)', () => {
  let fleet: LeaseFleet;
  let proxy: FaultProxy | undefined;
  const coordinators: FleetCoordinator[] = [];

  afterEach(async () => {
    await Promise.all(coordinators.splice(0).map((c) => c.halt()));
    await fleet.close();
    await proxy?.close();
  });

  it('a worker still takes the leases placed on it when the write telling it so never answers', async () => {
    // Regression: the epoch bump went out once, with the step's other changes; when that write was
    // lost the placed leases stayed owned by a worker that never looked for them.
    fleet = new LeaseFleet();
    await fleet.store.ensureTable();
    let dropped = 0;
    proxy = await FaultProxy.start(inject('dynamoEndpoint'), ({ operation, body }) => {
      if (dropped > 0 || !isEpochWrite(operation, body)) return undefined;
      dropped += 1;
      return { kind: 'blackHole' };
    });
    const store = new DynamoDBLeaseStore({ client: dynamoClient({ accountId: fleet.accountId, endpoint: proxy.endpoint }), tableName: fleet.tableName, maxAttempts: 1 });
    const worker = new FleetCoordinator({ ...FLEET, workerId: 'a', store });
    coordinators.push(worker);
    worker.start();
    // Leader and member at rest first (its own first look for leases done), then leases appear.
    await waitFor(() => worker.isLeader(), { description: 'the worker to lead' });
    await waitFor(async () => ((await store.readFleet())?.get('h1') ?? 0) !== 0, { description: 'the worker to heartbeat' });
    const leases = await fleet.createLeases(2);
    await waitFor(() => dropped === 1, { description: 'the first epoch write to be black-holed' });
    await waitFor(() => worker.state.held.size === leases.length, { timeoutMs: 15_000, description: 'the worker to take both leases anyway' });
    expect(proxy.count('UpdateItem', 'blackHole')).toBe(1);
  }, 30_000);
});
