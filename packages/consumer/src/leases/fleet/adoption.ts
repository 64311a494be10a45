import type { Clock, Metrics } from '@kinesis-kit/core';
import { claimed, type CoordinatorState, type HeldLease } from '../coordinator-state.js';
import type { KeyedLocks } from '../keyed-locks.js';
import { isFinished } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { LEASE_METRICS } from '../metric-names.js';
import type { SlotView } from './fleet-item.js';
import type { FleetStore } from './fleet-store.js';
import { pool } from './pool.js';

/** What discovery and adoption need of the coordinator. */
export interface AdoptionContext {
  readonly workerId: string;
  readonly store: Pick<LeaseStore & FleetStore, 'ownedLeaseKeys' | 'getLease' | 'takeLease' | 'releaseLease'>;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** The coordinator's per-lease locks (an adoption never races a write of the same lease). */
  readonly locks: KeyedLocks;
  /** Runs a request in the coordinator's abort scope, with a deadline when given. */
  readonly run: <T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => Promise<T>;
  /** Whether this worker may hold the lease (one placed on it that it does not accept is given back). */
  readonly accepts: (leaseKey: string) => boolean;
  readonly held: () => ReadonlyMap<string, HeldLease>;
  readonly stopping: () => boolean;
  /** When this worker's life ends (an adoption after it could not help). */
  readonly lifeEnds: () => number;
  /** How many leases the leader counts for this worker (undefined: not in the fleet). */
  readonly expectedCount: () => number | undefined;
  readonly apply: (transition: (state: CoordinatorState) => CoordinatorState) => void;
  /** Tells the leader new work exists (a lease given back, a finished lease to release). */
  readonly wake: () => void;
  readonly reportError: (error: unknown, source: 'takingRound') => void;
}

/** Adoptions (a read and a conditional write each) in flight at once. */
const ADOPT_CONCURRENCY = 8;
/** A worker whose lease count disagrees with the leader's looks for its leases again at most this often. */
const RECHECK_MS = 2_000;
/** Waits between discovery attempts while the GSI has not caught up with an assignment. */
const DISCOVERY_RETRIES_MS = [100, 200, 400, 800, 1_600] as const;

/**
 * How a worker learns of the leases placed on it and starts consuming them: when its assignment
 * epoch changes (or its count disagrees with what it holds), a query of the
 * LeaseOwnerToLeaseKeyIndex GSI, then a read and an adoption of each new key. An adoption is a
 * write conditional on the counter read (see FleetCoordinator for why that is safe).
 */
export class Adoption {
  readonly #context: AdoptionContext;
  /** The assignment epoch whose leases this worker has adopted; undefined = look again. */
  #epochDone: number | undefined;
  #discovery: Promise<void> | undefined;
  #discoveredAt = Number.NEGATIVE_INFINITY;

  constructor(context: AdoptionContext) {
    this.#context = context;
  }

  /** The discovery under way, if any. */
  get discovery(): Promise<void> | undefined {
    return this.#discovery;
  }

  /** The next heartbeat looks for this worker's leases again, whatever the epoch. */
  lookAgain(): void {
    this.#epochDone = undefined;
  }

  /**
   * This worker's slot as the fleet item shows it: a new epoch, or (checked at most every
   * RECHECK_MS) a count that disagrees with what this worker holds, starts a discovery; a
   * placement whose notification was lost is still found.
   */
  check(mine: SlotView): void {
    const mismatch = mine.count !== this.#context.held().size && this.#context.clock.now() - this.#discoveredAt >= RECHECK_MS;
    if (!this.#context.stopping() && (mine.epoch !== this.#epochDone || mismatch)) this.#discoverSoon(mine.epoch);
  }

  #discoverSoon(epoch: number): void {
    if (this.#discovery !== undefined) return;
    this.#discovery = this.#discover(epoch)
      .catch((e: unknown) => this.#context.reportError(e, 'takingRound'))
      .finally(() => {
        this.#discovery = undefined;
      });
  }

  /**
   * Finds the leases the GSI says this worker owns, and adopts those it does not hold yet. The GSI
   * lags the table a little: while it shows fewer leases than the leader's count for us, look again.
   */
  async #discover(epoch: number): Promise<void> {
    const { clock, run, store, workerId } = this.#context;
    this.#discoveredAt = clock.now();
    for (const waitMs of [0, ...DISCOVERY_RETRIES_MS]) {
      if (waitMs > 0) await run((signal) => clock.sleep(waitMs, signal));
      if (this.#context.stopping()) return;
      const keys = await run((signal) => store.ownedLeaseKeys(workerId, signal));
      // A few at a time: the heartbeat shares this client and must never queue behind hundreds of adoptions.
      await pool(keys.filter((key) => !this.#context.held().has(key)), ADOPT_CONCURRENCY, (key) => this.#adopt(key));
      const expected = this.#context.expectedCount();
      if (expected === undefined || keys.length >= expected) break;
    }
    this.#epochDone = epoch;
  }

  /** Reads the lease and takes it with a write conditional on what was read (see FleetCoordinator). */
  async #adopt(key: string): Promise<void> {
    const { locks, run, store, workerId, clock } = this.#context;
    if (locks.has(key)) return;
    await locks.run(key, async () => {
      const lease = await run((signal) => store.getLease(key, signal));
      if (lease === undefined || lease.leaseOwner !== workerId || this.#context.stopping() || this.#context.held().has(key)) return;
      if (!this.#context.accepts(key)) {
        // Placed before the leader learnt this worker stopped consuming its stream: give it back.
        await run((signal) => store.releaseLease(lease, signal));
        this.#context.wake();
        return;
      }
      const sentAt = clock.now();
      const result = await run((signal) => store.takeLease(lease, workerId, signal), this.#context.lifeEnds() - sentAt);
      if (result.kind !== 'taken') return;
      this.#context.metrics.count(LEASE_METRICS.leasesTaken);
      this.#context.apply((s) => claimed(s, result.lease, sentAt));
      // A finished lease is released at once by the scheduler; a live one starts consuming.
      if (isFinished(result.lease)) this.#context.wake();
    });
  }
}
