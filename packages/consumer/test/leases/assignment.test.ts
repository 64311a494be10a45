import { describe, expect, it } from 'vitest';
import { EvenShareAssignment, fairShares, type AssignableLease } from '../../src/leases/assignment.js';
import { newLease, takenBy, type Lease } from '../../src/leases/lease.js';
import { TRIM_HORIZON } from '../../src/position.js';
import { seededRandom } from '../../../../test/harness/index.js';

const lease = (key: string, owner?: string): Lease => {
  const fresh = newLease({ leaseKey: key, checkpoint: TRIM_HORIZON });
  return owner === undefined ? fresh : takenBy(fresh, owner);
};

/** `owners` lists each lease's owner ('' = unassigned); `expired` owners' leases are available. */
function view(owners: readonly string[], expired: readonly string[] = []): AssignableLease[] {
  return owners.map((owner, i) => {
    const l = lease(`shardId-${String(i).padStart(3, '0')}`, owner === '' ? undefined : owner);
    return { lease: l, available: owner === '' || expired.includes(owner) };
  });
}

const policy = () => new EvenShareAssignment(seededRandom(7));
const UNLIMITED = Number.MAX_SAFE_INTEGER;

function assign(workerId: string, leases: AssignableLease[], limits: { max?: number; steal?: number } = {}) {
  return policy().assign({ workerId, leases, maxLeasesForWorker: limits.max ?? UNLIMITED, maxLeasesToStealAtOneTime: limits.steal ?? UNLIMITED });
}

/** Applies decisions worker by worker, as if each ran one taking round in turn. */
function simulate(owners: string[], workers: readonly string[], rounds: number, expired: readonly string[] = []): string[] {
  const current = [...owners];
  for (let round = 0; round < rounds; round++) {
    for (const worker of workers) {
      const leases = view(current, round === 0 ? expired : []);
      const { take, steal } = assign(worker, leases);
      for (const l of [...take, ...steal]) current[Number(l.leaseKey.slice(-3))] = worker;
    }
  }
  return current;
}

const counts = (owners: readonly string[]) => owners.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});

describe('fairShares', () => {
  it('gives floor(N/W) each and the extra leases to the most loaded workers, ties by id', () => {
    const byOwner = new Map([
      ['b', [lease('1'), lease('2'), lease('3'), lease('4'), lease('5')]],
      ['a', [lease('6'), lease('7'), lease('8'), lease('9'), lease('10')]],
      ['c', []],
    ]);
    expect(Object.fromEntries(fairShares(10, byOwner))).toEqual({ a: 4, b: 3, c: 3 });
  });
});

describe('EvenShareAssignment', () => {
  it('takes unassigned leases up to its share, not more', () => {
    const { take, steal } = assign('w1', view(['', '', '', '', 'w2', 'w2']));
    expect(take).toHaveLength(3);
    expect(steal).toEqual([]);
  });

  it('takes expired leases before stealing', () => {
    const { take, steal } = assign('w3', view(['w1', 'w1', 'w1', 'w2', 'w2', 'w2'], ['w1']));
    expect(take).toHaveLength(3);
    expect(take.every((l) => l.leaseOwner === 'w1')).toBe(true);
    expect(steal).toEqual([]);
  });

  it('a joining worker steals its whole share in one round, from the most loaded, each only down to its share', () => {
    const { take, steal } = assign('new', view(['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b']));
    expect(take).toEqual([]);
    expect(steal).toHaveLength(3);
    const stolenFrom = counts(steal.map((l) => l.leaseOwner!));
    expect(stolenFrom).toEqual({ a: 1, b: 2 }); // a keeps the extra lease (ties by id), b goes down to 3
  });

  it('a balanced fleet moves nothing (no thrash), whoever runs the round', () => {
    const balanced = view(['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c']);
    for (const worker of ['a', 'b', 'c']) expect(assign(worker, balanced)).toEqual({ take: [], steal: [] });
  });

  it('respects maxLeasesToStealAtOneTime and maxLeasesForWorker', () => {
    const leases = view(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a']);
    expect(assign('new', leases, { steal: 1 }).steal).toHaveLength(1);
    expect(assign('new', leases, { max: 2 }).steal).toHaveLength(2);
    expect(assign('new', view(['', '', '', '']), { max: 1 }).take).toHaveLength(1);
  });

  it('treats this worker as a worker even with no leases (one lease, two workers: nothing to steal)', () => {
    expect(assign('b', view(['a']))).toEqual({ take: [], steal: [] });
  });

  it('converges to an even share from any start within two rounds per worker and stays there', () => {
    const start = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', '', '', ''];
    const workers = ['a', 'b', 'c', 'd'];
    const afterTwo = simulate(start, workers, 2);
    const loads = Object.values(counts(afterTwo)).sort();
    expect(loads).toEqual([3, 3, 4, 4]);
    expect(simulate(afterTwo, workers, 3)).toEqual(afterTwo);
  });
});
