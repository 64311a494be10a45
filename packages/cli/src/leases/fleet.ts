import { parseFleet, type FleetAttributes, type WorkerRecord } from '@kinesis-kit/consumer';
import type { LivenessRead } from './sample.js';

/**
 * The fleet coordination's signals in one read: each listed worker's heartbeat (`h<slot>` of the
 * fleet item, its slot from its worker item) and the leader. `fleet` undefined: no fleet item
 * (a KCL 2.x or Java KCL table), so no heartbeats; the workers are still fleet workers.
 */
export function fleetSignals(fleet: FleetAttributes | undefined, workers: readonly WorkerRecord[]): Omit<LivenessRead, 'leases'> {
  const view = fleet === undefined ? undefined : parseFleet(fleet);
  const heartbeats = new Map<string, number>();
  for (const worker of workers) {
    const beat = view?.slots.get(worker.slot)?.heartbeat;
    if (beat !== undefined) heartbeats.set(worker.workerId, beat);
  }
  return { heartbeats, fleetWorkers: new Set(workers.map((w) => w.workerId)), leader: view?.leader };
}
