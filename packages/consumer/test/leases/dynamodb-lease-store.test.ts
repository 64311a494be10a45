import { CreateTableCommand, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { noopLogger } from '@kinesis-kit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dynamoClient, FaultProxy, testAccountId, uniqueName, waitFor } from '../../../../test/harness/index.js';
import { DynamoDBLeaseStore } from '../../src/leases/dynamodb-lease-store.js';
import { LeaseTableSchemaError } from '../../src/leases/errors.js';
import { newLease, type Lease } from '../../src/leases/lease.js';
import { SHARD_END, TRIM_HORIZON } from '../../src/position.js';

const ENGINES = [
  { engine: 'dynalite', endpoint: () => inject('dynamoEndpoint') },
  { engine: 'DynamoDB Local', endpoint: () => inject('dynamoDBLocalEndpoint') },
] as const;

/** No backoff between retries: the tests exercise outcomes, not timing. */
const NO_DELAY = { delayMs: () => 0 };

function mustHave<K extends string>(result: { kind: string; lease?: Lease }, kind: K): Lease {
  expect(result.kind).toBe(kind);
  return (result as { lease: Lease }).lease;
}

describe.each(ENGINES)('DynamoDBLeaseStore against $engine', ({ endpoint }) => {
  let client: DynamoDBClient;
  let store: DynamoDBLeaseStore;
  const accountId = testAccountId();

  beforeAll(async () => {
    client = dynamoClient({ accountId, endpoint: endpoint() });
    store = new DynamoDBLeaseStore({ client, tableName: uniqueName('leases'), backoff: NO_DELAY });
    expect(await store.ensureTable()).toBe('created');
  });

  afterAll(() => client.destroy());

  const fresh = async (key = uniqueName('shardId')): Promise<Lease> =>
    mustHave(await store.createLease(newLease({ leaseKey: key, checkpoint: TRIM_HORIZON })), 'created');

  it('finds an existing table with the right key schema', async () => {
    const again = new DynamoDBLeaseStore({ client, tableName: store.tableName });
    expect(await again.ensureTable()).toBe('exists');
  });

  it('rejects a table whose key schema is not the KCL one, with a typed error', async () => {
    const tableName = uniqueName('not-leases');
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'leaseKey', KeyType: 'HASH' },
          { AttributeName: 'sortKey', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'leaseKey', AttributeType: 'S' },
          { AttributeName: 'sortKey', AttributeType: 'S' },
        ],
      }),
    );
    const wrong = new DynamoDBLeaseStore({ client, tableName });
    const error = await wrong.ensureTable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseTableSchemaError);
    expect(error).toMatchObject({ code: 'LEASE_TABLE_SCHEMA', tableName });
    expect((error as Error).message).toContain('RANGE sortKey');
  });

  it('creates a lease only if absent', async () => {
    const lease = await fresh();
    expect(await store.createLease(newLease({ leaseKey: lease.leaseKey, checkpoint: TRIM_HORIZON }))).toEqual({ kind: 'alreadyExists' });
    expect(await store.getLease(lease.leaseKey)).toEqual(lease);
    expect(await store.getLease('no-such-lease')).toBeUndefined();
  });

  it('takes an unassigned lease once: a second take from the same read loses', async () => {
    const lease = await fresh();
    const taken = mustHave(await store.takeLease(lease, 'worker-a'), 'taken');
    expect(taken).toMatchObject({ leaseOwner: 'worker-a', leaseCounter: 1, ownerSwitchesSinceCheckpoint: 0 });
    expect(await store.takeLease(lease, 'worker-b')).toEqual({ kind: 'lost' });
  });

  it('renews only with the current counter and owner', async () => {
    const taken = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    const renewed = mustHave(await store.renewLease(taken), 'renewed');
    expect(renewed.leaseCounter).toBe(2);
    const again = mustHave(await store.renewLease(renewed), 'renewed');
    expect(await store.renewLease(taken)).toEqual({ kind: 'lost' });
    expect(await store.renewLease({ ...again, leaseOwner: 'worker-b' })).toEqual({ kind: 'lost' });
    expect(mustHave(await store.renewLease(again), 'renewed').leaseCounter).toBe(4);
  });

  it('a renewal whose condition failed but whose counter is exactly one ahead with our owner was ours: renewed (as the KCL)', async () => {
    const taken = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    const renewed = mustHave(await store.renewLease(taken), 'renewed');
    expect(await store.renewLease(taken)).toEqual({ kind: 'renewed', lease: renewed });
  });

  it('steals: the new owner counts an owner switch and the old owner loses on its next renewal', async () => {
    const held = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    const stolen = mustHave(await store.takeLease(held, 'worker-b'), 'taken');
    expect(stolen).toMatchObject({ leaseOwner: 'worker-b', leaseCounter: 2, ownerSwitchesSinceCheckpoint: 1 });
    expect(await store.renewLease(held)).toEqual({ kind: 'lost' });
    expect(await store.checkpointLease(held, { sequenceNumber: '1', subSequenceNumber: 0 })).toEqual({ kind: 'lost' });
  });

  it('loses a take when the counter moved since the read (the owner renewed)', async () => {
    const held = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    mustHave(await store.renewLease(held), 'renewed');
    expect(await store.takeLease(held, 'worker-b')).toEqual({ kind: 'lost' });
  });

  it('checkpoints: sets the position, clears owner switches and the pending checkpoint', async () => {
    const held = mustHave(await store.takeLease(mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken'), 'worker-b'), 'taken');
    const position = { sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 3 };
    const after = mustHave(await store.checkpointLease(held, position), 'checkpointed');
    expect(after).toMatchObject({ checkpoint: position, ownerSwitchesSinceCheckpoint: 0, pendingCheckpoint: undefined, leaseCounter: 3 });
    expect(await store.checkpointLease(held, position)).toEqual({ kind: 'lost' });
  });

  it('releases: removes the owner so anyone can take it; only the owner may release', async () => {
    const held = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    expect(await store.releaseLease({ ...held, leaseOwner: 'worker-b' })).toEqual({ kind: 'lost' });
    const free = mustHave(await store.releaseLease(held), 'released');
    expect(free).toMatchObject({ leaseOwner: undefined, leaseCounter: 2 });
    expect(await store.releaseLease(held)).toEqual({ kind: 'lost' });
    expect(mustHave(await store.takeLease(free, 'worker-b'), 'taken').ownerSwitchesSinceCheckpoint).toBe(0);
  });

  it('adds child shard ids as a set union, conditional on holding the lease', async () => {
    const held = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    const once = mustHave(await store.addChildShards(held, ['shardId-2', 'shardId-1']), 'updated');
    const twice = mustHave(await store.addChildShards(once, ['shardId-2', 'shardId-3']), 'updated');
    expect(twice.childShardIds).toEqual(['shardId-1', 'shardId-2', 'shardId-3']);
    expect(await store.addChildShards(held, ['shardId-4'])).toEqual({ kind: 'lost' });
  });

  it('deletes only a finished lease it has read at its current counter', async () => {
    const held = mustHave(await store.takeLease(await fresh(), 'worker-a'), 'taken');
    expect(await store.deleteLease(held)).toEqual({ kind: 'changed' });
    const finished = mustHave(await store.checkpointLease(held, SHARD_END), 'checkpointed');
    expect(await store.deleteLease(held)).toEqual({ kind: 'changed' });
    expect(await store.deleteLease(finished)).toEqual({ kind: 'deleted' });
    expect(await store.deleteLease(finished)).toEqual({ kind: 'deleted' });
    expect(await store.getLease(finished.leaseKey)).toBeUndefined();
  });

  it('lists every lease with a consistent scan', async () => {
    const keys = await Promise.all(Array.from({ length: 5 }, async () => (await fresh()).leaseKey));
    const listed = (await store.listLeases()).map((l) => l.leaseKey);
    expect(listed).toEqual(expect.arrayContaining(keys));
  });

  it('skips the items the Java KCL 3.5 keeps beside the leases (leader lock, migration state, worker metrics) without a warning', async () => {
    const warnings: string[] = [];
    const kcl3 = new DynamoDBLeaseStore({ client, tableName: uniqueName('kcl3'), backoff: NO_DELAY, logger: { ...noopLogger, warn: (m) => warnings.push(m) } });
    await kcl3.ensureTable();
    const lease = { checkpoint: { S: 'TRIM_HORIZON' }, checkpointSubSequenceNumber: { N: '0' }, leaseCounter: { N: '3' }, ownerSwitchesSinceCheckpoint: { N: '0' } };
    const items: Record<string, AttributeValue>[] = [
      { leaseKey: { S: 'shardId-000000000000' }, entityType: { S: 'LEASE' }, ...lease },
      { leaseKey: { S: 'shardId-000000000001' }, ...lease }, // written before KCL 3.5: still a lease
      { leaseKey: { S: 'Leader' }, entityType: { S: 'LEADER' }, ownerName: { S: 'worker-1' }, leaseDuration: { S: '120000' }, recordVersionNumber: { S: 'a1b2' }, isReleased: { BOOL: false } },
      { leaseKey: { S: 'Migration3.0' }, entityType: { S: 'CLIENT_VERSION_MIGRATION' }, cv: { S: 'CLIENT_VERSION_3X' }, mb: { S: 'worker-1' }, mts: { N: '1764633600' }, h: { L: [] } },
      { leaseKey: { S: 'TableMigration' }, entityType: { S: 'TABLE_MIGRATION' } },
      { leaseKey: { S: 'stream-1' }, entityType: { S: 'STREAM' } },
      { leaseKey: { S: 'worker-1' }, entityType: { S: 'WORKER_METRIC_STATS' }, wid: { S: 'worker-1' }, lut: { N: '1764633600' }, sts: { M: {} }, opr: { M: {} } },
    ];
    for (const Item of items) await client.send(new PutItemCommand({ TableName: kcl3.tableName, Item }));
    for (let round = 0; round < 3; round++) {
      expect((await kcl3.listLeases()).map((l) => l.leaseKey).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    }
    expect(await kcl3.getLease('Leader')).toBeUndefined();
    expect(warnings).toEqual([]);
    // A broken lease (no entityType, no checkpoint) is still reported.
    await client.send(new PutItemCommand({ TableName: kcl3.tableName, Item: { leaseKey: { S: 'shardId-000000000002' }, leaseCounter: { N: '1' } } }));
    expect(await kcl3.listLeases()).toHaveLength(2);
    expect(warnings).toHaveLength(1);
  });

  it('counts every request by operation', async () => {
    const before = store.requestCounts().UpdateItem ?? 0;
    await store.takeLease(await fresh(), 'worker-a');
    expect(store.requestCounts().UpdateItem).toBe(before + 1);
  });

  it('writes items attribute for attribute as the KCL does', async () => {
    const lease = newLease({
      leaseKey: uniqueName('shardId'),
      checkpoint: TRIM_HORIZON,
      parentShardIds: ['shardId-000000000001', 'shardId-000000000000'],
      hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 127n },
    });
    const created = mustHave(await store.createLease(lease), 'created');
    const raw = async () =>
      (await client.send(new GetItemCommand({ TableName: store.tableName, Key: { leaseKey: { S: lease.leaseKey } }, ConsistentRead: true }))).Item;
    expect(await raw()).toEqual({
      leaseKey: { S: lease.leaseKey },
      leaseCounter: { N: '0' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      checkpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: expect.arrayContaining(['shardId-000000000000', 'shardId-000000000001']) as string[] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '170141183460469231731687303715884105728' },
      entityType: { S: 'LEASE' }, // KCL 3.5
    });
    const taken = mustHave(await store.takeLease(created, 'worker-a'), 'taken');
    const withChildren = mustHave(await store.addChildShards(taken, ['shardId-000000000005']), 'updated');
    await store.checkpointLease(withChildren, { sequenceNumber: '4959', subSequenceNumber: 2 });
    expect(await raw()).toEqual({
      leaseKey: { S: lease.leaseKey },
      leaseOwner: { S: 'worker-a' },
      leaseCounter: { N: '3' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: '4959' },
      checkpointSubSequenceNumber: { N: '2' },
      parentShardId: { SS: expect.arrayContaining(['shardId-000000000000', 'shardId-000000000001']) as string[] },
      childShardIds: { SS: ['shardId-000000000005'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '170141183460469231731687303715884105728' },
      entityType: { S: 'LEASE' }, // KCL 3.5
    });
  });
});

describe('DynamoDBLeaseStore behind a fault proxy (dynalite)', () => {
  let proxy: FaultProxy;
  let client: DynamoDBClient;
  let store: DynamoDBLeaseStore;

  beforeAll(async () => {
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    client = dynamoClient({ accountId: testAccountId(), endpoint: proxy.endpoint });
    store = new DynamoDBLeaseStore({ client, tableName: uniqueName('leases'), backoff: NO_DELAY });
    await store.ensureTable();
  });

  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  const taken = async (): Promise<Lease> => {
    const created = mustHave(await store.createLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON })), 'created');
    return mustHave(await store.takeLease(created, 'worker-a'), 'taken');
  };

  it('survives throttling: retries until the write goes through', async () => {
    const lease = await taken();
    let throttled = 0;
    proxy.setPlan(({ operation }) =>
      operation === 'UpdateItem' && throttled++ < 3 ? { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } : undefined,
    );
    try {
      expect(mustHave(await store.renewLease(lease), 'renewed').leaseCounter).toBe(lease.leaseCounter + 1);
      expect(throttled).toBe(4);
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  it('reports a conditional-write conflict as lost, not as an error', async () => {
    const lease = await taken();
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' ? { kind: 'error', status: 400, code: 'ConditionalCheckFailedException' } : undefined));
    try {
      expect(await store.renewLease(lease)).toEqual({ kind: 'lost' });
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  it('a renewal applied but whose answer was lost is verified, not reported lost', async () => {
    const lease = await taken();
    let resets = 0;
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' && resets++ === 0 ? { kind: 'reset', when: 'after' } : undefined));
    try {
      const renewed = mustHave(await store.renewLease(lease), 'renewed');
      expect(renewed.leaseCounter).toBe(lease.leaseCounter + 1);
      expect(proxy.count('GetItem')).toBeGreaterThan(0);
    } finally {
      proxy.setPlan(() => undefined);
    }
  });

  describe('a request that never answers', () => {
    /** Every attempt gives up after 150 ms (the default is 1 s). */
    const impatient = (maxAttempts = 8) =>
      new DynamoDBLeaseStore({ client, tableName: store.tableName, backoff: NO_DELAY, maxAttempts, requestTimeoutMs: 150, tableRequestTimeoutMs: 150 });
    /** The first `count` requests of `operation` are black-holed (`forward`: stored upstream first, the answer lost). */
    const blackHoleFirst = (operation: string, count: number, forward = false) => {
      let seen = 0;
      proxy.setPlan((request) => (request.operation === operation && seen++ < count ? { kind: 'blackHole', forward } : undefined));
    };

    afterEach(() => proxy.setPlan(() => undefined));

    it.each([
      ['Scan', (s: DynamoDBLeaseStore) => s.listLeases()],
      ['GetItem', (s: DynamoDBLeaseStore) => s.getLease('no-such-lease')],
      ['PutItem', (s: DynamoDBLeaseStore) => s.createLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON }))],
      ['DeleteItem', (s: DynamoDBLeaseStore) => s.deleteLease(newLease({ leaseKey: uniqueName('shardId'), checkpoint: SHARD_END }))],
      ['DescribeTable', (s: DynamoDBLeaseStore) => s.ensureTable()],
    ] as const)('%s: the attempt is abandoned at its deadline and retried', async (operation, call) => {
      blackHoleFirst(operation, 1);
      await call(impatient());
      expect(proxy.count(operation, 'blackHole')).toBe(1);
      expect(proxy.count(operation)).toBeGreaterThanOrEqual(2);
      await waitFor(() => proxy.blackHoled === 0, { description: 'the abandoned request to be closed' });
    });

    it('UpdateItem: a take stored but never answered is verified with a read, not reported lost', async () => {
      const lease = await taken();
      blackHoleFirst('UpdateItem', 1, true);
      expect(mustHave(await impatient().takeLease(lease, 'worker-b'), 'taken')).toMatchObject({ leaseOwner: 'worker-b', leaseCounter: lease.leaseCounter + 1 });
      expect(proxy.count('GetItem')).toBeGreaterThan(0);
    });

    it('PutItem: a lease created but never answered is verified with a read: created, not alreadyExists', async () => {
      blackHoleFirst('PutItem', 1, true);
      const lease = newLease({ leaseKey: uniqueName('shardId'), checkpoint: TRIM_HORIZON });
      expect(await impatient().createLease(lease)).toEqual({ kind: 'created', lease });
    });

    it('gives up with a typed, retriable error naming the timeout once the attempts run out', async () => {
      blackHoleFirst('Scan', 2);
      await expect(impatient(2).listLeases()).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED', causeCode: 'TimeoutError', retriable: true });
    });
  });

  it('gives up with a typed error when throttling outlasts the attempts', async () => {
    const limited = new DynamoDBLeaseStore({ client, tableName: store.tableName, backoff: NO_DELAY, maxAttempts: 3 });
    const lease = await taken();
    proxy.setPlan(({ operation }) => (operation === 'UpdateItem' ? { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } : undefined));
    try {
      await expect(limited.renewLease(lease)).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED', causeCode: 'ProvisionedThroughputExceededException' });
    } finally {
      proxy.setPlan(() => undefined);
    }
  });
});
