import { compareStrings, Heap, VersionedHeap } from './heap.js';

/**
 * The leader's assignment planner: pure. Given every unfinished lease the leader may place and
 * the live workers, it decides which unowned leases go where and which owned leases move, moving
 * only what must move.
 *
 * Rules (every worker is "live" here; dead workers' leases arrive as unowned):
 * - Counts: with N leases and W workers each worker's share is floor(N/W) or ceil(N/W). Workers
 *   already holding more keep the extra ones first (ties by worker id), so a balanced fleet never
 *   moves a lease. A worker joining an N-lease, W-worker fleet receives at most ceil(N/(W+1)) + 1
 *   leases, all from workers above their share.
 * - Load: every lease has a weight (its throughput in KB/s, floored at `minWeight` so idle leases
 *   still count). When `balanceThroughput` is on and the heaviest worker's load exceeds the
 *   average by more than `tolerance` (e.g. 0.2 = 20 %), leases move from the heaviest to the
 *   lightest workers while that lowers the maximum; counts may then differ from the even share
 *   (a worker with a hot lease holds fewer leases). Moves per plan are bounded by `maxMoves`.
 * - Placement of unowned leases: heaviest first, each to the worker with the lowest load among
 *   those below their count share (below it, or the least loaded, when balancing throughput).
 * - Deterministic: the same input gives the same plan (no randomness; ties by lease key / worker id).
 *
 * Details this implementation decides:
 * - Without `balanceThroughput` (counts): a worker above its share gives up its lightest leases
 *   (ties by lease key), so hot leases stay where they are. When `maxMoves` cannot cover every
 *   excess lease, the moves are spread over the donors (each donor's first excess lease before
 *   anyone's second, bigger excess first, then worker id); unowned leases are always all placed.
 * - With `balanceThroughput` (load): counts are not enforced. Unowned leases go heaviest first
 *   to the least loaded worker. Loads are judged against the fair level L: the average load,
 *   except that a lease heavier than L gets a worker to itself and the others share the rest.
 *   A worker's excess is its load above max(L, its heaviest lease), so a worker alone with a hot
 *   lease is never "over". The fleet is rebalanced when some worker's excess is above
 *   `tolerance` x L, or some load is below (1 - `tolerance`) x L: the second trigger is how a
 *   joining worker, at load 0, gets its share (with W = 10 the others are only 10 % above the
 *   new average). Once triggered: first the workers below both their count share floor(N/W)
 *   and L (joiners) are filled, then leases move until every excess is within half the
 *   tolerance and every load above (1 - `tolerance`/2) x L (hysteresis: no fine-tuning churn,
 *   and the result of a plan does not trigger the next one when the leases allow it). Each
 *   move takes from the worker with the most excess the lease closest to min(its excess, half
 *   the gap) to the lightest worker, only if that lowers the larger load of the two; a worker
 *   with no such lease is passed over. With equal weights a joiner ends with floor(N/W) leases,
 *   all taken from the others, as in count mode.
 * - A lease moves at most once per plan. When balancing throughput, a lease placed by this plan
 *   may still be re-targeted by it (still one `assign` entry, not a move, not counted in `maxMoves`).
 * - Inputs: workers are deduplicated; lease keys must be unique; a lease whose owner is not in
 *   `workers` counts as unowned (it is placed, in `assign`). A throughput that is not a finite
 *   number above `minWeight` counts as `minWeight`. The plan lists placements in the order they
 *   were decided (heaviest first) and moves in the order they were decided.
 * - Cost: O(N log N + W log W) for N leases and W workers (each balancing step is O(log) in a
 *   heap plus a binary search and splice in the donor's sorted leases, and a lease moves once).
 */
export interface PlanInput {
  /** Live workers (ids), in any order. Never empty when called. */
  readonly workers: readonly string[];
  /** Every lease the leader may place: unfinished, parents done, accepted by the fleet. */
  readonly leases: readonly PlannedLease[];
  readonly balanceThroughput: boolean;
  /** Relative excess of the heaviest worker's load over the average that triggers throughput moves. */
  readonly tolerance: number;
  /** Weight floor (KB/s) of a lease. */
  readonly minWeight: number;
  /** At most this many owned leases move in one plan (unowned placements are not limited). */
  readonly maxMoves: number;
}

export interface PlannedLease {
  readonly leaseKey: string;
  /** A live worker, or undefined = unowned (new, released, or taken from a dead worker). */
  readonly owner: string | undefined;
  /** Measured throughput, KB/s (undefined = unknown: counts as minWeight). */
  readonly throughputKBps: number | undefined;
}

export interface Plan {
  /** Unowned leases to give to a worker. */
  readonly assign: readonly { readonly leaseKey: string; readonly to: string }[];
  /** Owned leases to move (a graceful handoff by their owner). */
  readonly move: readonly { readonly leaseKey: string; readonly from: string; readonly to: string }[];
}

export function planAssignment(input: PlanInput): Plan {
  const fleet = buildFleet(input);
  if (fleet.workers.length === 0) return { assign: [], move: [] };
  const budget = Number.isFinite(input.maxMoves) ? Math.max(0, Math.floor(input.maxMoves)) : Number.MAX_SAFE_INTEGER;
  const plan: MutablePlan = { assign: [], move: [] };
  if (input.balanceThroughput) {
    placeOnLeastLoaded(fleet, plan);
    balanceLoad(fleet, plan, budget, Math.max(0, input.tolerance));
  } else {
    balanceCounts(fleet, plan, budget);
  }
  return plan;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutablePlan = { assign: Mutable<Plan['assign'][number]>[]; move: Mutable<Plan['move'][number]>[] };

interface Item {
  readonly leaseKey: string;
  readonly weight: number;
  /** Set on an unowned lease placed by this plan: its entry in `plan.assign` (moving it re-targets that entry). */
  readonly assigned?: number;
}

interface WorkerState {
  readonly id: string;
  /** The leases it may give: those it held at the start and those placed on it by this plan, sorted by weight then key. */
  readonly held: Item[];
  load: number;
  count: number;
  /** The heaviest lease moved to it by this plan (those do not move again). */
  placedMax: number;
}

interface Fleet {
  /** Sorted by id. */
  readonly workers: WorkerState[];
  /** Sorted by key. */
  readonly unowned: Item[];
  /** Every lease's weight. */
  readonly weights: number[];
}

function buildFleet(input: PlanInput): Fleet {
  const ids = [...new Set(input.workers)].sort(compareStrings);
  const workers = ids.map((id): WorkerState => ({ id, held: [], load: 0, count: 0, placedMax: 0 }));
  const byId = new Map(workers.map((w) => [w.id, w]));
  const unowned: Item[] = [];
  for (const lease of input.leases) {
    const item = { leaseKey: lease.leaseKey, weight: weightOf(lease.throughputKBps, input.minWeight) };
    const owner = lease.owner === undefined ? undefined : byId.get(lease.owner);
    if (owner === undefined) {
      unowned.push(item);
    } else {
      owner.held.push(item);
      owner.load += item.weight;
      owner.count++;
    }
  }
  for (const w of workers) w.held.sort(lighterFirst);
  unowned.sort((a, b) => compareStrings(a.leaseKey, b.leaseKey));
  return { workers, unowned, weights: input.leases.map((l) => weightOf(l.throughputKBps, input.minWeight)) };
}

function weightOf(throughputKBps: number | undefined, minWeight: number): number {
  const floor = Number.isFinite(minWeight) && minWeight > 0 ? minWeight : 0;
  return throughputKBps !== undefined && Number.isFinite(throughputKBps) && throughputKBps > floor ? throughputKBps : floor;
}

// ---- Counts -------------------------------------------------------------------------------

/** Sheds every worker's excess over its share (within budget) and places it with the unowned leases. */
function balanceCounts(fleet: Fleet, plan: MutablePlan, budget: number): void {
  const shares = countShares(fleet);
  const shed = excessLeases(fleet.workers, shares, budget);
  const pool = [...fleet.unowned.map((item) => ({ item, from: undefined })), ...shed].sort((a, b) => heavierFirst(a.item, b.item));
  const below = new Heap<WorkerState>(lighterWorker);
  for (const w of fleet.workers) if (w.count < (shares.get(w) ?? 0)) below.push(w);
  for (const { item, from } of pool) {
    const to = below.pop();
    if (to === undefined) break; // Cannot happen: the shares add up to N.
    give(plan, item, from, to);
    if (to.count < (shares.get(to) ?? 0)) below.push(to);
  }
}

/** floor(N/W) each; the N mod W workers holding the most (ties by id) get one more. */
function countShares(fleet: Fleet): Map<WorkerState, number> {
  const total = fleet.unowned.length + fleet.workers.reduce((sum, w) => sum + w.count, 0);
  const base = Math.floor(total / fleet.workers.length);
  const extra = total % fleet.workers.length;
  const ranked = [...fleet.workers].sort((a, b) => b.count - a.count || compareStrings(a.id, b.id));
  return new Map(ranked.map((w, i) => [w, base + (i < extra ? 1 : 0)]));
}

interface Shed {
  readonly item: Item;
  readonly from: WorkerState | undefined;
}

/** Each donor's lightest excess leases; under a budget, round by round (bigger excess, then id, first). */
function excessLeases(workers: readonly WorkerState[], shares: ReadonlyMap<WorkerState, number>, budget: number): Shed[] {
  const ranked: { shed: Shed; round: number; excess: number }[] = [];
  for (const w of workers) {
    const excess = w.count - (shares.get(w) ?? 0);
    for (let round = 0; round < excess; round++) ranked.push({ shed: { item: w.held[round]!, from: w }, round, excess });
  }
  if (ranked.length <= budget) return ranked.map((r) => r.shed);
  ranked.sort((a, b) => a.round - b.round || b.excess - a.excess || compareStrings(a.shed.from!.id, b.shed.from!.id));
  return ranked.slice(0, budget).map((r) => r.shed);
}

// ---- Load ---------------------------------------------------------------------------------

/** Unowned leases, heaviest first, each to the least loaded worker (ties by id); they may still move in this plan. */
function placeOnLeastLoaded(fleet: Fleet, plan: MutablePlan): void {
  const workers = new Heap<WorkerState>(lighterWorker);
  for (const w of fleet.workers) workers.push(w);
  for (const item of [...fleet.unowned].sort(heavierFirst)) {
    const to = workers.pop()!;
    plan.assign.push({ leaseKey: item.leaseKey, to: to.id });
    to.load += item.weight;
    to.count++;
    insertSorted(to.held, { leaseKey: item.leaseKey, weight: item.weight, assigned: plan.assign.length - 1 });
    workers.push(to);
  }
}

function insertSorted(held: Item[], item: Item): void {
  let lo = 0;
  let hi = held.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lighterFirst(held[mid]!, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  held.splice(lo, 0, item);
}

/**
 * The fair load ("water level") L: the average, except that a lease heavier than the level gets
 * a worker to itself and leaves the rest to share what remains. A worker's excess is its load
 * above max(L, its heaviest lease), so a worker alone with a hot lease is never over.
 */
function waterLevel(workers: readonly WorkerState[], weights: readonly number[]): number {
  const ascending = Float64Array.from(weights).sort(); // Numeric sort, no comparator calls.
  let rest = ascending.reduce((sum, w) => sum + w, 0);
  let k = 0; // Leases set aside, heaviest first.
  const heaviest = (i: number): number => ascending[ascending.length - 1 - i]!;
  while (k < workers.length - 1 && k < ascending.length && heaviest(k) > rest / (workers.length - k)) rest -= heaviest(k++);
  return rest / (workers.length - k);
}

function heaviestOf(w: WorkerState): number {
  return Math.max(w.placedMax, w.held[w.held.length - 1]?.weight ?? 0);
}

/**
 * If a worker is over the fair level L by more than `tolerance` x L, or under it by as much:
 * first fills the workers short of both their count share and L (joiners), then moves leases
 * from the workers with the most excess to the lightest until all are within half the
 * tolerance (hysteresis: no fine-tuning churn, and a plan's result triggers nothing next time).
 */
function balanceLoad(fleet: Fleet, plan: MutablePlan, budget: number, tolerance: number): void {
  const workers = fleet.workers;
  const level = waterLevel(workers, fleet.weights);
  const excess = (w: WorkerState): number => w.load - Math.max(level, heaviestOf(w));
  const over = (w: WorkerState, t: number): boolean => excess(w) > t * level;
  const under = (w: WorkerState, t: number): boolean => w.load < level * (1 - t);
  if (budget === 0 || !workers.some((w) => over(w, tolerance) || under(w, tolerance))) return;
  const floorShare = Math.floor(workers.reduce((sum, w) => sum + w.count, 0) / workers.length);
  const isShort = (w: WorkerState): boolean => w.count < floorShare && w.load < level;
  const moves = moveWhile(workers, plan, budget, excess, isShort, () => true);
  moveWhile(workers, plan, budget - moves, excess, () => true, (from, to) => over(from, tolerance / 2) || under(to, tolerance / 2));
}

/**
 * Moves leases from the workers with the most `excess` to the lightest worker that `receiverOk`
 * accepts, while `wanted` holds, and returns the number of moves. The donor gives its lease
 * closest to min(its excess, half the gap), if that lowers the larger load of the pair; a donor
 * with no such lease is passed over.
 */
function moveWhile(
  workers: readonly WorkerState[],
  plan: MutablePlan,
  budget: number,
  excess: (w: WorkerState) => number,
  receiverOk: (w: WorkerState) => boolean,
  wanted: (from: WorkerState, to: WorkerState) => boolean,
): number {
  const donors = new VersionedHeap<WorkerState>((w) => -excess(w));
  const receivers = new VersionedHeap<WorkerState>((w) => w.load);
  for (const w of workers) {
    donors.push(w);
    if (receiverOk(w)) receivers.push(w);
  }
  let moves = 0;
  while (moves < budget) {
    const from = donors.peek();
    const to = receivers.peek();
    if (from === undefined || to === undefined || from === to || from.load <= to.load || excess(from) <= 0) break;
    if (!receiverOk(to)) {
      receivers.drop(to);
      continue;
    }
    if (!wanted(from, to)) break;
    const gap = from.load - to.load;
    const item = takeClosest(from.held, Math.min(gap / 2, excess(from)), gap);
    if (item === undefined) {
      donors.drop(from); // Nothing it holds lowers its load without raising the other above it.
      continue;
    }
    if (item.assigned === undefined) {
      give(plan, item, from, to);
      moves++;
    } else {
      plan.assign[item.assigned]!.to = to.id; // Placed by this plan: re-targeted, not moved.
      from.load -= item.weight;
      from.count--;
      to.load += item.weight;
      to.count++;
    }
    to.placedMax = Math.max(to.placedMax, item.weight);
    for (const heap of [donors, receivers]) for (const w of [from, to]) heap.push(w);
  }
  return moves;
}

/**
 * Removes and returns the lease of `held` (sorted lightest first) whose weight is closest to
 * `target` among those strictly below `limit` (ties: the lighter one); undefined if none.
 */
function takeClosest(held: Item[], target: number, limit: number): Item | undefined {
  let lo = 0;
  let hi = held.length; // First index with weight > target.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (held[mid]!.weight <= target) lo = mid + 1;
    else hi = mid;
  }
  const below = lo > 0 ? lo - 1 : undefined;
  const above = lo < held.length && held[lo]!.weight < limit ? lo : undefined;
  let index = below ?? above;
  if (below !== undefined && above !== undefined && held[above]!.weight - target < target - held[below]!.weight) index = above;
  if (index === undefined || !(held[index]!.weight < limit)) return undefined;
  return held.splice(index, 1)[0];
}

// ---- Shared -------------------------------------------------------------------------------

function give(plan: MutablePlan, item: Item, from: WorkerState | undefined, to: WorkerState): void {
  if (from === undefined) {
    plan.assign.push({ leaseKey: item.leaseKey, to: to.id });
  } else {
    plan.move.push({ leaseKey: item.leaseKey, from: from.id, to: to.id });
    from.load -= item.weight;
    from.count--;
  }
  to.load += item.weight;
  to.count++;
}

function lighterFirst(a: Item, b: Item): number {
  return a.weight - b.weight || compareStrings(a.leaseKey, b.leaseKey);
}

function heavierFirst(a: Item, b: Item): number {
  return b.weight - a.weight || compareStrings(a.leaseKey, b.leaseKey);
}

function lighterWorker(a: WorkerState, b: WorkerState): number {
  return a.load - b.load || compareStrings(a.id, b.id);
}
