import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Logger, noopLogger } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dynamoClient, FaultProxy, testAccountId, uniqueName, waitFor } from '../../../../test/harness/index.js';
import { DynamoDBLeaseStore } from '../../src/leases/dynamodb-lease-store.js';
import { FLEET_ITEM_KEY } from '../../src/leases/fleet/fleet-item.js';
import { newLease, type Lease } from '../../src/leases/lease.js';
import { TRIM_HORIZON } from '../../src/position.js';

/**
 * Both create a GSI at CreateTable and answer Query on it. dynalite (3.x) validates an UpdateTable
 * adding a GSI and then ignores it (actions/updateTable.js handles only Update of throughput):
 * there the upgraded table keeps no index and owned leases are found by the scan fallback.
 * DynamoDB Local (3.3.0) adds it (CREATING, ACTIVE after ~2 s), but while it is CREATING, writes
 * that put an item under the index key fail with InternalFailure (real DynamoDB accepts writes
 * during a backfill): the test waits for ACTIVE before writing.
 */
const ENGINES = [
  { engine: 'dynalite', endpoint: () => inject('dynamoEndpoint'), addsIndexOnUpdate: false },
  { engine: 'DynamoDB Local', endpoint: () => inject('dynamoDBLocalEndpoint'), addsIndexOnUpdate: true },
] as const;

const NO_DELAY = { delayMs: () => 0 };

function mustHave<K extends string>(result: { kind: string; lease?: Lease }, kind: K): Lease {
  expect(result.kind).toBe(kind);
  return (result as { lease: Lease }).lease;
}

/** A logger keeping its warnings. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...noopLogger, warn: (message: string) => void warnings.push(message), warnings };
}

/** A lease table as KCL 2.x (or this library before the GSI) made it: hash key leaseKey only. */
async function createTableWithoutIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
    }),
  );
  await waitFor(async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE', {
    description: 'the table to be ACTIVE',
  });
}

describe.each(ENGINES)('DynamoDBLeaseStore as a FleetStore against $engine', ({ endpoint, addsIndexOnUpdate }) => {
  let client: DynamoDBClient;
  let store: DynamoDBLeaseStore;

  beforeAll(async () => {
    client = dynamoClient({ accountId: testAccountId(), endpoint: endpoint() });
    store = new DynamoDBLeaseStore({ client, tableName: uniqueName('leases'), backoff: NO_DELAY });
    expect(await store.ensureTable()).toBe('created');
  });

  afterAll(() => client.destroy());

  const taken = async (owner: string): Promise<Lease> => {
    const created = mustHave(await store.createLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON })), 'created');
    return mustHave(await store.takeLease(created, owner), 'taken');
  };

  it('creates the table with the KCL 3.x LeaseOwnerToLeaseKeyIndex GSI (hash leaseOwner, range leaseKey, KEYS_ONLY)', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: store.tableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'LeaseOwnerToLeaseKeyIndex',
      KeySchema: [
        { AttributeName: 'leaseOwner', KeyType: 'HASH' },
        { AttributeName: 'leaseKey', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('adds the GSI to an existing table without it (UpdateTable, not waited for) and still accepts the table', async () => {
    const tableName = uniqueName('old-leases');
    await createTableWithoutIndex(client, tableName);
    const upgraded = new DynamoDBLeaseStore({ client, tableName, backoff: NO_DELAY });
    expect(await upgraded.ensureTable()).toBe('exists');
    expect(upgraded.requestCounts().UpdateTable).toBe(1);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(addsIndexOnUpdate ? ['LeaseOwnerToLeaseKeyIndex'] : undefined);
    if (!addsIndexOnUpdate) return;
    expect(await upgraded.ensureTable()).toBe('exists');
    expect(upgraded.requestCounts().UpdateTable).toBe(1);
    await waitFor(
      async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes?.[0]?.IndexStatus === 'ACTIVE',
      { description: 'the added index to be ACTIVE' },
    );
    const created = mustHave(await upgraded.createLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON })), 'created');
    mustHave(await upgraded.takeLease(created, 'worker-a'), 'taken');
    await waitFor(async () => (await upgraded.ownedLeaseKeys('worker-a')).length === 1, { description: 'the lease in the added index' });
    expect(upgraded.requestCounts().Scan).toBeUndefined();
  });

  it('finds a worker’s leases through the GSI, following an owner change (eventually consistent: polled)', async () => {
    const [a, b] = [uniqueName('worker-a'), uniqueName('worker-b')];
    const first = await taken(a);
    const second = await taken(a);
    await waitFor(async () => (await store.ownedLeaseKeys(a)).length === 2, { description: 'both leases under worker a' });
    expect((await store.ownedLeaseKeys(a)).sort()).toEqual([first.leaseKey, second.leaseKey].sort());
    mustHave(await store.takeLease(second, b), 'taken');
    await waitFor(async () => (await store.ownedLeaseKeys(b)).includes(second.leaseKey), { description: 'the lease under worker b' });
    await waitFor(async () => !(await store.ownedLeaseKeys(a)).includes(second.leaseKey), { description: 'the lease gone from worker a' });
    expect(await store.ownedLeaseKeys(a)).toEqual([first.leaseKey]);
    expect(await store.ownedLeaseKeys(uniqueName('nobody'))).toEqual([]);
    expect(store.requestCounts().Query).toBeGreaterThan(0);
  });

  it('falls back to a filtered scan on a table without the GSI, warning once', async () => {
    const tableName = uniqueName('old-leases');
    await createTableWithoutIndex(client, tableName);
    const logger = recordingLogger();
    const old = new DynamoDBLeaseStore({ client, tableName, backoff: NO_DELAY, logger });
    const created = mustHave(await old.createLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON })), 'created');
    mustHave(await old.takeLease(created, 'worker-a'), 'taken');
    await old.putWorker({ workerId: 'worker-a', slot: '1' });
    expect(await old.ownedLeaseKeys('worker-a')).toEqual([created.leaseKey]);
    expect(await old.ownedLeaseKeys('worker-b')).toEqual([]);
    expect(logger.warnings.filter((w) => w.includes('LeaseOwnerToLeaseKeyIndex'))).toHaveLength(1);
    expect(old.requestCounts()).toMatchObject({ Query: 2, Scan: 2 });
  });

  describe('the fleet item', () => {
    // One fleet item per table: these tests run in order on their own table.
    let fleetStore: DynamoDBLeaseStore;
    beforeAll(async () => {
      fleetStore = new DynamoDBLeaseStore({ client, tableName: uniqueName('fleet'), backoff: NO_DELAY });
      await fleetStore.ensureTable();
    });

    it('is absent at first: readFleet is undefined and an update without createIfAbsent fails its condition', async () => {
      expect(await fleetStore.readFleet()).toBeUndefined();
      expect(await fleetStore.updateFleet({ set: { ldr: 'w1' } })).toEqual({ kind: 'conditionFailed' });
      expect(await fleetStore.readFleet()).toBeUndefined();
    });

    it('createIfAbsent creates it with entityType LEADER; increments start from 0; ALL_NEW comes back without key or type', async () => {
      const result = await fleetStore.updateFleet({ createIfAbsent: true, set: { ldr: 'w1', lc: 1 }, increment: { sl: 1, h1: 3 }, conditions: [{ attribute: 'ldr', exists: false }] });
      expect(result).toEqual({ kind: 'updated', fleet: new Map<string, string | number>([['ldr', 'w1'], ['lc', 1], ['sl', 1], ['h1', 3]]) });
      const { Item } = await client.send(new GetItemCommand({ TableName: fleetStore.tableName, Key: { leaseKey: { S: FLEET_ITEM_KEY } }, ConsistentRead: true }));
      expect(Item?.entityType).toEqual({ S: 'LEADER' });
      expect(await fleetStore.readFleet()).toEqual(new Map<string, string | number>([['ldr', 'w1'], ['lc', 1], ['sl', 1], ['h1', 3]]));
    });

    it('applies conditions: equals, exists, not exists; a failed one is a value and changes nothing', async () => {
      expect(await fleetStore.updateFleet({ set: { ldr: 'w2' }, conditions: [{ attribute: 'ldr', equals: 'w9' }] })).toEqual({ kind: 'conditionFailed' });
      expect(await fleetStore.updateFleet({ set: { ldr: 'w2' }, conditions: [{ attribute: 'lc', equals: 2 }] })).toEqual({ kind: 'conditionFailed' });
      expect(await fleetStore.updateFleet({ increment: { h1: 1 }, conditions: [{ attribute: 'h2', exists: true }] })).toEqual({ kind: 'conditionFailed' });
      expect(await fleetStore.updateFleet({ createIfAbsent: true, set: { ldr: 'w2' }, conditions: [{ attribute: 'ldr', exists: false }] })).toEqual({ kind: 'conditionFailed' });
      const result = await fleetStore.updateFleet({
        set: { ldr: 'w2', 'j2': 'worker-two' },
        increment: { lc: 1, sl: 1 },
        conditions: [{ attribute: 'ldr', equals: 'w1' }, { attribute: 'lc', equals: 1 }, { attribute: 'h1', exists: true }, { attribute: 'h2', exists: false }],
      });
      expect(result.kind).toBe('updated');
      expect(result.kind === 'updated' && Object.fromEntries(result.fleet)).toEqual({ ldr: 'w2', lc: 2, sl: 2, h1: 3, j2: 'worker-two' });
    });

    it('removes attributes with no value in the expression at all (a slot leaving the fleet)', async () => {
      // Regression: an empty ExpressionAttributeValues map is a ValidationException on DynamoDB.
      await fleetStore.updateFleet({ set: { j9: 'leaving' } });
      const result = await fleetStore.updateFleet({ remove: ['j9'] });
      expect(result.kind === 'updated' && result.fleet.has('j9')).toBe(false);
    });

    it('removes attributes and increments by any amount', async () => {
      const result = await fleetStore.updateFleet({ remove: ['j2'], increment: { h1: 98, chg: 1 } });
      expect(result.kind === 'updated' && Object.fromEntries(result.fleet)).toEqual({ ldr: 'w2', lc: 2, sl: 2, h1: 101, chg: 1 });
    });

    it('puts and deletes worker items; scanTable returns leases and our workers, skipping the fleet item and others’ items', async () => {
      const created = mustHave(await fleetStore.createLease(newLease({ leaseKey: 'shardId-000000000000', checkpoint: TRIM_HORIZON })), 'created');
      await fleetStore.putWorker({ workerId: 'worker-one', slot: '1' });
      await fleetStore.putWorker({ workerId: 'worker-two', slot: '2' });
      // A Java KCL 3.5 worker's metrics item (no slot of ours) and its leader lock.
      await client.send(new PutItemCommand({ TableName: fleetStore.tableName, Item: { leaseKey: { S: 'java-worker' }, entityType: { S: 'WORKER_METRIC_STATS' }, lut: { N: '1' } } }));
      await client.send(new PutItemCommand({ TableName: fleetStore.tableName, Item: { leaseKey: { S: 'Leader' }, entityType: { S: 'LEADER' }, ownerName: { S: 'x' } } }));
      await fleetStore.deleteWorker('worker-two');
      await fleetStore.deleteWorker('worker-never-was');
      await fleetStore.deleteWorker(created.leaseKey); // not a worker item: left alone
      const snapshot = await fleetStore.scanTable();
      expect(snapshot.leases).toEqual([created]);
      expect(snapshot.workers).toEqual([{ workerId: 'worker-one', slot: '1' }]);
      const { Item } = await client.send(new GetItemCommand({ TableName: fleetStore.tableName, Key: { leaseKey: { S: 'worker-one' } } }));
      expect(Item).toMatchObject({ entityType: { S: 'WORKER_METRIC_STATS' }, sts: { M: {} }, opr: { M: {} }, properties: { M: { 'kinesis-kit.slot': { S: '1' } } } });
      expect(Number(Item?.lut?.N)).toBeGreaterThan(1_600_000_000);
      expect(Number(Item?.lut?.N)).toBeLessThan(10_000_000_000);
    });

    it('counts every request by operation', () => {
      expect(fleetStore.requestCounts()).toMatchObject({ GetItem: 3, UpdateItem: 10, PutItem: 3, DeleteItem: 3, Scan: 1 });
    });

    it('readTable (tooling) returns leases, our workers and the fleet item from one consistent Scan; readWorker reads one worker item', async () => {
      const before = fleetStore.requestCounts().Scan ?? 0;
      const contents = await fleetStore.readTable();
      expect(fleetStore.requestCounts().Scan).toBe(before + 1);
      expect(contents.leases.map((l) => l.leaseKey)).toEqual(['shardId-000000000000']);
      expect(contents.workers).toEqual([{ workerId: 'worker-one', slot: '1' }]);
      expect(contents.fleet).toEqual(await fleetStore.readFleet());
      expect(contents.fleet?.get('ldr')).toBe('w2');
      expect(await fleetStore.readWorker('worker-one')).toEqual({ workerId: 'worker-one', slot: '1' });
      expect(await fleetStore.readWorker('java-worker')).toBeUndefined(); // a KCL 3.5 worker's item: no slot of ours
      expect(await fleetStore.readWorker('shardId-000000000000')).toBeUndefined(); // a lease
      expect(await fleetStore.readWorker('nobody')).toBeUndefined();
    });
  });
});

describe('DynamoDBLeaseStore upgrading a PROVISIONED table (DynamoDB Local; dynalite ignores an added GSI)', () => {
  let local: DynamoDBClient;
  beforeAll(() => {
    local = dynamoClient({ accountId: testAccountId(), endpoint: inject('dynamoDBLocalEndpoint') });
  });
  afterAll(() => local.destroy());

  it('adds the GSI to a PROVISIONED table with the table’s capacity, as the KCL 3.x does', async () => {
    const tableName = uniqueName('provisioned-leases');
    await local.send(
      new CreateTableCommand({
        TableName: tableName,
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      }),
    );
    const upgraded = new DynamoDBLeaseStore({ client: local, tableName, backoff: NO_DELAY });
    expect(await upgraded.ensureTable()).toBe('exists');
    const { Table } = await local.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'LeaseOwnerToLeaseKeyIndex',
      ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
    });
  });
});

describe('DynamoDBLeaseStore as a FleetStore behind a fault proxy (dynalite)', () => {
  let proxy: FaultProxy;
  let client: DynamoDBClient;
  let store: DynamoDBLeaseStore;

  beforeAll(async () => {
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    client = dynamoClient({ accountId: testAccountId(), endpoint: proxy.endpoint });
    store = new DynamoDBLeaseStore({ client, tableName: uniqueName('fleet'), backoff: NO_DELAY });
    await store.ensureTable();
    expect((await store.updateFleet({ createIfAbsent: true, set: { ldr: 'w1', lc: 1 } })).kind).toBe('updated');
  });

  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  it('a fleet update applied but whose answer was lost (reset after sending) is updated, not conditionFailed', async () => {
    let resets = 0;
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' && resets++ === 0 ? { kind: 'reset', when: 'after' } : undefined));
    try {
      const result = await store.updateFleet({ set: { lc: 2 }, increment: { h1: 1 }, conditions: [{ attribute: 'lc', equals: 1 }] });
      expect(result).toEqual({ kind: 'updated', fleet: new Map<string, string | number>([['ldr', 'w1'], ['lc', 2], ['h1', 1]]) });
      expect(proxy.count('UpdateItem')).toBeGreaterThanOrEqual(2);
      expect(proxy.count('GetItem')).toBeGreaterThan(0);
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  it('after an ambiguous attempt, a retry failing on another writer’s change is still conditionFailed', async () => {
    let resets = 0;
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' && resets++ === 0 ? { kind: 'reset', when: 'before' } : undefined));
    try {
      // Not applied (reset before forwarding); the retry fails its condition: the read back shows lc 2, not 9.
      expect(await store.updateFleet({ set: { lc: 9 }, conditions: [{ attribute: 'lc', equals: 1 }] })).toEqual({ kind: 'conditionFailed' });
      expect(await store.readFleet()).toEqual(new Map<string, string | number>([['ldr', 'w1'], ['lc', 2], ['h1', 1]]));
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  it('a table whose GSI cannot be added (no UpdateTable permission) is still used, with a warning', async () => {
    const tableName = uniqueName('old-leases');
    await createTableWithoutIndex(client, tableName);
    const logger = recordingLogger();
    const denied = new DynamoDBLeaseStore({ client, tableName, backoff: NO_DELAY, logger });
    proxy.setPlan(({ operation }) => (operation === 'UpdateTable' ? { kind: 'error', status: 400, code: 'AccessDeniedException' } : undefined));
    try {
      expect(await denied.ensureTable()).toBe('exists');
      expect(logger.warnings).toEqual(['could not add the LeaseOwnerToLeaseKeyIndex GSI to the lease table']);
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  it('a plain failed condition is never retried', async () => {
    const before = proxy.count('UpdateItem');
    expect(await store.updateFleet({ set: { lc: 5 }, conditions: [{ attribute: 'lc', equals: 1 }] })).toEqual({ kind: 'conditionFailed' });
    expect(proxy.count('UpdateItem') - before).toBe(1);
  });
});
