import type { Clock } from '@kinesis-kit/core';
import type { Lease } from '@kinesis-kit/consumer';

/**
 * What tells whether lease holders are alive, as read once. The lease table holds no timestamps:
 * a holder is judged alive when a value it keeps changing changes within the failover time, on the
 * observer's own clock (the Java KCL's rule). Under the KCL 2.x protocol (kinesis-kit's
 * `coordination: 'kcl2'`, the Java KCL) that value is the lease counter, renewed every failover
 * time / 3. Under fleet coordination (kinesis-kit's default) leases are not renewed: their
 * counters move only on checkpoints, assignments and hand-overs, and each worker instead
 * heartbeats into the fleet item (`h<slot>`), its slot named by its worker item.
 */
export interface LivenessRead {
  readonly leases: readonly Lease[];
  /** Heartbeat value per fleet worker id (`h<slot>` of the fleet item); absent when not read or not in the fleet item. */
  readonly heartbeats: ReadonlyMap<string, number>;
  /** Worker ids whose worker item names a fleet slot: their leases' liveness is their heartbeat. */
  readonly fleetWorkers: ReadonlySet<string>;
  /** The fleet leader's worker id (`ldr`), when the fleet item was read and names one. */
  readonly leader: string | undefined;
}

/** The liveness signals watched over a sampling window. */
export interface LivenessSample {
  /** How long the table was watched, first read to last, in ms (0: read once). */
  readonly windowMs: number;
  /** Per lease key, ms between the last observed counter move and the end of the window; absent: no move seen. */
  readonly counterMovedMsAgo: ReadonlyMap<string, number>;
  /** Per fleet worker id, ms between the last observed heartbeat change and the end of the window; absent: none seen. */
  readonly heartbeatMsAgo: ReadonlyMap<string, number>;
  /** The last read. */
  readonly last: LivenessRead;
}

export interface SampleOptions {
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Stop before the window ends once a counter or a heartbeat changed (a live holder was seen). */
  readonly stopAtFirstMove?: boolean;
}

/** Values per key, and when each was last seen to change (a key absent from a read is left as it was). */
class Changes {
  readonly #values = new Map<string, number>();
  readonly #changedAt = new Map<string, number>();

  observe(key: string, value: number, now: number): void {
    const before = this.#values.get(key);
    if (before !== undefined && before !== value) this.#changedAt.set(key, now);
    this.#values.set(key, value);
  }

  get any(): boolean {
    return this.#changedAt.size > 0;
  }

  agoAt(end: number): Map<string, number> {
    return new Map([...this.#changedAt].map(([key, at]) => [key, Math.round(end - at)]));
  }
}

/** Reads with `read` every intervalMs for windowMs and records counter moves and heartbeat changes. */
export async function sampleLiveness(read: () => Promise<LivenessRead>, options: SampleOptions): Promise<LivenessSample> {
  const { clock, windowMs, intervalMs, signal } = options;
  const counters = new Changes();
  const heartbeats = new Changes();
  const observe = (current: LivenessRead, now: number): void => {
    for (const lease of current.leases) counters.observe(lease.leaseKey, lease.leaseCounter, now);
    for (const [workerId, beat] of current.heartbeats) heartbeats.observe(workerId, beat, now);
  };
  let last = await read();
  const firstRead = clock.now();
  observe(last, firstRead);
  while (clock.now() - firstRead < windowMs && !(options.stopAtFirstMove === true && (counters.any || heartbeats.any))) {
    await clock.sleep(Math.min(intervalMs, windowMs - (clock.now() - firstRead)), signal);
    last = await read();
    observe(last, clock.now());
  }
  // The window is what was watched: from the first read to the last (0 when read once).
  const end = clock.now();
  return { windowMs: Math.round(end - firstRead), counterMovedMsAgo: counters.agoAt(end), heartbeatMsAgo: heartbeats.agoAt(end), last };
}
