import { describe, expect, it } from 'vitest';
import { checkpointed, newLease, type Lease } from '../../src/leases/lease.js';
import { AT_TIMESTAMP, LATEST, SHARD_END, TRIM_HORIZON, type Position } from '../../src/position.js';
import type { ShardDescription } from '../../src/retrieval/kinesis-port.js';
import { deletableLeases, parentsDone } from '../../src/shards/lease-tree.js';
import { generations, planLeases } from '../../src/shards/shard-graph.js';

const MAX = 2n ** 128n - 1n;
const HALF = 2n ** 127n;

function shard(id: string, range: [bigint, bigint], options: { parents?: string[]; closed?: boolean } = {}): ShardDescription {
  const [parentShardId, adjacentParentShardId] = options.parents ?? [];
  return {
    shardId: id,
    ...(parentShardId === undefined ? {} : { parentShardId }),
    ...(adjacentParentShardId === undefined ? {} : { adjacentParentShardId }),
    startingHashKey: range[0],
    endingHashKey: range[1],
    startingSequenceNumber: '1',
    ...(options.closed === true ? { endingSequenceNumber: '99' } : {}),
  };
}

// p0 split into c1 + c2; c1 and c2 merged into m3 (open).
const HISTORY = [
  shard('p0', [0n, MAX], { closed: true }),
  shard('c1', [0n, HALF - 1n], { parents: ['p0'], closed: true }),
  shard('c2', [HALF, MAX], { parents: ['p0'], closed: true }),
  shard('m3', [0n, MAX], { parents: ['c1', 'c2'] }),
];

const plan = (leaseKeys: string[], initial: Parameters<typeof planLeases>[2], shards = HISTORY) =>
  planLeases(shards, new Set(leaseKeys), initial).map((l) => [l.leaseKey, l.checkpoint.sequenceNumber, l.parentShardIds]);

describe('planLeases (shard sync)', () => {
  it('TRIM_HORIZON on an empty table: every shard, parents first, the root at TRIM_HORIZON', () => {
    expect(plan([], 'TRIM_HORIZON')).toEqual([
      ['p0', 'TRIM_HORIZON', []],
      ['c1', 'TRIM_HORIZON', ['p0']],
      ['c2', 'TRIM_HORIZON', ['p0']],
      ['m3', 'TRIM_HORIZON', ['c1', 'c2']],
    ]);
  });

  it('LATEST on an empty table: only the open shards, at LATEST (closed ancestors hold nothing after now)', () => {
    expect(plan([], 'LATEST')).toEqual([['m3', 'LATEST', ['c1', 'c2']]]);
  });

  it('AT_TIMESTAMP: roots and descendants at AT_TIMESTAMP', () => {
    expect(plan([], { timestamp: new Date() }).map(([id, checkpoint]) => [id, checkpoint])).toEqual([
      ['p0', 'AT_TIMESTAMP'],
      ['c1', 'AT_TIMESTAMP'],
      ['c2', 'AT_TIMESTAMP'],
      ['m3', 'AT_TIMESTAMP'],
    ]);
  });

  it('LATEST below a consumed shard: descendants get TRIM_HORIZON, closed or not, so nothing is skipped', () => {
    expect(plan(['p0'], 'LATEST')).toEqual([
      ['c1', 'TRIM_HORIZON', ['p0']],
      ['c2', 'TRIM_HORIZON', ['p0']],
      ['m3', 'TRIM_HORIZON', ['c1', 'c2']],
    ]);
  });

  it('never re-creates a shard whose descendants have leases (consumed and cleaned up)', () => {
    expect(plan(['c1', 'c2'], 'TRIM_HORIZON')).toEqual([['m3', 'TRIM_HORIZON', ['c1', 'c2']]]);
    expect(plan(['m3'], 'TRIM_HORIZON')).toEqual([]);
  });

  it('creates the missing half of a split whose parent is still leased', () => {
    expect(plan(['p0', 'c1', 'm3'], 'LATEST')).toEqual([]);
    expect(plan(['p0', 'c1'], 'LATEST')).toEqual([
      ['c2', 'TRIM_HORIZON', ['p0']],
      ['m3', 'TRIM_HORIZON', ['c1', 'c2']],
    ]);
  });

  it('treats parents missing from the listing (past retention) as absent', () => {
    const orphan = [shard('c9', [0n, MAX], { parents: ['gone'] })];
    expect(plan([], 'LATEST', orphan)).toEqual([['c9', 'LATEST', ['gone']]]);
  });

  it('keeps the hash range on the lease', () => {
    const [first] = planLeases(HISTORY, new Set(), 'TRIM_HORIZON');
    expect(first?.hashKeyRange).toEqual({ startingHashKey: 0n, endingHashKey: MAX });
  });

  it('groups a plan into generations that can be created in parallel', () => {
    const generationsOf = generations(planLeases(HISTORY, new Set(), 'TRIM_HORIZON')).map((g) => g.map((l) => l.leaseKey));
    expect(generationsOf).toEqual([['p0'], ['c1', 'c2'], ['m3']]);
  });
});

function leaseAt(key: string, checkpoint: Position, parents: string[] = [], children: string[] = []): Lease {
  const lease = checkpointed(newLease({ leaseKey: key, checkpoint: TRIM_HORIZON, parentShardIds: parents }), checkpoint);
  return { ...lease, childShardIds: children };
}

describe('parentsDone', () => {
  const lookup = (leases: Lease[]) => (key: string) => leases.find((l) => l.leaseKey === key);
  const merge = leaseAt('m3', TRIM_HORIZON, ['c1', 'c2']);

  it('waits for every parent of a merge to reach SHARD_END', () => {
    expect(parentsDone(merge, lookup([leaseAt('c1', SHARD_END), leaseAt('c2', { sequenceNumber: '5', subSequenceNumber: 0 })]))).toBe(false);
    expect(parentsDone(merge, lookup([leaseAt('c1', SHARD_END), leaseAt('c2', SHARD_END)]))).toBe(true);
  });

  it('counts a parent without a lease as done', () => {
    expect(parentsDone(merge, lookup([leaseAt('c1', SHARD_END)]))).toBe(true);
    expect(parentsDone(merge, lookup([]))).toBe(true);
  });
});

describe('deletableLeases (cleanup)', () => {
  const started: Position = { sequenceNumber: '7', subSequenceNumber: 0 };

  it('deletes a finished parent once all its children started and its own parents are gone', () => {
    const p0 = leaseAt('p0', SHARD_END, [], ['c1', 'c2']);
    expect(deletableLeases([p0, leaseAt('c1', started, ['p0']), leaseAt('c2', TRIM_HORIZON, ['p0'])])).toEqual([]);
    expect(deletableLeases([p0, leaseAt('c1', started, ['p0']), leaseAt('c2', SHARD_END, ['p0'])])).toEqual([p0]);
  });

  it('keeps a finished lease whose child has no lease yet, or that has no known child', () => {
    expect(deletableLeases([leaseAt('p0', SHARD_END, [], ['c1', 'c2']), leaseAt('c1', started, ['p0'])])).toEqual([]);
    expect(deletableLeases([leaseAt('p0', SHARD_END)])).toEqual([]);
  });

  it('deletes from the top of a chain: a finished child waits until its parent is gone', () => {
    const p0 = leaseAt('p0', SHARD_END, [], ['c1']);
    const c1 = leaseAt('c1', SHARD_END, ['p0'], ['m3']);
    const m3 = leaseAt('m3', started, ['c1']);
    expect(deletableLeases([p0, c1, m3])).toEqual([p0]);
    expect(deletableLeases([c1, m3])).toEqual([c1]);
  });

  it('never deletes an unfinished lease, nor a child that only started at a sentinel', () => {
    expect(deletableLeases([leaseAt('p0', started, [], ['c1']), leaseAt('c1', started, ['p0'])])).toEqual([]);
    expect(deletableLeases([leaseAt('p0', SHARD_END, [], ['c1']), leaseAt('c1', LATEST, ['p0'])])).toEqual([]);
    expect(deletableLeases([leaseAt('p0', SHARD_END, [], ['c1']), leaseAt('c1', AT_TIMESTAMP, ['p0'])])).toEqual([]);
  });
});
