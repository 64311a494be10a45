import type { Clock } from '@kinesis-kit/core';
import type { Lease } from '@kinesis-kit/consumer';

/**
 * Whether a lease's counter moved, watched over a sampling window. The lease table holds no
 * timestamps; the Java KCL judges a holder alive when its lease counter moves within
 * failoverTimeMillis on the observer's own clock, and so do we: every read is compared with the
 * previous one, on this process's clock only.
 */
export interface CounterSample {
  /** How long the table was watched, first read to last, in ms (0: read once). */
  readonly windowMs: number;
  /** Per lease key, ms between the last observed counter move and the end of the window; absent: no move seen. */
  readonly movedMsAgo: ReadonlyMap<string, number>;
  /** The leases as last read. */
  readonly leases: readonly Lease[];
}

export interface SampleOptions {
  readonly windowMs: number;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Stop before the window ends once a counter moved (a live holder was seen). */
  readonly stopAtFirstMove?: boolean;
}

/** Reads the leases with `read` every intervalMs for windowMs and records counter moves. */
export async function sampleCounters(read: () => Promise<readonly Lease[]>, options: SampleOptions): Promise<CounterSample> {
  const { clock, windowMs, intervalMs, signal } = options;
  let leases = await read();
  const firstRead = clock.now();
  const counters = new Map(leases.map((lease) => [lease.leaseKey, lease.leaseCounter]));
  const movedAt = new Map<string, number>();
  while (clock.now() - firstRead < windowMs && !(options.stopAtFirstMove === true && movedAt.size > 0)) {
    await clock.sleep(Math.min(intervalMs, windowMs - (clock.now() - firstRead)), signal);
    leases = await read();
    const now = clock.now();
    for (const lease of leases) {
      const before = counters.get(lease.leaseKey);
      if (before !== undefined && before !== lease.leaseCounter) movedAt.set(lease.leaseKey, now);
      counters.set(lease.leaseKey, lease.leaseCounter);
    }
  }
  // The window is what was watched: from the first read to the last (0 when read once).
  const end = clock.now();
  return {
    windowMs: Math.round(end - firstRead),
    movedMsAgo: new Map([...movedAt].map(([key, at]) => [key, Math.round(end - at)])),
    leases,
  };
}
