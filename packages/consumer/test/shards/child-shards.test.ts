import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { checkpointed, newLease } from '../../src/leases/lease.js';
import { SHARD_END, TRIM_HORIZON } from '../../src/position.js';
import type { KinesisReadPort, ShardDescription } from '../../src/retrieval/kinesis-port.js';
import { recordChildShards } from '../../src/shards/child-shards.js';
import { LeaderMaintenance } from '../../src/shards/maintenance.js';
import { systemClock } from '@kinesis-kit/core';
import { EXPIRY_LEASES, LeaseFleet } from '../support/leases.js';

const MAX = 2n ** 128n - 1n;
const HALF = 2n ** 127n;

/** ListShards as the service would answer after shardId-0 split in two (GetRecords gave no ChildShards). */
const listing: ShardDescription[] = [
  { shardId: 'shardId-000000000000', startingHashKey: 0n, endingHashKey: MAX, startingSequenceNumber: '1', endingSequenceNumber: '9' },
  { shardId: 'shardId-000000000001', parentShardId: 'shardId-000000000000', startingHashKey: 0n, endingHashKey: HALF - 1n, startingSequenceNumber: '10' },
  { shardId: 'shardId-000000000002', parentShardId: 'shardId-000000000000', startingHashKey: HALF, endingHashKey: MAX, startingSequenceNumber: '11' },
];

describe('recordChildShards (at shard end, against dynalite)', () => {
  let fleet: LeaseFleet;

  afterEach(async () => {
    await fleet.close();
  });

  async function holdingParent() {
    fleet = new LeaseFleet();
    await fleet.createLeases(1);
    const worker = fleet.start('w');
    await waitFor(() => worker.coordinator.state.held.size === 1, { description: 'the parent lease to be held' });
    return worker;
  }

  it('creates the child leases at TRIM_HORIZON with their parents and hash ranges, and records them on the parent', async () => {
    const { coordinator } = await holdingParent();
    const children = listing.slice(1).map((s) => ({ shardId: s.shardId, parentShardIds: [s.parentShardId!], startingHashKey: s.startingHashKey, endingHashKey: s.endingHashKey }));
    const result = await recordChildShards({ parentShardId: 'shardId-000000000000', children, coordinator, store: fleet.store, port: { listShards: () => Promise.reject(new Error('not asked')) }, clock: systemClock });
    expect(result).toEqual({ outcome: 'ok', created: ['shardId-000000000001', 'shardId-000000000002'] });
    const leases = await fleet.store.listLeases();
    const child = leases.find((l) => l.leaseKey === 'shardId-000000000002')!;
    expect(child).toMatchObject({ checkpoint: TRIM_HORIZON, parentShardIds: ['shardId-000000000000'], leaseOwner: undefined, hashKeyRange: { startingHashKey: HALF, endingHashKey: MAX } });
    expect(leases.find((l) => l.leaseKey === 'shardId-000000000000')!.childShardIds).toEqual(['shardId-000000000001', 'shardId-000000000002']);
  });

  it('asks ListShards when the service reported no children', async () => {
    const { coordinator } = await holdingParent();
    let asked = 0;
    const port: Pick<KinesisReadPort, 'listShards'> = {
      listShards: async () => {
        asked++;
        return listing;
      },
    };
    const result = await recordChildShards({ parentShardId: 'shardId-000000000000', children: [], coordinator, store: fleet.store, port, clock: systemClock });
    expect(asked).toBe(1);
    expect(result.created.sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
  });

  it('answers leaseLost without writing anything for a lease this worker does not hold', async () => {
    const { coordinator } = await holdingParent();
    const result = await recordChildShards({ parentShardId: 'shardId-999', children: [], coordinator, store: fleet.store, port: { listShards: async () => listing }, clock: systemClock });
    expect(result).toEqual({ outcome: 'leaseLost', created: [] });
    expect(await fleet.store.listLeases()).toHaveLength(1);
  });
});

describe('LeaderMaintenance', () => {
  let fleet: LeaseFleet;

  afterEach(async () => {
    await fleet.close();
  });

  it('the live worker with the smallest id leads; expired owners do not count', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(2);
    const b = fleet.start('worker-b', { settings: EXPIRY_LEASES });
    const a = fleet.start('worker-a', { settings: EXPIRY_LEASES });
    await waitFor(() => a.coordinator.state.held.size === 1 && b.coordinator.state.held.size === 1, { description: 'one lease each' });
    const options = { store: fleet.store, port: { listShards: async () => [] }, initialPosition: 'LATEST' as const, shardSyncIntervalMillis: 60_000, leaseCleanupIntervalMillis: 60_000, emit: () => undefined };
    const leaderA = new LeaderMaintenance({ ...options, coordinator: a.coordinator }, 0);
    const leaderB = new LeaderMaintenance({ ...options, coordinator: b.coordinator }, 0);
    // Two rounds: the first to finish may have scanned before the other worker's take.
    await fleet.rounds([a, b], 2);
    expect(leaderA.isLeader(a.coordinator.state)).toBe(true);
    expect(leaderB.isLeader(b.coordinator.state)).toBe(false);
    await a.coordinator.halt();
    await waitFor(() => leaderB.isLeader(b.coordinator.state), { timeoutMs: 20_000, description: 'b to lead once a is gone' });
  });

  it('cleans up a finished parent whose children have started', async () => {
    fleet = new LeaseFleet();
    await fleet.store.ensureTable();
    const parent = checkpointed(newLease({ leaseKey: 'p', checkpoint: TRIM_HORIZON }), SHARD_END);
    await fleet.store.createLease({ ...parent, childShardIds: ['c'] });
    await fleet.store.createLease(checkpointed(newLease({ leaseKey: 'c', checkpoint: TRIM_HORIZON, parentShardIds: ['p'] }), { sequenceNumber: '5', subSequenceNumber: 0 }));
    const worker = fleet.start('w');
    const cleaned: string[][] = [];
    new LeaderMaintenance(
      {
        coordinator: worker.coordinator,
        store: fleet.store,
        port: { listShards: async () => [] },
        initialPosition: 'LATEST',
        shardSyncIntervalMillis: 60_000,
        leaseCleanupIntervalMillis: 1_000,
        emit: (event, payload) => {
          if (event === 'leasesCleanedUp') cleaned.push([...(payload as { shardIds: string[] }).shardIds]);
        },
      },
      0,
    );
    await waitFor(() => cleaned.length > 0, { description: 'a cleanup round' });
    expect(cleaned).toEqual([['p']]);
    expect((await fleet.store.listLeases()).map((l) => l.leaseKey)).toEqual(['c']);
  });
});
