import { describe, expect, it } from 'vitest';
import { planAssignment, type Plan, type PlanInput, type PlannedLease } from '../../../src/leases/fleet/plan.js';
import { seededRandom } from '../../../../../test/harness/random.js';

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
const UNLIMITED = Number.MAX_SAFE_INTEGER;

const key = (i: number): string => `shardId-${String(i).padStart(6, '0')}`;
const workerIds = (count: number, prefix = 'w'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const int = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

function input(workers: readonly string[], leases: readonly PlannedLease[], options: Partial<PlanInput> = {}): PlanInput {
  return { workers, leases, balanceThroughput: false, tolerance: 0.2, minWeight: 1, maxMoves: UNLIMITED, ...options };
}

/** Leases owned by `owners[i]` ('' = unowned), with throughputs (default: unknown). */
function leases(owners: readonly string[], throughputs: readonly (number | undefined)[] = []): PlannedLease[] {
  return owners.map((owner, i) => ({ leaseKey: key(i), owner: owner === '' ? undefined : owner, throughputKBps: throughputs[i] }));
}

/** `count` leases dealt round-robin over `workers`: counts differ by at most one. */
function balancedOwners(count: number, workers: readonly string[]): string[] {
  return Array.from({ length: count }, (_, i) => workers[i % workers.length]!);
}

/**
 * Checks the plan is well formed against its input (every unowned lease assigned once, only
 * owned leases moved, by their owner, to live workers, no lease twice) and returns the owners
 * after it. Problems are collected and asserted once: the property tests call this thousands of times.
 */
function apply(planned: PlanInput, plan: Plan): Map<string, string> {
  const live = new Set(planned.workers);
  const owners = new Map<string, string | undefined>(planned.leases.map((l) => [l.leaseKey, l.owner !== undefined && live.has(l.owner) ? l.owner : undefined]));
  const touched = new Set<string>();
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  for (const { leaseKey, to } of plan.assign) {
    check(owners.has(leaseKey) && owners.get(leaseKey) === undefined, `assign ${leaseKey}: not an unowned lease`);
    check(live.has(to), `assign ${leaseKey}: to ${to}, not a live worker`);
    check(!touched.has(leaseKey), `${leaseKey} planned twice`);
    touched.add(leaseKey);
    owners.set(leaseKey, to);
  }
  for (const { leaseKey, from, to } of plan.move) {
    check(owners.get(leaseKey) === from && from !== undefined, `move ${leaseKey}: not from its owner`);
    check(live.has(to) && to !== from, `move ${leaseKey}: to ${to}`);
    check(!touched.has(leaseKey), `${leaseKey} planned twice`);
    touched.add(leaseKey);
    owners.set(leaseKey, to);
  }
  const result = new Map<string, string>();
  for (const [leaseKey, owner] of owners) {
    if (owner === undefined) problems.push(`${leaseKey} not placed`);
    else result.set(leaseKey, owner);
  }
  expect(problems).toEqual([]);
  return result;
}

function counts(owners: ReadonlyMap<string, string>, workers: readonly string[]): Map<string, number> {
  const result = new Map(workers.map((w) => [w, 0]));
  for (const owner of owners.values()) result.set(owner, (result.get(owner) ?? 0) + 1);
  return result;
}

function loads(owners: ReadonlyMap<string, string>, planned: PlanInput): Map<string, number> {
  const result = new Map(planned.workers.map((w) => [w, 0]));
  for (const l of planned.leases) {
    const owner = owners.get(l.leaseKey)!;
    result.set(owner, result.get(owner)! + Math.max(planned.minWeight, l.throughputKBps ?? 0));
  }
  return result;
}

function expectFairCounts(owners: ReadonlyMap<string, string>, workers: readonly string[]): void {
  const n = owners.size;
  const unfair = [...counts(owners, workers)].filter(([, count]) => count < Math.floor(n / workers.length) || count > Math.ceil(n / workers.length));
  expect(unfair, `counts outside floor/ceil of ${n}/${workers.length}`).toEqual([]);
}

/** Random ownership: each lease unowned, owned by a live worker, or owned by a worker not in the list. */
function randomFleet(random: () => number) {
  const workers = workerIds(int(random, 1, 20));
  const owners = Array.from({ length: int(random, 0, 300) }, () => {
    const r = random();
    return r < 0.3 ? '' : r < 0.35 ? 'gone' : workers[Math.floor(random() * workers.length)]!;
  });
  const throughputs = owners.map(() => (random() < 0.2 ? undefined : random() < 0.05 ? 100 + random() * 900 : random() * 20));
  return { workers, leases: leases(owners, throughputs) };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('planAssignment: counts', () => {
  it('places every lease of a random fleet exactly once, each worker ending with floor(N/W) or ceil(N/W)', () => {
    for (const seed of SEEDS) {
      const { workers, leases: ls } = randomFleet(seededRandom(seed));
      const planned = input(workers, ls);
      expectFairCounts(apply(planned, planAssignment(planned)), workers);
    }
  });

  it('cold start: every lease assigned, nothing moved, counts fair', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const workers = workerIds(int(random, 1, 30));
      const planned = input(workers, leases(Array.from({ length: int(random, 0, 500) }, () => '')));
      const plan = planAssignment(planned);
      expect(plan.move).toEqual([]);
      expect(plan.assign).toHaveLength(planned.leases.length);
      expectFairCounts(apply(planned, plan), workers);
    }
  });

  it('never moves a lease in a balanced fleet', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const workers = shuffled(workerIds(int(random, 1, 30)), random);
      const planned = input(workers, leases(balancedOwners(int(random, 0, 500), workers), [5, 500, undefined, 0.1]));
      expect(planAssignment(planned)).toEqual({ assign: [], move: [] });
    }
  });

  it('a joining worker reaches its share in one plan, taking at most ceil(N/(W+1)) + 1 leases, all moved to it', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const old = workerIds(int(random, 1, 30));
      const n = int(random, 0, 600);
      const workers = [...old, 'joiner'];
      const planned = input(workers, leases(balancedOwners(n, old)));
      const plan = planAssignment(planned);
      expect(plan.assign).toEqual([]);
      expect(plan.move.every((m) => m.to === 'joiner')).toBe(true);
      expect(plan.move.length).toBeLessThanOrEqual(Math.ceil(n / workers.length) + 1);
      expect(plan.move).toHaveLength(Math.floor(n / workers.length));
      expectFairCounts(apply(planned, plan), workers);
    }
  });

  it('a joining worker takes leases only from workers above their share', () => {
    // 10 leases over a: 4, b: 3, c: 3, then d joins: shares a 3, b 3, c 2, d 2 (extras to the most loaded, ties by id).
    const planned = input(['a', 'b', 'c', 'd'], leases(['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c']));
    const plan = planAssignment(planned);
    expect(plan.move.map((m) => m.from).sort()).toEqual(['a', 'c']);
    expect(plan.move.every((m) => m.to === 'd')).toBe(true);
  });

  it("a leaving worker's leases are the only ones placed, and nothing moves", () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const before = workerIds(int(random, 2, 30));
      const leaving = before[int(random, 0, before.length - 1)]!;
      const workers = before.filter((w) => w !== leaving);
      const owners = balancedOwners(int(random, 0, 500), before).map((o) => (o === leaving ? '' : o));
      const planned = input(workers, leases(owners));
      const plan = planAssignment(planned);
      expect(plan.move).toEqual([]);
      expect(plan.assign.map((a) => a.leaseKey).sort()).toEqual(planned.leases.filter((l) => l.owner === undefined).map((l) => l.leaseKey));
      expectFairCounts(apply(planned, plan), workers);
    }
  });

  it('workers above their share keep the extra leases first, ties by worker id', () => {
    // 7 leases, 3 workers: shares 3, 2, 2. b and c hold 3 each: b keeps 3 (id), c gives one to a.
    const planned = input(['c', 'a', 'b'], leases(['', 'b', 'b', 'b', 'c', 'c', 'c']));
    const plan = planAssignment(planned);
    expect(plan.assign).toEqual([{ leaseKey: key(0), to: 'a' }]);
    expect(plan.move).toEqual([{ leaseKey: key(4), from: 'c', to: 'a' }]);
  });

  it('places unowned leases heaviest first, each on the least loaded worker below its share', () => {
    // Shares 2 each; a already holds a 50 KB/s lease. 40 -> b (tie with c, by id), 30 -> c, 20 -> c (30 < 40 < 50),
    // c is full, 10 -> b (40 < 50), b is full, the idle one -> a.
    const planned = input(['a', 'b', 'c'], leases(['a', '', '', '', '', ''], [50, 40, 30, 20, 10, undefined]));
    const plan = planAssignment(planned);
    expect(plan.assign).toEqual([
      { leaseKey: key(1), to: 'b' },
      { leaseKey: key(2), to: 'c' },
      { leaseKey: key(3), to: 'c' },
      { leaseKey: key(4), to: 'b' },
      { leaseKey: key(5), to: 'a' },
    ]);
  });

  it('a worker above its share gives up its lightest leases, so hot leases stay put', () => {
    const planned = input(['a', 'b'], leases(['a', 'a', 'a', 'a'], [900, 3, 800, 2]));
    const plan = planAssignment(planned);
    // It sheds the 2 and 3 KB/s leases; they are placed heaviest first.
    expect(plan.move).toEqual([
      { leaseKey: key(1), from: 'a', to: 'b' },
      { leaseKey: key(3), from: 'a', to: 'b' },
    ]);
  });

  it('maxMoves bounds the moves, spread over the donors (bigger excess first), while every unowned lease is still placed', () => {
    // 18 leases, 3 workers (shares 6): a and b hold 8 each (2 extra), 2 are unowned. With 3 moves:
    // round one takes one from a and one from b (ties by id), round two one more from a.
    const owners = [...Array<string>(8).fill('a'), ...Array<string>(8).fill('b'), '', ''];
    const planned = input(['a', 'b', 'c'], leases(owners), { maxMoves: 3 });
    const plan = planAssignment(planned);
    expect(plan.assign).toHaveLength(2);
    expect(plan.move).toHaveLength(3);
    expect(plan.move.map((m) => m.from).sort()).toEqual(['a', 'a', 'b']);
    expect(plan.move.every((m) => m.to === 'c')).toBe(true);
    expect(planAssignment({ ...planned, maxMoves: 0 }).move).toEqual([]);
  });

  it('maxMoves always holds on random fleets, and every unowned lease is placed', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const fleet = randomFleet(random);
      for (const balanceThroughput of [false, true]) {
        const planned = input(fleet.workers, fleet.leases, { maxMoves: int(random, 0, 5), balanceThroughput });
        const plan = planAssignment(planned);
        expect(plan.move.length).toBeLessThanOrEqual(planned.maxMoves);
        apply(planned, plan);
      }
    }
  });

  it('treats a lease owned by a worker not in the list as unowned', () => {
    const planned = input(['a', 'b'], leases(['a', 'gone', 'b', 'gone']));
    expect(planAssignment(planned)).toEqual({
      assign: [
        { leaseKey: key(1), to: 'a' },
        { leaseKey: key(3), to: 'b' },
      ],
      move: [],
    });
  });

  it('plans nothing without workers, and ignores duplicate worker ids', () => {
    expect(planAssignment(input([], leases(['', ''])))).toEqual({ assign: [], move: [] });
    const planned = input(['a', 'a', 'b'], leases(['a', 'a', '', '']));
    const owners = apply(planned, planAssignment(planned));
    expect(Object.fromEntries(counts(owners, ['a', 'b']))).toEqual({ a: 2, b: 2 });
  });
});

describe('planAssignment: throughput', () => {
  const balancing = { balanceThroughput: true, tolerance: 0.2 } as const;

  /** Random fleet with cold leases (1–10 KB/s) and a few hot ones, all owned round-robin or unowned. */
  function skewedFleet(random: () => number, unowned: boolean) {
    const workers = workerIds(int(random, 2, 12));
    const n = workers.length * int(random, 10, 40);
    const throughputs = Array.from({ length: n }, () => 1 + random() * 9);
    const coldAverage = (n * 5.5) / workers.length;
    for (let h = int(random, 1, Math.max(1, workers.length >> 1)); h > 0; h--) throughputs[int(random, 0, n - 1)] = coldAverage * (0.5 + random());
    // All hot leases on the first worker (a skew to repair), or unowned (cold start).
    const owners = throughputs.map((t, i) => (unowned ? '' : t > 10 ? workers[0]! : workers[i % workers.length]!));
    return { workers, leases: leases(owners, throughputs) };
  }

  /**
   * The largest excess of a worker over the fair level, relative to that level: the level is the
   * average, except that a lease heavier than it gets a worker to itself (computed here by
   * lowering it one hot lease at a time); a worker's excess is its load above max(level, its
   * heaviest lease).
   */
  function worstExcess(planned: PlanInput, plan: Plan): number {
    const owners = apply(planned, plan);
    const weight = (l: PlannedLease): number => Math.max(planned.minWeight, l.throughputKBps ?? 0);
    const weights = planned.leases.map(weight).sort((x, y) => y - x);
    let level = weights.reduce((x, y) => x + y, 0) / planned.workers.length;
    for (let k = 1; k < planned.workers.length && weights[k - 1]! > level; k++) level = weights.slice(k).reduce((x, y) => x + y, 0) / (planned.workers.length - k);
    const heaviest = new Map<string, number>();
    for (const l of planned.leases) heaviest.set(owners.get(l.leaseKey)!, Math.max(heaviest.get(owners.get(l.leaseKey)!) ?? 0, weight(l)));
    const byWorker = loads(owners, planned);
    return Math.max(...planned.workers.map((w) => (byWorker.get(w)! - Math.max(level, heaviest.get(w) ?? 0)) / level));
  }

  it('with a few hot leases, a cold start ends with every worker within the tolerance of the fair level', () => {
    for (const seed of SEEDS) {
      const fleet = skewedFleet(seededRandom(seed), true);
      const planned = input(fleet.workers, fleet.leases, balancing);
      const plan = planAssignment(planned);
      expect(plan.move).toEqual([]);
      expect(worstExcess(planned, plan), `seed ${seed}`).toBeLessThanOrEqual(0.2);
    }
  });

  it('repairs a fleet whose hot leases all sit on one worker, to within the tolerance', () => {
    for (const seed of SEEDS) {
      const fleet = skewedFleet(seededRandom(seed), false);
      const planned = input(fleet.workers, fleet.leases, balancing);
      expect(worstExcess(planned, planAssignment(planned)), `seed ${seed}`).toBeLessThanOrEqual(0.2);
    }
  });

  it('a worker with a hot lease holds fewer leases, and a lease heavier than the average stays where it is', () => {
    // 1 hot lease of 100 KB/s and 20 idle ones over 3 workers: fair level 10 for the others,
    // and a keeps at most the hot lease plus half the tolerance (1 KB/s: one idle lease).
    const owners = ['a', ...balancedOwners(20, ['a', 'b', 'c'])];
    const planned = input(['a', 'b', 'c'], leases(owners, [100]), balancing);
    const plan = planAssignment(planned);
    const after = counts(apply(planned, plan), ['a', 'b', 'c']);
    expect(plan.move.some((m) => m.leaseKey === key(0))).toBe(false);
    expect(after.get('a')).toBeLessThanOrEqual(2);
    expect(after.get('b')! + after.get('c')!).toBe(21 - after.get('a')!);
    expect(Math.abs(after.get('b')! - after.get('c')!)).toBeLessThanOrEqual(1);
    // The next plan leaves it as it is.
    const next = input(['a', 'b', 'c'], planned.leases.map((l) => ({ ...l, owner: apply(planned, plan).get(l.leaseKey) })), balancing);
    expect(planAssignment(next)).toEqual({ assign: [], move: [] });
  });

  it('moves nothing while the loads are within the tolerance', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const workers = workerIds(int(random, 1, 20));
      // Each worker holds the same number of leases of 9–11 KB/s: every load is within 10 % of the average.
      const owners = balancedOwners(workers.length * int(random, 1, 30), workers);
      const planned = input(workers, leases(owners, owners.map(() => 9 + 2 * random())), balancing);
      expect(planAssignment(planned).move).toEqual([]);
    }
  });

  it('moves nothing while the heaviest is within the tolerance, even outside half of it', () => {
    // a 11.5, b 8.5: 15 % off the average of 10, inside a 20 % tolerance (moving the 1 KB/s lease would level them better).
    const planned = input(['a', 'b'], leases(['a', 'a', 'a', 'b', 'b'], [6, 4.5, 1, 4, 4.5]), balancing);
    expect(planAssignment(planned)).toEqual({ assign: [], move: [] });
  });

  it('once out of tolerance, levels the loads to within half of it, each move lowering the larger load of its pair', () => {
    // a holds ten 3 KB/s leases (30), b ten 1 KB/s ones (10): average 20, band 18..22 once triggered.
    const owners = [...Array<string>(10).fill('a'), ...Array<string>(10).fill('b')];
    const planned = input(['a', 'b'], leases(owners, [...Array<number>(10).fill(3), ...Array<number>(10).fill(1)]), balancing);
    const plan = planAssignment(planned);
    expect(plan.move).toHaveLength(3);
    expect(plan.move.every((m) => m.from === 'a' && m.to === 'b')).toBe(true);
    expect(Object.fromEntries(loads(apply(planned, plan), planned))).toEqual({ a: 21, b: 19 });
  });

  it('is stable: planning again on the result of a plan moves nothing', () => {
    for (const seed of SEEDS) {
      for (const unowned of [true, false]) {
        const fleet = skewedFleet(seededRandom(seed), unowned);
        const planned = input(fleet.workers, fleet.leases, balancing);
        const owners = apply(planned, planAssignment(planned));
        const again = input(fleet.workers, fleet.leases.map((l) => ({ ...l, owner: owners.get(l.leaseKey) })), balancing);
        expect(planAssignment(again), `seed ${seed}`).toEqual({ assign: [], move: [] });
      }
    }
  });

  it('an idle fleet balances as counts do: a joiner gets its share, from the others only', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const old = workerIds(int(random, 1, 30));
      const n = int(random, 1, 600);
      const workers = [...old, 'joiner'];
      const planned = input(workers, leases(balancedOwners(n, old)), balancing);
      const plan = planAssignment(planned);
      expect(plan.move.every((m) => m.to === 'joiner')).toBe(true);
      expect(plan.move.length).toBeLessThanOrEqual(Math.ceil(n / workers.length) + 1);
      expectFairCounts(apply(planned, plan), workers);
    }
  });

  it('a joiner of a loaded fleet gets close to the average load', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const old = workerIds(int(random, 2, 20));
      const owners = balancedOwners(old.length * int(random, 10, 40), old);
      const workers = [...old, 'joiner'];
      const planned = input(workers, leases(owners, owners.map(() => 1 + random() * 9)), balancing);
      const byWorker = loads(apply(planned, planAssignment(planned)), planned);
      const average = [...byWorker.values()].reduce((a, b) => a + b, 0) / workers.length;
      expect(byWorker.get('joiner')!, `seed ${seed}`).toBeGreaterThanOrEqual(average * 0.9);
    }
  });

  it('counts an unknown, negative or non-finite throughput, or one below the floor, as minWeight', () => {
    const planned = input(['a', 'b'], leases(['a', 'a', 'a', 'a'], [undefined, -5, Number.NaN, 0.5]), { ...balancing, minWeight: 2 });
    // Four leases of weight 2 on a, none on b: two move, whichever they are.
    expect(planAssignment(planned).move).toHaveLength(2);
  });
});

describe('planAssignment: determinism', () => {
  it('gives the same plan for the same input, whatever the order of workers and leases', () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const fleet = randomFleet(random);
      for (const balanceThroughput of [false, true]) {
        const planned = input(fleet.workers, fleet.leases, { balanceThroughput });
        const plan = planAssignment(planned);
        expect(planAssignment(planned)).toEqual(plan);
        expect(planAssignment({ ...planned, workers: shuffled(fleet.workers, random), leases: shuffled(fleet.leases, random) })).toEqual(plan);
      }
    }
  });

  it('plans 10,000 leases over 100 workers in every mode (correctness at scale; speed is measured outside the suite)', () => {
    const workers = workerIds(100);
    const random = seededRandom(10_000);
    const throughputs = Array.from({ length: 10_000 }, () => (random() < 0.01 ? 200 + random() * 800 : random() * 10));
    for (const balanceThroughput of [false, true]) {
      const cold = input(workers, leases(Array.from({ length: 10_000 }, () => ''), throughputs), { balanceThroughput });
      const coldOwners = apply(cold, planAssignment(cold));
      if (!balanceThroughput) expectFairCounts(coldOwners, workers);
      const joined = input([...workers, 'joiner'], leases(balancedOwners(10_000, workers)), { balanceThroughput });
      const plan = planAssignment(joined);
      expect(plan.move.every((m) => m.to === 'joiner')).toBe(true);
      expect(plan.move.length).toBeLessThanOrEqual(Math.ceil(10_000 / 101) + 1);
      expectFairCounts(apply(joined, plan), [...workers, 'joiner']);
    }
  });
});
