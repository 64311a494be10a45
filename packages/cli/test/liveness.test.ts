import type { Clock } from '@kinesis-kit/core';
import type { Lease } from '@kinesis-kit/consumer';
import { describe, expect, it } from 'vitest';
import { fleetSignals } from '../src/leases/fleet.js';
import { sampleLiveness, type LivenessRead } from '../src/leases/sample.js';

/** A clock whose sleeps advance it at once: the sampling loop runs without waiting. */
function virtualClock(): Clock {
  let now = 1_000;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

const lease = (leaseKey: string, leaseCounter: number, leaseOwner?: string): Lease =>
  ({ leaseKey, leaseCounter, ...(leaseOwner === undefined ? {} : { leaseOwner }) }) as unknown as Lease;

/** Reads that return `reads` in turn (the last one again once they run out). */
function scripted(reads: readonly LivenessRead[]): () => Promise<LivenessRead> {
  let next = 0;
  return async () => reads[Math.min(next++, reads.length - 1)]!;
}

const read = (counter: number, heartbeat: number | undefined): LivenessRead => ({
  leases: [lease('shardId-000000000000', counter, 'worker-1')],
  heartbeats: new Map(heartbeat === undefined ? [] : [['worker-1', heartbeat]]),
  fleetWorkers: new Set(['worker-1']),
  leader: 'worker-1',
});

describe('sampleLiveness', () => {
  const options = { windowMs: 2_000, intervalMs: 250, signal: new AbortController().signal };

  it('a fleet owner whose lease counter stays still is alive when its heartbeat changes (stops at the first change)', async () => {
    const sample = await sampleLiveness(scripted([read(4, 10), read(4, 10), read(4, 11)]), { ...options, clock: virtualClock(), stopAtFirstMove: true });
    expect(sample.counterMovedMsAgo.size).toBe(0);
    expect(sample.heartbeatMsAgo).toEqual(new Map([['worker-1', 0]]));
    expect(sample.windowMs).toBe(500);
  });

  it('the lease counter still counts (kcl2 owners); nothing changing watches the whole window', async () => {
    const moved = await sampleLiveness(scripted([read(4, undefined), read(5, undefined)]), { ...options, clock: virtualClock(), stopAtFirstMove: true });
    expect(moved.counterMovedMsAgo).toEqual(new Map([['shardId-000000000000', 0]]));
    expect(moved.heartbeatMsAgo.size).toBe(0);
    const still = await sampleLiveness(scripted([read(4, 10)]), { ...options, clock: virtualClock() });
    expect(still).toMatchObject({ windowMs: 2_000, counterMovedMsAgo: new Map(), heartbeatMsAgo: new Map() });
  });

  it('a heartbeat missing from one read (slot not in the fleet item) is not a change', async () => {
    const sample = await sampleLiveness(scripted([read(4, 10), read(4, undefined), read(4, 10)]), { ...options, clock: virtualClock() });
    expect(sample.heartbeatMsAgo.size).toBe(0);
  });
});

describe('fleetSignals', () => {
  it("maps each worker to its slot's heartbeat and names the leader", () => {
    const fleet = new Map<string, string | number>([['ldr', 'worker-2'], ['h1', 42], ['h2', 7], ['e1', 3], ['sl', 2]]);
    const signals = fleetSignals(fleet, [{ workerId: 'worker-1', slot: '1' }, { workerId: 'worker-2', slot: '2' }, { workerId: 'gone', slot: '9' }]);
    expect(signals.heartbeats).toEqual(new Map([['worker-1', 42], ['worker-2', 7]]));
    expect(signals.fleetWorkers).toEqual(new Set(['worker-1', 'worker-2', 'gone']));
    expect(signals.leader).toBe('worker-2');
  });

  it('no fleet item: no heartbeats, no leader; the workers are still fleet workers', () => {
    expect(fleetSignals(undefined, [{ workerId: 'worker-1', slot: '1' }])).toEqual({ heartbeats: new Map(), fleetWorkers: new Set(['worker-1']), leader: undefined });
  });
});
