// Every item this library writes to a lease table, captured from a real run against DynamoDB
// Local, is either read by a Java KCL 3.5.1 application as exactly what we mean or ignored by it,
// on every path by which KCL 3.5 reads the table (support/kcl35-item-rules.ts, each rule citing
// the Java source).
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dynamoClient, testAccountId, uniqueName, waitFor } from '../../../../test/harness/index.js';
import { DynamoDBLeaseStore } from '../../src/leases/dynamodb-lease-store.js';
import { encodeMoves, FLEET_ITEM_KEY, parseFleet, slotAttribute } from '../../src/leases/fleet/fleet-item.js';
import { fromWorkerItem, isWorkerItem } from '../../src/leases/fleet/worker-item.js';
import { newLease, type Lease } from '../../src/leases/lease.js';
import { fromItem, isLeaseItem, storedShardIds } from '../../src/leases/lease-item.js';
import { SHARD_END, TRIM_HORIZON } from '../../src/position.js';
import { parseMultiStreamLeaseKey } from '../../src/streams/stream-identifier.js';
import {
  kclCoordinatorStateFromRecord,
  kclIsValidWorkerMetric,
  kclLeaseKeysForWorker,
  kclLeaseTableDaoEntity,
  kclReadsByKey,
  kclRefresherList,
  kclStreamInfoScan,
  kclWorkerMetricStatsFromRecord,
  type KclItem,
  type KclLease,
} from '../support/kcl35-item-rules.js';

function mustHave<K extends string>(result: { kind: string; lease?: Lease }, kind: K): Lease {
  expect(result.kind).toBe(kind);
  return (result as { lease: Lease }).lease;
}

/** The lease KCL 3.5 should read from our item: every field as we mean it (set attributes compared sorted). */
function expectedKclLease(lease: Lease): KclLease {
  const multi = parseMultiStreamLeaseKey(lease.leaseKey);
  return {
    leaseKey: lease.leaseKey,
    leaseOwner: lease.leaseOwner ?? null,
    leaseCounter: BigInt(lease.leaseCounter),
    ownerSwitchesSinceCheckpoint: BigInt(lease.ownerSwitchesSinceCheckpoint),
    checkpoint: { sequenceNumber: lease.checkpoint.sequenceNumber, subSequenceNumber: BigInt(lease.checkpoint.subSequenceNumber) },
    parentShardIds: storedShardIds(lease.leaseKey, lease.parentShardIds).sort(),
    childShardIds: storedShardIds(lease.leaseKey, lease.childShardIds).sort(),
    pendingCheckpoint: null,
    pendingCheckpointState: null,
    hashKeyRange: lease.hashKeyRange
      ? { startingHashKey: lease.hashKeyRange.startingHashKey.toString(), endingHashKey: lease.hashKeyRange.endingHashKey.toString() }
      : null,
    throughputKBps: null,
    checkpointOwner: lease.checkpointOwner ?? null,
    ...(multi ? { streamIdentifier: multi.streamIdentifier, shardId: multi.shardId } : {}),
  };
}

const sortedSets = (lease: KclLease | null): KclLease | null =>
  lease === null ? null : { ...lease, parentShardIds: [...lease.parentShardIds].sort(), childShardIds: [...lease.childShardIds].sort() };

describe('the lease table items we write, read by the Java KCL 3.5.1 rules (captured from DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let store: DynamoDBLeaseStore;
  let items: KclItem[];
  const leases = new Map<string, Lease>();
  const MULTI_KEY = '123456789012:orders:1700000000:shardId-000000000007';

  beforeAll(async () => {
    client = dynamoClient({ accountId: testAccountId(), endpoint: inject('dynamoDBLocalEndpoint') });
    store = new DynamoDBLeaseStore({ client, tableName: uniqueName('kcl35-format'), backoff: { delayMs: () => 0 } });
    await store.ensureTable();
    const create = async (lease: Lease) => mustHave(await store.createLease(lease), 'created');

    // Leases created, taken, checkpointed, split (children added), finished, released, stolen.
    const parent0 = await create(newLease({ leaseKey: 'shardId-000000000000', checkpoint: TRIM_HORIZON, hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n } }));
    const child1 = await create(newLease({ leaseKey: 'shardId-000000000001', checkpoint: TRIM_HORIZON, parentShardIds: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 127n - 1n } }));
    const child2 = await create(newLease({ leaseKey: 'shardId-000000000002', checkpoint: TRIM_HORIZON, parentShardIds: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 2n ** 127n, endingHashKey: 2n ** 128n - 1n } }));
    const multi = await create(newLease({ leaseKey: MULTI_KEY, checkpoint: TRIM_HORIZON, parentShardIds: ['123456789012:orders:1700000000:shardId-000000000003'] }));
    let p = mustHave(await store.takeLease(parent0, 'worker-1'), 'taken');
    p = mustHave(await store.checkpointLease(p, { sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 3 }), 'checkpointed');
    p = mustHave(await store.addChildShards(p, ['shardId-000000000001', 'shardId-000000000002']), 'updated');
    p = mustHave(await store.checkpointLease(p, SHARD_END), 'checkpointed');
    let c1 = mustHave(await store.takeLease(child1, 'worker-1'), 'taken');
    c1 = mustHave(await store.checkpointLease(c1, { sequenceNumber: '49590338271490256608559692540925702759324208523137515618', subSequenceNumber: 0 }), 'checkpointed');
    c1 = mustHave(await store.releaseLease(c1), 'released');
    let c2 = mustHave(await store.takeLease(child2, 'worker-1'), 'taken');
    c2 = mustHave(await store.takeLease(c2, 'worker-2'), 'taken');
    const m = mustHave(await store.takeLease(multi, 'worker-2'), 'taken');
    for (const lease of [p, c1, c2, m]) leases.set(lease.leaseKey, lease);

    // The fleet item with every kind of attribute the protocol writes, and two worker items.
    const fleet = await store.updateFleet({
      createIfAbsent: true,
      set: {
        ldr: 'worker-1',
        dep: '2',
        [slotAttribute('joinId', '2')]: 'worker-2',
        [slotAttribute('moves', '1')]: encodeMoves([{ leaseKey: 'shardId-000000000002', to: 'worker-2', toSlot: '2' }]),
      },
      increment: { lc: 1, sl: 2, chg: 1, h1: 1, h2: 1, e1: 1, e2: 1, n1: 2, n2: 2 },
    });
    expect(fleet.kind === 'updated' && parseFleet(fleet.fleet).slots.size).toBe(2);
    await store.putWorker({ workerId: 'worker-1', slot: '1' });
    await store.putWorker({ workerId: 'worker-2', slot: '2' });

    items = (await client.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }))).Items ?? [];
  });

  afterAll(() => client.destroy());

  const leaseItems = () => items.filter((item) => item.leaseKey?.S !== FLEET_ITEM_KEY && isLeaseItem(item));
  const workerItems = () => items.filter(isWorkerItem);
  const fleetItem = () => items.find((item) => item.leaseKey?.S === FLEET_ITEM_KEY)!;

  it('captured every item we wrote, and nothing else: 4 leases, 1 fleet item, 2 worker items', () => {
    expect(items).toHaveLength(7);
    expect(leaseItems()).toHaveLength(4);
    expect(workerItems()).toHaveLength(2);
    expect(fleetItem()).toMatchObject({ entityType: { S: 'LEADER' } });
    for (const item of leaseItems()) expect(item.entityType).toEqual({ S: 'LEASE' });
  });

  it('DynamoDBLeaseRefresher (classic mode, both serializers): our leases read exactly, the fleet and worker items skipped (null)', () => {
    for (const multiStream of [false, true]) {
      const { leases: read, failed } = kclRefresherList(items, multiStream);
      expect(failed).toEqual([]);
      expect(read.map((l) => l.leaseKey).sort()).toEqual([...leases.keys()].sort());
      for (const kcl of read) {
        const ours = leases.get(kcl.leaseKey!)!;
        const expected = expectedKclLease(ours);
        // The single-stream serializer reads no streamName/shardId; the multi-stream one reads both (absent = null).
        const { streamIdentifier, shardId, ...base } = expected;
        expect(sortedSets(kcl)).toEqual(multiStream ? { ...base, streamIdentifier: streamIdentifier ?? null, shardId: shardId ?? null } : base);
        expect(fromItem(items.find((i) => i.leaseKey?.S === kcl.leaseKey)!)).toEqual(ours);
      }
    }
  });

  it('DynamoDBLeaseTableDao (single-table lease assignment): leases as leases, workers as valid WorkerMetricStats, the fleet item a LEADER state that MigrationAwareLAMDataManager drops', () => {
    for (const multiStream of [false, true]) {
      for (const item of items) {
        const entity = kclLeaseTableDaoEntity(item, multiStream);
        if (item.leaseKey?.S === FLEET_ITEM_KEY) {
          expect(entity).toMatchObject({ type: 'LEADER', state: { kind: 'generic', key: FLEET_ITEM_KEY } });
          // scanEntities(LEASE, WORKER_METRIC_STATS) (MigrationAwareLAMDataManager.java:129): a LEADER entity is not kept.
          expect(['LEASE', 'WORKER_METRIC_STATS']).not.toContain(entity.type);
        } else if (isWorkerItem(item)) {
          expect(entity.type).toBe('WORKER_METRIC_STATS');
        } else {
          expect(entity.type).toBe('LEASE');
          const lease = entity.type === 'LEASE' ? entity.lease : null;
          const { streamIdentifier, shardId, ...base } = expectedKclLease(leases.get(item.leaseKey!.S!)!);
          expect(sortedSets(lease)).toEqual(multiStream ? { ...base, streamIdentifier: streamIdentifier ?? null, shardId: shardId ?? null } : base);
        }
      }
    }
  });

  it('WorkerMetricStats (the bean, via DynamoDBLeaseTableDao and getAllWorkerMetricStats): every attribute has its Java type', () => {
    for (const item of workerItems()) {
      const stats = kclWorkerMetricStatsFromRecord(item);
      const ours = fromWorkerItem(item)!;
      expect(stats).toMatchObject({ workerId: ours.workerId, entityType: 'WORKER_METRIC_STATS', supportCode: null, supportCodeUpdateEpochSeconds: null });
      expect(stats.metricStats).toEqual(new Map());
      expect(stats.operatingRange).toEqual(new Map());
      expect(stats.properties).toEqual(new Map([['kinesis-kit.slot', ours.slot]]));
      expect(typeof stats.lastUpdateTime).toBe('bigint');
      expect(Math.abs(Number(stats.lastUpdateTime) - Date.now() / 1000)).toBeLessThan(3_600); // epoch seconds, as KCL writes it
      // A KCL 3.5 leader would count it as a live worker balanced on throughput (no metrics, no ranges).
      expect(kclIsValidWorkerMetric(stats)).toBe(true);
    }
  });

  it('CoordinatorStateDAO, the lock client and StreamInfo: the fleet item is under no key KCL reads, and in no scan it keeps', () => {
    expect(kclReadsByKey(FLEET_ITEM_KEY)).toBe(false);
    expect(kclReadsByKey('Leader')).toBe(true);
    expect(kclStreamInfoScan(items)).toEqual([]);
    expect(kclCoordinatorStateFromRecord(fleetItem())).toMatchObject({ kind: 'generic', key: FLEET_ITEM_KEY });
    // Our worker items are keyed by worker id exactly like KCL 3.5's own WORKER_METRIC_STATS items.
  });

  it('listLeaseKeysForWorker (the GSI): exactly our owned leases; no fleet or worker item carries leaseOwner', async () => {
    for (const item of [fleetItem(), ...workerItems()]) expect(item.leaseOwner).toBeUndefined();
    for (const worker of ['worker-1', 'worker-2']) {
      const expected = kclLeaseKeysForWorker(items, worker).sort();
      expect(expected).toEqual([...leases.values()].filter((l) => l.leaseOwner === worker).map((l) => l.leaseKey).sort());
      await waitFor(async () => JSON.stringify((await store.ownedLeaseKeys(worker)).sort()) === JSON.stringify(expected), {
        description: `the GSI to list ${worker}'s leases`,
      });
    }
  });
});

describe('the KCL 3.5 rules catch what would be misread', () => {
  it('an entityType KCL does not know is a LEASE on the single-table path: such an item would be read as a broken lease', () => {
    const entity = kclLeaseTableDaoEntity({ leaseKey: { S: 'kinesis-kit:fleet' }, entityType: { S: 'KINESIS_KIT_FLEET' }, ldr: { S: 'w' } }, false);
    expect(entity).toMatchObject({ type: 'LEASE', lease: { leaseKey: 'kinesis-kit:fleet', checkpoint: { sequenceNumber: null } } });
    // ...while the classic path (serializer) skips it: the two paths disagree, so LEADER is the only safe type.
    expect(kclRefresherList([{ leaseKey: { S: 'kinesis-kit:fleet' }, entityType: { S: 'KINESIS_KIT_FLEET' } }], false).leases).toEqual([]);
  });

  it('a wrongly typed attribute is a deserialization failure, as in Java', () => {
    expect(kclRefresherList([{ leaseKey: { S: 'shardId-1' }, leaseCounter: { S: '1' } }], false)).toEqual({ leases: [], failed: ['shardId-1'] });
    expect(() => kclWorkerMetricStatsFromRecord({ leaseKey: { S: 'w' }, entityType: { S: 'WORKER_METRIC_STATS' }, lut: { S: '1' } })).toThrow();
    expect(() => kclWorkerMetricStatsFromRecord({ leaseKey: { S: 'w' }, properties: { M: { slot: { N: '1' } } } })).toThrow();
  });
});
