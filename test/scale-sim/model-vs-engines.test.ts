import { CreateTableCommand, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBLeaseStore, TRIM_HORIZON, type Lease } from '@kinesis-kit/consumer';
import { dynamoClient, testAccountId, uniqueName } from '../harness/index.js';
import { countRequests } from '../../bench/sim/real-run.js';
import { SimDynamoDB, type OperationStats } from '../../bench/sim/sim-dynamodb.js';
import { VirtualClock } from '../../bench/sim/virtual-clock.js';

/**
 * The simulated DynamoDB is only worth its numbers if it behaves and charges as DynamoDB does.
 * These tests send the same requests to a real engine (DynamoDB Local, dynalite) and to the
 * simulation and compare outcomes, items and consumed capacity; then run the same small fleet of
 * real consumers for real and in the simulation and compare request counts per operation.
 */
/**
 * dynalite under-reports Scan capacity (1 unit for a 6.9 KB consistent scan, consistent or not;
 * DynamoDB Local, the AWS jar, reports 2 as the rules say): its Scan units are not compared.
 */
const ENGINES = [
  { engine: 'dynalite', endpoint: () => inject('dynamoEndpoint'), scanUnits: false },
  { engine: 'DynamoDB Local', endpoint: () => inject('dynamoDBLocalEndpoint'), scanUnits: true },
] as const;

/** The simulation answers on a virtual clock: run a request to completion by advancing it. */
async function simSend<T>(clock: VirtualClock, request: Promise<T>): Promise<T> {
  const settled = request.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await clock.advanceBy(1_000);
  const outcome = await settled;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

const padding = (bytes: number) => ({ S: 'x'.repeat(bytes) });

describe.each(ENGINES)('the simulated DynamoDB against $engine', ({ endpoint, scanUnits }) => {
  const clients: DynamoDBClient[] = [];
  afterAll(() => clients.forEach((c) => c.destroy()));
  const realClient = (): DynamoDBClient => {
    const client = dynamoClient({ accountId: testAccountId(), endpoint: endpoint() });
    clients.push(client);
    return client;
  };

  it('charges the capacity the engine reports for reads, writes, scans and failed conditions', async () => {
    const real = realClient();
    const realStats = new Map<string, OperationStats>();
    countRequests(real, realStats);
    const sim = new SimDynamoDB();
    const clock = new VirtualClock();
    const simulated = sim.client(clock);
    const tableName = uniqueName('capacity');
    // Items of about 0.3, 1.5 and 5 KB: one, two and five write units; one and two read units.
    const sizes = [300, 1_500, 5_000];
    const requests = [
      ...sizes.map((size, i) => new PutItemCommand({ TableName: tableName, Item: { leaseKey: { S: `k${i}` }, leaseCounter: { N: '1' }, pad: padding(size) } })),
      ...sizes.map((_, i) => new GetItemCommand({ TableName: tableName, Key: { leaseKey: { S: `k${i}` } }, ConsistentRead: true })),
      ...sizes.map((_, i) => new UpdateItemCommand({
        TableName: tableName,
        Key: { leaseKey: { S: `k${i}` } },
        UpdateExpression: 'SET #c = #c + :one',
        ConditionExpression: '#c = :expected',
        ExpressionAttributeNames: { '#c': 'leaseCounter' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expected': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      })),
      new ScanCommand({ TableName: tableName, ConsistentRead: true }),
    ];
    const createTable = new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
    });
    await real.send(createTable);
    await simSend(clock, simulated.send(createTable));
    for (const request of requests) {
      const [a, b] = (await Promise.all([real.send(request as never), simSend(clock, simulated.send(request as never))])) as unknown as Record<string, unknown>[];
      expect({ item: b!.Item ?? b!.Attributes, count: b!.Count }).toEqual({ item: a!.Item ?? a!.Attributes, count: a!.Count });
    }
    for (const op of ['PutItem', 'GetItem', 'UpdateItem', 'Scan']) {
      const [simulatedOp, realOp] = [sim.stats.get(op), realStats.get(op)];
      const units = (stats: OperationStats | undefined) => (op === 'Scan' && !scanUnits ? 'not compared' : unitsOf(stats, op));
      expect({ op, requests: simulatedOp?.requests, units: units(simulatedOp) }).toEqual({ op, requests: realOp?.requests, units: units(realOp) });
    }
    // The same update again: the counter moved, so the condition fails on both. DynamoDB still
    // charges the write (on the item's size: 5 KB, five units); the engines do not report it.
    const stale = requests[8]!;
    const before = sim.stats.get('UpdateItem')!.writeUnits;
    await expect(real.send(stale as never)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await expect(simSend(clock, simulated.send(stale as never))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(sim.stats.get('UpdateItem')).toMatchObject({ failedConditions: 1, writeUnits: before + 5 });
    expect(realStats.get('UpdateItem')?.failedConditions).toBe(1);
  });

  it('gives the lease store the same outcomes and leaves the same items', async () => {
    const real = realClient();
    const sim = new SimDynamoDB();
    const clock = new VirtualClock();
    const tableName = uniqueName('leases');
    const stores = [
      { run: <T>(p: Promise<T>) => p, store: new DynamoDBLeaseStore({ client: real, tableName }) },
      { run: <T>(p: Promise<T>) => simSend(clock, p), store: new DynamoDBLeaseStore({ client: sim.client(clock), tableName, clock }) },
    ];
    const outcomes: string[][] = [];
    for (const { run, store } of stores) {
      const log: string[] = [];
      outcomes.push(log);
      await run(store.ensureTable());
      const created = await run(store.createLease({ ...baseLease('shardId-1') }));
      log.push(created.kind, (await run(store.createLease(baseLease('shardId-1')))).kind);
      const taken = await run(store.takeLease(baseLease('shardId-1'), 'a'));
      log.push(taken.kind, (await run(store.takeLease(baseLease('shardId-1'), 'b'))).kind);
      const held = (taken as { lease: Lease }).lease;
      const renewed = await run(store.renewLease(held));
      log.push(renewed.kind, (await run(store.renewLease(held))).kind);
      const fresh = (renewed as { lease: Lease }).lease;
      const checkpointed = await run(store.checkpointLease(fresh, { sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 2 }));
      log.push(checkpointed.kind, (await run(store.releaseLease((checkpointed as { lease: Lease }).lease))).kind);
      log.push(JSON.stringify(await run(store.listLeases())));
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
  });
});

function unitsOf(stats: OperationStats | undefined, op: string): number {
  return op === 'GetItem' || op === 'Scan' ? (stats?.readUnits ?? 0) : (stats?.writeUnits ?? 0);
}

function baseLease(leaseKey: string): Lease {
  return {
    leaseKey,
    leaseOwner: undefined,
    leaseCounter: 0,
    ownerSwitchesSinceCheckpoint: 0,
    checkpoint: TRIM_HORIZON,
    pendingCheckpoint: undefined,
    pendingCheckpointState: undefined,
    parentShardIds: [],
    childShardIds: [],
    hashKeyRange: undefined,
    checkpointOwner: undefined,
    throughputKBps: undefined,
  };
}
