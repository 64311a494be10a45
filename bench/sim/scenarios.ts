import { Fleet, statsDelta, type SimDesign } from './fleet.js';
import type { OperationStats } from './sim-dynamodb.js';
import { seededRandom } from '../lib/measure.js';

/**
 * The scale scenarios, each driving a Fleet on the simulated clock and reading only what the
 * design wrote to DynamoDB and what its workers say they hold. Times are simulated milliseconds.
 */
export interface ScaleConfig {
  readonly workers: number;
  readonly leases: number;
  /** `cold`: every worker started within one second on an empty table; `warm`: a balanced table, every worker restarted at once. */
  readonly start: 'cold' | 'warm';
  /** Length of each steady-state window (idle, busy). */
  readonly windowMs: number;
  /** Also measure idle over this much simulated time (a whole hour), after the short window. */
  readonly longIdleMs?: number;
  /** Busy window: every shard delivers a record, and its processor checkpoints, this often. */
  readonly checkpointEveryMs: number;
  /** Which events to run after the steady-state windows. */
  readonly events: readonly ('stop' | 'stopLeader' | 'kill' | 'killLeader' | 'join' | 'skew')[];
}

export interface Window {
  readonly ms: number;
  readonly byOperation: Map<string, OperationStats>;
}

export interface Reassignment {
  /** From the event until every lease is held by a live worker, the table agreeing (undefined: not within the limit). */
  readonly reassignMs: number | undefined;
  /** Until every live worker is within ±1 of the others. */
  readonly fairMs: number | undefined;
  /** Lease owner changes from one worker to another during the event. */
  readonly moved: number;
  /** How long stop() took (stop events). */
  readonly stopMs?: number;
}

export interface ScaleResult {
  readonly config: ScaleConfig;
  readonly startup: { readonly fairMs: number | undefined; readonly maxTakesPerLease: number; readonly moved: number; readonly takingIntervalMs: number };
  readonly idle: Window;
  /** Idle over config.longIdleMs, when asked for. */
  readonly longIdle: Window | undefined;
  readonly busy: Window | undefined;
  readonly events: Partial<Record<'stop' | 'stopLeader' | 'kill' | 'killLeader' | 'join', Reassignment>>;
  /** Skewed load: the busiest worker's byte rate over the mean (1 = perfectly throughput-balanced). */
  readonly skewImbalance: Skew | undefined;
  /** Real (wall-clock) seconds the simulation took. */
  readonly wallSeconds: number;
}

/** After the fleet is fair, the steady-state windows start this much later (workers finishing their first look for leases). */
const SETTLE_MS = 5_000;
/** Give up waiting for an event's outcome after this much simulated time. */
const EVENT_LIMIT_MS = 180_000;
/** How often (simulated) the fleet's state is sampled while waiting. */
const POLL_MS = 100;

const workerId = (i: number): string => `worker-${String(i).padStart(3, '0')}`;

export async function runScale(design: SimDesign, config: ScaleConfig, takingIntervalMs: number, log: (message: string) => void = () => undefined): Promise<ScaleResult> {
  const wallStart = performance.now();
  const fleet = new Fleet({ design, leases: config.leases });
  const startup = config.start === 'cold' ? await coldStart(fleet, config.workers) : await warmStart(fleet, config.workers);
  log(`  ${config.workers} x ${config.leases}: ${config.start} start fair after ${startup.fairMs ?? '-'} ms`);
  await fleet.run(SETTLE_MS); // as the real run does (bench/sim/real-run.ts)
  const idle = await window(fleet, config.windowMs);
  const longIdle = config.longIdleMs === undefined ? undefined : await window(fleet, config.longIdleMs);
  if (longIdle !== undefined) log(`  idle for ${config.longIdleMs! / 1000} s simulated: ${((performance.now() - wallStart) / 1000).toFixed(0)} s wall so far`);
  let busy: Window | undefined;
  if (config.checkpointEveryMs > 0) {
    fleet.setLoad(() => config.checkpointEveryMs);
    await fleet.run(config.checkpointEveryMs); // every shard has had its first record
    busy = await window(fleet, config.windowMs);
    fleet.setLoad(() => undefined);
  }
  const events: ScaleResult['events'] = {};
  let next = config.workers;
  for (const event of config.events) {
    if (event === 'skew') continue;
    const live = fleet.live();
    const leader = fleet.leader();
    const victim = event === 'stopLeader' || event === 'killLeader' ? leader : live.find((id) => id !== leader);
    if (event !== 'join' && victim === undefined) continue;
    events[event] = event === 'join' ? await reassign(fleet, () => void fleet.add(workerId(next++))) : await reassign(fleet, () => (event === 'kill' || event === 'killLeader' ? fleet.kill(victim!) : fleet.stop(victim!)));
    log(`  ${event}: all held after ${events[event]?.reassignMs ?? '-'} ms, fair after ${events[event]?.fairMs ?? '-'} ms`);
  }
  const skewImbalance = config.events.includes('skew') ? await skewed(fleet, log) : undefined;
  return { config, startup: { ...startup, takingIntervalMs }, idle, longIdle, busy, events, skewImbalance, wallSeconds: (performance.now() - wallStart) / 1000 };
}

/** Every worker started at a random moment within one second, on an empty table. */
async function coldStart(fleet: Fleet, workers: number): Promise<{ fairMs: number | undefined; maxTakesPerLease: number; moved: number }> {
  const random = seededRandom(42);
  const offsets = Array.from({ length: workers }, () => Math.floor(random() * 1_000)).sort((a, b) => a - b);
  const start = fleet.clock.now();
  for (const [i, offset] of offsets.entries()) {
    await fleet.clock.advanceTo(start + offset);
    fleet.add(workerId(i));
  }
  const fairMs = await fleet.clock.until(() => fleet.fair(), EVENT_LIMIT_MS, POLL_MS);
  return { fairMs: fairMs === undefined ? undefined : fleet.clock.now() - start, maxTakesPerLease: Math.max(0, ...fleet.takes.values()), moved: fleet.moves };
}

/** A balanced table (lease i owned by worker i mod W), every worker (re)started at once. */
async function warmStart(fleet: Fleet, workers: number): Promise<{ fairMs: number | undefined; maxTakesPerLease: number; moved: number }> {
  fleet.seed((i) => workerId(i % workers));
  const start = fleet.clock.now();
  for (let i = 0; i < workers; i++) fleet.add(workerId(i));
  const fairMs = await fleet.clock.until(() => fleet.fair(), EVENT_LIMIT_MS, POLL_MS);
  return { fairMs: fairMs === undefined ? undefined : fleet.clock.now() - start, maxTakesPerLease: Math.max(0, ...fleet.takes.values()), moved: fleet.moves };
}

async function window(fleet: Fleet, ms: number): Promise<Window> {
  const before = fleet.stats();
  await fleet.run(ms);
  return { ms, byOperation: statsDelta(fleet.stats(), before) };
}

async function reassign(fleet: Fleet, event: () => void | Promise<number>): Promise<Reassignment> {
  const movesBefore = fleet.moves;
  const start = fleet.clock.now();
  const stopMs = await event();
  const reassigned = await fleet.clock.until(() => fleet.settled(), EVENT_LIMIT_MS, POLL_MS);
  const reassignMs = reassigned === undefined ? undefined : fleet.clock.now() - start;
  const fair = await fleet.clock.until(() => fleet.fair(), EVENT_LIMIT_MS, POLL_MS);
  return {
    reassignMs,
    fairMs: fair === undefined ? undefined : fleet.clock.now() - start,
    moved: fleet.moves - movesBefore,
    ...(typeof stopMs === 'number' ? { stopMs } : {}),
  };
}

/** The skewed load: shard k delivers a 100 KB record every 100 x (k + 1) ms (Zipf: 1/(k+1) of the top shard's 1,000 KB/s, a shard's write limit). */
const SKEW_RECORD_BYTES = 100 * 1024;
const skewEveryMs = (shardId: string): number => 100 * (Number(shardId.slice('shardId-'.length)) + 1);
/** Time under skewed load before the imbalance is read: throughput is reported with checkpoints and read by the leader's scans. */
const SKEW_RUN_MS = 90_000;

/** Runs the skewed load, then reads the imbalance; the load stops afterwards. */
async function skewed(fleet: Fleet, log: (message: string) => void): Promise<Skew> {
  fleet.setLoad((shardId) => ({ everyMs: skewEveryMs(shardId), bytes: SKEW_RECORD_BYTES }));
  const before = skew(fleet);
  const movesBefore = fleet.moves;
  await fleet.run(SKEW_RUN_MS);
  const after = skew(fleet);
  fleet.setLoad(() => undefined);
  log(`  skew: busiest worker ${before.imbalance.toFixed(2)}x the mean before, ${after.imbalance.toFixed(2)}x after ${SKEW_RUN_MS / 1000} s (best possible ${after.bound.toFixed(2)}x), ${fleet.moves - movesBefore} moves`);
  return { ...after, before: before.imbalance, moved: fleet.moves - movesBefore };
}

export interface Skew {
  /** The busiest worker's byte rate over the mean, after the run. */
  readonly imbalance: number;
  /** The same before the leader saw the load. */
  readonly before: number;
  /** The lower bound: the hottest shard alone over the mean (1 when no shard exceeds the mean). */
  readonly bound: number;
  readonly moved: number;
}

/** Zipf-like load (shard k carries 1/(k+1) of the top shard's rate): the busiest worker's rate over the mean, and the best possible. */
function skew(fleet: Fleet): { imbalance: number; bound: number } {
  const rate = (index: number) => 1 / (index + 1);
  const perWorker = [...fleet.heldBy().values()].map((keys) => keys.reduce((sum, key) => sum + rate(Number(key.slice('shardId-'.length))), 0));
  const mean = perWorker.reduce((a, b) => a + b, 0) / perWorker.length;
  return { imbalance: Math.max(...perWorker) / mean, bound: Math.max(1, rate(0) / mean) };
}
