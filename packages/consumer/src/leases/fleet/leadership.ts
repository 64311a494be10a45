import type { Clock, Logger } from '@kinesis-kit/core';
import { COUNTER_MODULUS, FLEET, parseFleet, slotAttribute, type FleetView } from './fleet-item.js';
import type { FleetLeader } from './fleet-leader.js';
import type { FleetUpdate, FleetWriteResult } from './fleet-store.js';
import type { Sightings } from './sightings.js';

/** What leadership needs of the coordinator. */
export interface LeadershipContext {
  readonly workerId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: { readonly failoverTimeMillis: number; readonly heartbeatIntervalMillis: number };
  /** The member's sightings of the leader's lock counter (FLEET.leaderCounter) and every slot's heartbeat. */
  readonly sightings: Sightings;
  /** This worker's slot in the fleet item (undefined: not in the fleet). */
  readonly slot: () => string | undefined;
  readonly stopping: () => boolean;
  readonly writeFleet: (update: FleetUpdate) => Promise<FleetWriteResult>;
  readonly createLeader: () => FleetLeader;
  /** A successful claim returned the fleet item: react to it as to a heartbeat's. */
  readonly observe: (view: FleetView) => void;
}

/**
 * The leader's lock as one worker holds or watches it: a worker claims it (a write conditional on
 * the lock counter it saw) once the counter has not changed for failoverTimeMillis (the deputy),
 * or two heartbeat intervals more (any other worker); gives it up when the fleet item names
 * another leader; and at a graceful stop hands it to a successor at once.
 */
export class Leadership {
  readonly #context: LeadershipContext;
  #leader: FleetLeader | undefined;

  constructor(context: LeadershipContext) {
    this.#context = context;
  }

  /** This worker's leader while it holds the lock. */
  get leader(): FleetLeader | undefined {
    return this.#leader;
  }

  /** Claims, takes over, keeps or gives up the leader's lock as the fleet item shows it. */
  async lead(view: FleetView): Promise<void> {
    const { workerId, clock, sightings, settings } = this.#context;
    const slot = this.#context.slot();
    if (slot === undefined || this.#context.stopping()) return;
    if (view.leader === workerId) {
      this.#leader ??= this.#context.createLeader();
      await this.#leader.step(view, { leaving: false });
      return;
    }
    if (this.#leader !== undefined) this.demote();
    const patience = settings.failoverTimeMillis + (view.deputy === slot ? 0 : 2 * settings.heartbeatIntervalMillis);
    if (view.leader !== undefined && sightings.unchangedFor(FLEET.leaderCounter, clock.now()) < patience) return;
    const claim = await this.#context.writeFleet({
      set: { [FLEET.leader]: workerId, [FLEET.leaderCounter]: (view.leaderCounter + 1) % COUNTER_MODULUS },
      remove: [FLEET.deputy],
      conditions: [
        { attribute: slotAttribute('heartbeat', slot), exists: true },
        view.leader === undefined ? { attribute: FLEET.leader, exists: false } : { attribute: FLEET.leader, equals: view.leader },
        // No leader (the last one left without a successor): its lock counter may remain; any value will do.
        ...(view.leader === undefined ? [] : [{ attribute: FLEET.leaderCounter, equals: view.leaderCounter }]),
      ],
    });
    if (claim.kind !== 'updated') return;
    this.#context.logger.info('this worker is now the leader', { workerId, previous: view.leader });
    this.#leader = this.#context.createLeader();
    this.#context.observe(parseFleet(claim.fleet));
  }

  demote(): void {
    this.#leader?.stop();
    this.#leader = undefined;
  }

  /** A graceful stop of the leader: the lock goes to the deputy (or any live worker) at once. */
  async handOver(leader: FleetLeader): Promise<void> {
    const successor = leader.successor();
    this.demote();
    await this.#context.writeFleet({
      ...(successor === undefined ? { remove: [FLEET.leader, FLEET.deputy] } : { set: { [FLEET.leader]: successor }, remove: [FLEET.deputy] }),
      conditions: [{ attribute: FLEET.leader, equals: this.#context.workerId }],
    });
  }
}
