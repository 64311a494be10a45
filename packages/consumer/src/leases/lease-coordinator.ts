import { noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import type { Position } from '../position.js';
import { EvenShareAssignment, type AssignableLease, type LeaseAssignmentPolicy } from './assignment.js';
import {
  activeLeases,
  claimed,
  deleted,
  expiredHeld,
  initialState,
  isAvailable,
  lost,
  releasedIn,
  renewedIn,
  scanned,
  wrote,
  type CoordinatorState,
  type HeldLease,
} from './coordinator-state.js';
import { isFinished, type Lease } from './lease.js';
import type { LeaseStore } from './lease-store.js';
import { LEASE_METRICS } from './metric-names.js';
import { Ticker } from './ticker.js';
import { KeyedLocks } from './keyed-locks.js';
import { publishHeldChanges } from './held-changes.js';
import type { ChangeListener, Coordination, HandoffListener, RoundListener } from './coordination.js';
import { AbortScope } from './abort-scope.js';
import { LossDeadlines } from './loss-deadlines.js';

export interface LeaseCoordinatorSettings {
  readonly failoverTimeMillis: number;
  readonly epsilonMillis: number;
  readonly leaseTakingIntervalMillis: number;
  readonly maxLeasesForWorker: number;
  readonly maxLeasesToStealAtOneTime: number;
  /** A lease not renewed is given up at its last renewal + failoverTimeMillis - this margin (see LeaseCoordinator). */
  readonly leaseLossMarginMillis: number;
}

export interface LeaseCoordinatorOptions extends LeaseCoordinatorSettings {
  readonly workerId: string;
  readonly store: LeaseStore;
  readonly policy?: LeaseAssignmentPolicy;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Which leases this worker may take or steal (default all): a multi-stream worker takes only its streams' leases. */
  readonly accepts?: (leaseKey: string) => boolean;
  /** Told of failures of a round (they never stop the coordinator; the round runs again). */
  readonly onError?: (error: unknown, source: 'takingRound' | 'renewal') => void;
}

export type { ChangeListener, RoundListener } from './coordination.js';

/** The KCL's renewal interval: failover/3 - epsilon (3,308 ms with the defaults). */
export function renewalIntervalMillis(settings: Pick<LeaseCoordinatorSettings, 'failoverTimeMillis' | 'epsilonMillis'>): number {
  return Math.max(1, Math.floor(settings.failoverTimeMillis / 3 - settings.epsilonMillis));
}

/**
 * Holds, renews, takes and gives up leases for one worker. Renewals are conditional updates
 * with no reads, every failover/3 - epsilon, each lease on its own: a renewal that hangs delays
 * neither the other leases' renewals nor the taking rounds. A taking round is one consistent
 * scan, then takes and steals as the assignment policy decides; round listeners (parent checks,
 * the leader's chores) reuse that scan instead of reading the table again. Writes to one lease
 * never overlap.
 *
 * The lease-loss invariant: a worker that cannot renew a lease stops consuming its shard before
 * any other worker can take it. Another worker judges the lease expired failoverTimeMillis after
 * IT first saw the lease's current counter, which is no earlier than when we SENT the write that
 * set it (`renewedAt`). So at `renewedAt + failoverTimeMillis - leaseLossMarginMillis` on our
 * clock, if no later write of ours succeeded, the lease is dropped here (a timer per held lease,
 * not the next renewal round): its shard consumer gets leaseLost at once and can no longer
 * checkpoint, and every request for the lease carries that same deadline. The margin covers the
 * time from the timer to the consumer having stopped, and clock-rate differences between hosts.
 */
export class LeaseCoordinator implements Coordination {
  readonly workerId: string;
  #state: CoordinatorState;
  #takingPaused = false;
  readonly #store: LeaseStore;
  readonly #policy: LeaseAssignmentPolicy;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #settings: LeaseCoordinatorSettings;
  readonly #accepts: (leaseKey: string) => boolean;
  readonly #reportError: (error: unknown, source: 'takingRound' | 'renewal') => void;
  readonly #locks = new KeyedLocks();
  readonly #changeListeners: ChangeListener[] = [];
  readonly #roundListeners: RoundListener[] = [];
  readonly #renewer: Ticker;
  readonly #taker: Ticker;
  /** Every request of this worker runs in it; halt() aborts them all (no listener on a long-lived signal). */
  readonly #scope: AbortScope;
  /** The taking round in progress: stopTaking() aborts its scan and takes. */
  #round: AbortScope | undefined;
  /** Leases whose renewal is in flight: the next renewal round leaves them alone. */
  readonly #renewing = new Set<string>();
  readonly #deadlines: LossDeadlines;

  constructor(options: LeaseCoordinatorOptions) {
    this.workerId = options.workerId;
    this.#state = initialState(options.workerId);
    this.#store = options.store;
    this.#policy = options.policy ?? new EvenShareAssignment();
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#settings = options;
    this.#accepts = options.accepts ?? (() => true);
    this.#scope = new AbortScope(this.#clock);
    this.#deadlines = new LossDeadlines(this.#clock, (key) => this.#onLossDeadline(key));
    this.#reportError = (error, source) => {
      if (this.#scope.aborted) return;
      this.#logger.warn('lease round failed', { source, error: String(error) });
      options.onError?.(error, source);
    };
    this.#renewer = new Ticker(this.#clock, renewalIntervalMillis(options), async () => void this.#startRenewals(), (e) => this.#reportError(e, 'renewal'));
    this.#taker = new Ticker(this.#clock, options.leaseTakingIntervalMillis, () => this.takingRound(), (e) => this.#reportError(e, 'takingRound'));
  }

  get state(): CoordinatorState {
    return this.#state;
  }

  get settings(): LeaseCoordinatorSettings {
    return this.#settings;
  }

  heldLease(leaseKey: string): HeldLease | undefined {
    return this.#state.held.get(leaseKey);
  }

  onChange(listener: ChangeListener): void {
    this.#changeListeners.push(listener);
  }

  onRound(listener: RoundListener): void {
    this.#roundListeners.push(listener);
  }

  /** Never called: this protocol moves leases by stealing, not by asking their owner. */
  onHandoff(listener: HandoffListener): void {
    void listener;
  }

  /**
   * The leader is the live worker (an owner of an unexpired lease, or this one) with the smallest
   * id, so every worker agrees from its own scan without any extra table item.
   */
  isLeader(state: CoordinatorState): boolean {
    const now = this.#clock.now();
    const live = new Set<string>([state.workerId]);
    for (const observed of state.table.values()) {
      const owner = observed.lease.leaseOwner;
      if (owner !== undefined && !isAvailable(observed, now, this.#settings.failoverTimeMillis)) live.add(owner);
    }
    return [...live].sort()[0] === state.workerId;
  }

  /** Nothing to publish: each worker takes only the leases it accepts (`accepts`). */
  async streamsChanged(): Promise<void> {}

  /** Not measured: this protocol balances lease counts only. */
  recordProcessed(leaseKey: string, bytes: number): void {
    void leaseKey;
    void bytes;
  }

  /** Nothing to do: released leases are visible to every worker's next scan. */
  async leave(): Promise<void> {}

  /** Starts renewing and taking; the first taking round runs at once. */
  start(): void {
    this.#renewer.start(renewalIntervalMillis(this.#settings));
    this.#taker.start(0);
  }

  /** A taking round as soon as possible (e.g. new child leases appeared). */
  wake(): void {
    this.#taker.wake();
  }

  /**
   * Stops taking (graceful shutdown): the round in progress is cut short (its scan and takes are
   * aborted; a take whose answer is lost stays ours in the table until it expires). Held leases
   * are still renewed until released.
   */
  async stopTaking(): Promise<void> {
    this.#takingPaused = true;
    this.#round?.abort();
    await this.#taker.stop();
  }

  /** Stops every timer and aborts every request without releasing anything (a crash looks the same to other workers). */
  async halt(): Promise<void> {
    this.#takingPaused = true;
    this.#scope.abort();
    this.#round?.abort();
    this.#deadlines.clear();
    await Promise.all([this.#taker.stop(), this.#renewer.stop()]);
  }

  /** One taking round: scan, take and steal, then the round listeners. */
  async takingRound(): Promise<void> {
    if (this.#scope.aborted) return;
    const round = new AbortScope(this.#clock);
    this.#round = round;
    try {
      const leases = await round.run((signal) => this.#store.listLeases(signal), this.#writeLifetimeMs);
      // Stamped when the scan returned: every counter in it was written before that, so an owner's
      // renewal is never judged older than it is (a slow scan delays expiry, never hastens it).
      const seenAt = this.#clock.now();
      this.#apply((s) => scanned(s, leases, seenAt));
      this.#dropExpired();
      if (!this.#takingPaused) await this.#takeAndSteal(round);
    } catch (error) {
      if (round.aborted) return; // cut short by stopTaking() or halt(): not a failure
      throw error;
    } finally {
      if (this.#round === round) this.#round = undefined;
    }
    for (const listener of this.#roundListeners) {
      if (this.#scope.aborted) return;
      await listener(this.#state).catch((e: unknown) => this.#reportError(e, 'takingRound'));
    }
  }

  /**
   * Renews every held lease once (conditional update, no read); leases expired locally are
   * dropped unrenewed. A lease whose counter this worker moved less than half a renewal interval
   * ago (a checkpoint is a conditional write that moves it too) is skipped: its counter still
   * moves at least every 1.5 renewal intervals (failover / 2), so no observer sees it expire, and
   * a shard that checkpoints often costs no renewal writes at all.
   */
  async renewAll(): Promise<void> {
    await Promise.all(this.#startRenewals());
  }

  /**
   * Starts a renewal of every held lease that has none in flight, and does not wait for them: each
   * lease is renewed on its own, and a renewal still trying ends by the lease's loss deadline.
   */
  #startRenewals(): Promise<void>[] {
    this.#dropExpired();
    const recentWithin = renewalIntervalMillis(this.#settings) / 2;
    const started: Promise<void>[] = [];
    for (const key of this.#state.held.keys()) {
      if (this.#renewing.has(key)) continue;
      this.#renewing.add(key);
      const renewal = this.#withLease(key, () => this.#renew(key, recentWithin))
        .catch((e: unknown) => this.#reportError(e, 'renewal'))
        .finally(() => this.#renewing.delete(key));
      started.push(renewal);
    }
    return started;
  }

  async #renew(key: string, recentWithin: number): Promise<void> {
    const held = this.#state.held.get(key);
    if (held === undefined || this.#scope.aborted) return;
    const sentAt = this.#clock.now();
    if (sentAt - held.renewedAt < recentWithin) return;
    const result = await this.#scope.run((signal) => this.#store.renewLease(held.lease, signal), this.#lossAt(held) - sentAt);
    if (!this.#state.held.has(key)) return; // given up meanwhile; a late success leaves it ours in the table and the next round takes it back
    this.#apply((s) => (result.kind === 'renewed' ? renewedIn(s, result.lease, sentAt) : lost(s, key)));
  }

  /** Conditional checkpoint of a held lease. */
  checkpoint(leaseKey: string, position: Position): Promise<'ok' | 'leaseLost'> {
    return this.#ownerWrite(leaseKey, (lease, signal) => this.#store.checkpointLease(lease, position, signal));
  }

  /** Records child shard ids on a held lease. */
  addChildShards(leaseKey: string, childShardIds: readonly string[]): Promise<'ok' | 'leaseLost'> {
    return this.#ownerWrite(leaseKey, (lease, signal) => this.#store.addChildShards(lease, childShardIds, signal));
  }

  /** Gives a held lease up (owner removed, conditional) so another worker can take it at once. */
  async release(leaseKey: string): Promise<'released' | 'notHeld'> {
    const result = await this.#ownerWrite(leaseKey, (lease, signal) => this.#store.releaseLease(lease, signal), releasedIn);
    return result === 'ok' ? 'released' : 'notHeld';
  }

  /** Forgets a lease this worker has stopped consuming without writing (the lease is already lost). */
  forget(leaseKey: string): void {
    this.#apply((s) => lost(s, leaseKey));
  }

  /** Deletes a finished lease (cleanup); conditional on it being unchanged. halt() aborts it. */
  async deleteFinished(lease: Lease): Promise<boolean> {
    const result = await this.#withLease(lease.leaseKey, () => this.#scope.run((signal) => this.#store.deleteLease(lease, signal)));
    if (result.kind === 'deleted') this.#apply((s) => deleted(s, lease.leaseKey));
    return result.kind === 'deleted';
  }

  async #takeAndSteal(round: AbortScope): Promise<void> {
    const now = this.#clock.now();
    const { failoverTimeMillis } = this.#settings;
    const leases: AssignableLease[] = activeLeases(this.#state)
      .filter((observed) => this.#accepts(observed.lease.leaseKey))
      .map((observed) => ({
        lease: observed.lease,
        available:
          (observed.lease.leaseOwner === this.workerId && !this.#state.held.has(observed.lease.leaseKey)) ||
          (observed.lease.leaseOwner !== this.workerId && isAvailable(observed, now, failoverTimeMillis)),
      }));
    const decision = this.#policy.assign({
      workerId: this.workerId,
      leases,
      maxLeasesForWorker: this.#settings.maxLeasesForWorker,
      maxLeasesToStealAtOneTime: this.#settings.maxLeasesToStealAtOneTime,
    });
    await Promise.all([
      ...decision.take.map((lease) => this.#take(round, lease, LEASE_METRICS.leasesTaken, false)),
      ...decision.steal.map((lease) => this.#take(round, lease, LEASE_METRICS.leasesStolen, true)),
    ]);
  }

  /**
   * A conditional take. A steal that lost only because its live owner moved the counter since
   * the scan (a busy shard checkpoints every second or so) is retried once with the lease read
   * again, so stealing from busy workers still completes in one round. Takes of available leases
   * are not retried: a moved counter means someone took it or its owner is alive after all. A
   * lease with a write of ours in flight (a renewal about to be given up) is left for the next
   * round rather than waited for: the round never queues behind a slow request.
   */
  async #take(round: AbortScope, lease: Lease, metric: string, steal: boolean): Promise<void> {
    if (this.#locks.has(lease.leaseKey)) return;
    await this.#withLease(lease.leaseKey, async () => {
      let candidate: Lease | undefined = lease;
      for (let attempt = 0; candidate !== undefined && attempt < (steal ? 2 : 1); attempt++) {
        if (this.#takingPaused) return;
        const sentAt = this.#clock.now();
        const current = candidate;
        const result = await round.run((signal) => this.#store.takeLease(current, this.workerId, signal), this.#writeLifetimeMs);
        if (result.kind === 'taken') {
          this.#metrics.count(metric);
          this.#apply((s) => claimed(s, result.lease, sentAt));
          return;
        }
        if (!steal || attempt > 0) return;
        const fresh = await round.run((signal) => this.#store.getLease(lease.leaseKey, signal), this.#writeLifetimeMs);
        candidate = fresh?.leaseOwner === lease.leaseOwner && fresh !== undefined && !isFinished(fresh) ? fresh : undefined;
      }
    }).catch((e: unknown) => this.#reportError(e, 'takingRound'));
  }

  /** A write by the owner, with the lease's loss deadline: after it the write could not help. */
  async #ownerWrite(
    leaseKey: string,
    write: (lease: Lease, signal: AbortSignal) => Promise<{ kind: string; lease?: Lease }>,
    onSuccess: (s: CoordinatorState, lease: Lease, sentAt: number) => CoordinatorState = wrote,
  ): Promise<'ok' | 'leaseLost'> {
    return this.#withLease(leaseKey, async () => {
      const held = this.#state.held.get(leaseKey);
      if (held === undefined) return 'leaseLost';
      const sentAt = this.#clock.now();
      const result = await this.#scope.run((signal) => write(held.lease, signal), this.#lossAt(held) - sentAt);
      if (result.lease === undefined) {
        this.#apply((s) => lost(s, leaseKey));
        return 'leaseLost';
      }
      const written = result.lease;
      this.#apply((s) => onSuccess(s, written, sentAt));
      return 'ok';
    });
  }

  /**
   * How long a write of ours stays useful: a take or renewal sent now is given up this long after
   * (the lease-loss invariant). Every request of a taking round gets it as its deadline too, so a
   * request that never answers holds a round up no longer than this.
   */
  get #writeLifetimeMs(): number {
    return this.#settings.failoverTimeMillis - this.#settings.leaseLossMarginMillis;
  }

  /** When this worker gives up a held lease that no write of its own has moved since (the lease-loss invariant). */
  #lossAt(held: HeldLease): number {
    return held.renewedAt + this.#writeLifetimeMs;
  }

  #dropExpired(): void {
    for (const key of expiredHeld(this.#state, this.#clock.now(), this.#writeLifetimeMs)) this.#giveUp(key);
  }

  #onLossDeadline(key: string): void {
    const held = this.#state.held.get(key);
    if (held === undefined) return;
    if (this.#clock.now() >= this.#lossAt(held)) this.#giveUp(key);
    else this.#syncDeadlines(); // woken early (an injected clock): wait again
  }

  #syncDeadlines(): void {
    if (!this.#scope.aborted) this.#deadlines.sync(new Map([...this.#state.held].map(([key, held]) => [key, this.#lossAt(held)])));
  }

  #giveUp(key: string): void {
    this.#logger.warn('lease not renewed in time: giving it up before another worker may take it', { leaseKey: key });
    this.#apply((s) => lost(s, key));
  }

  /** Serialises work on one lease (renew, checkpoint, release never race each other's counter). */
  #withLease<T>(leaseKey: string, work: () => Promise<T>): Promise<T> {
    return this.#locks.run(leaseKey, work);
  }

  #apply(transition: (state: CoordinatorState) => CoordinatorState): void {
    const before = this.#state;
    const after = transition(before);
    if (after === before) return;
    this.#state = after;
    this.#syncDeadlines();
    publishHeldChanges(before, after, this.#metrics, this.#changeListeners);
  }
}
