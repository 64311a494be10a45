import type { Clock } from '@kinesis-kit/core';
import type { FleetView } from './fleet-item.js';
import type { Sightings } from './sightings.js';

/** What the heartbeat's pace needs of the coordinator. */
export interface HeartbeatPaceContext {
  readonly clock: Clock;
  readonly settings: { readonly failoverTimeMillis: number; readonly heartbeatIntervalMillis: number; readonly leaderIntervalMillis: number };
  /** The member's sightings of every slot's heartbeat. */
  readonly sightings: Sightings;
  /** This worker's slot in the fleet item (undefined: not in the fleet). */
  readonly slot: () => string | undefined;
  /** The fleet item as last seen. */
  readonly view: () => FleetView | undefined;
  readonly leading: () => boolean;
}

/** After a worker leaves, the others heartbeat fast for this many normal heartbeat intervals (its leases are being placed). */
const FAST_AFTER_DEPARTURE_HEARTBEATS = 2;

/**
 * The leader and the deputy heartbeat every leaderIntervalMillis. So does every worker while a
 * placement is near: another worker is about to be judged dead, or one has just left. It then
 * learns of the leases placed on it within leaderIntervalMillis, not heartbeatIntervalMillis,
 * at the cost of a few heartbeats per departure.
 */
export class HeartbeatPace {
  readonly #context: HeartbeatPaceContext;
  /** Heartbeats come every leaderIntervalMillis until then (a worker has just left). */
  #fastUntil = 0;

  constructor(context: HeartbeatPaceContext) {
    this.#context = context;
  }

  /** A new fleet item was seen at `now`: a slot that is gone starts a fast spell. */
  observe(previous: FleetView | undefined, view: FleetView, now: number): void {
    if (previous !== undefined && [...previous.slots.keys()].some((slot) => !view.slots.has(slot))) {
      this.#fastUntil = now + FAST_AFTER_DEPARTURE_HEARTBEATS * this.#context.settings.heartbeatIntervalMillis;
    }
  }

  /** The time between this worker's heartbeats now. */
  interval(): number {
    const slot = this.#context.slot();
    const fast = this.#context.leading() || (slot !== undefined && this.#context.view()?.deputy === slot) || this.#placementNear();
    return fast ? this.#context.settings.leaderIntervalMillis : this.#context.settings.heartbeatIntervalMillis;
  }

  #placementNear(): boolean {
    const { clock, settings, sightings } = this.#context;
    const now = clock.now();
    if (now < this.#fastUntil) return true;
    const view = this.#context.view();
    if (view === undefined) return false;
    const mine = this.#context.slot();
    for (const slot of view.slots.keys()) {
      if (slot !== mine && sightings.unchangedFor(slot, now) >= settings.failoverTimeMillis - settings.heartbeatIntervalMillis) return true;
    }
    return false;
  }
}
