import { describe, expect, it } from 'vitest';
import { InvalidLeaseItemError } from '../../src/leases/errors.js';
import { checkpointed, newLease, takenBy, withChildShards } from '../../src/leases/lease.js';
import { fromItem, toItem } from '../../src/leases/lease-item.js';
import { SHARD_END, TRIM_HORIZON } from '../../src/position.js';

describe('lease items (the KCL schema)', () => {
  it('reads an item as the Java KCL 2.x writes it, ignoring attributes it does not know', () => {
    const lease = fromItem({
      leaseKey: { S: 'shardId-000000000002' },
      leaseOwner: { S: 'java-worker-1' },
      leaseCounter: { N: '1234' },
      ownerSwitchesSinceCheckpoint: { N: '2' },
      checkpoint: { S: '49590338271490256608559692540925702759324208523137515618' },
      checkpointSubSequenceNumber: { N: '7' },
      pendingCheckpoint: { S: '49590338271490256608559692540925702759324208523137515700' },
      pendingCheckpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: ['shardId-000000000000', 'shardId-000000000001'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '340282366920938463463374607431768211455' },
      throughputKBps: { N: '12.5' },
    });
    expect(lease).toEqual({
      leaseKey: 'shardId-000000000002',
      leaseOwner: 'java-worker-1',
      leaseCounter: 1234,
      ownerSwitchesSinceCheckpoint: 2,
      checkpoint: { sequenceNumber: '49590338271490256608559692540925702759324208523137515618', subSequenceNumber: 7 },
      pendingCheckpoint: { sequenceNumber: '49590338271490256608559692540925702759324208523137515700', subSequenceNumber: 0 },
      pendingCheckpointState: undefined,
      parentShardIds: ['shardId-000000000000', 'shardId-000000000001'],
      childShardIds: [],
      hashKeyRange: { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n },
      checkpointOwner: undefined,
      throughputKBps: 12.5, // KCL 3.x writes it at renewals; the fleet leader balances on it
    });
  });

  it('round-trips every attribute', () => {
    const lease = withChildShards(
      checkpointed(takenBy(newLease({ leaseKey: 'shardId-1', checkpoint: TRIM_HORIZON, parentShardIds: ['shardId-0'] }), 'w'), SHARD_END),
      ['shardId-3', 'shardId-2'],
    );
    expect(fromItem(toItem(lease))).toEqual(lease);
    expect(toItem(lease)).toEqual({
      leaseKey: { S: 'shardId-1' },
      leaseOwner: { S: 'w' },
      leaseCounter: { N: '3' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: 'SHARD_END' },
      checkpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: ['shardId-0'] },
      childShardIds: { SS: ['shardId-2', 'shardId-3'] },
      entityType: { S: 'LEASE' }, // as KCL 3.5 writes every lease
    });
  });

  it('rejects items that are not leases with a typed error', () => {
    expect(() => fromItem({ leaseKey: { S: 'x' } })).toThrow(InvalidLeaseItemError);
    expect(() => fromItem({ leaseKey: { S: 'x' }, checkpoint: { S: 'SOMEWHERE' } })).toThrow(/no valid checkpoint/);
    expect(() => fromItem({ checkpoint: { S: 'LATEST' } })).toThrow(/no string leaseKey/);
  });
});
