import { noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import type { Position } from '../../position.js';
import { AbortScope } from '../abort-scope.js';
import type { ChangeListener, Coordination, CoordinationSettings, HandoffListener, RoundListener } from '../coordination.js';
import { deleted, initialState, lost, releasedIn, type CoordinatorState, type HeldLease, type ObservedLease } from '../coordinator-state.js';
import { publishHeldChanges } from '../held-changes.js';
import { KeyedLocks } from '../keyed-locks.js';
import type { Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { Adoption } from './adoption.js';
import { COUNTER_MODULUS, encodeStreams, FLEET, parseFleet, slotAttribute, slotAttributes, type FleetView } from './fleet-item.js';
import { FleetLeader } from './fleet-leader.js';
import type { FleetAttributes, FleetStore, FleetUpdate, FleetWriteResult } from './fleet-store.js';
import { HeartbeatPace } from './heartbeat-pace.js';
import type { LeaderSettings } from './leader-context.js';
import { Leadership } from './leadership.js';
import { Life } from './life.js';
import { heartbeatRejected, heartbeatUpdate, joinFleet, type MembershipContext } from './membership.js';
import { Moves } from './moves.js';
import { ownerWrite, type OwnerWriteContext } from './owner-write.js';
import { Sightings } from './sightings.js';
import { ThroughputMeter } from './throughput-meter.js';

export interface FleetSettings extends CoordinationSettings, LeaderSettings {
  /** Time between a worker's heartbeats into the fleet item (the leader's and the deputy's: leaderIntervalMillis). */
  readonly heartbeatIntervalMillis: number;
  /** Time between the leader's (and the deputy's) writes of the fleet item: how soon a death or a join is seen. */
  readonly leaderIntervalMillis: number;
}

export interface FleetCoordinatorOptions extends FleetSettings {
  readonly workerId: string;
  readonly store: LeaseStore & FleetStore;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Told of failures (they never stop the coordinator; the next heartbeat tries again). */
  readonly onError?: (error: unknown, source: 'takingRound' | 'renewal') => void;
  /** Multi-stream: the stream identifiers this worker consumes, read at join and at streamsChanged(); undefined = every stream. */
  readonly streams?: () => readonly string[] | undefined;
  /** Which leases this worker may hold (default all): one placed on it that it does not accept is given back at once. */
  readonly accepts?: (leaseKey: string) => boolean;
}

/**
 * Lease coordination by a fleet item (see fleet-item.ts for its attributes). Every worker:
 * - heartbeats into the fleet item every heartbeatIntervalMillis; each write returns the whole
 *   item, so the worker sees the leader's lock counter, its own assignment epoch and the moves
 *   it is asked to make, at no read cost. The leader's and the deputy's heartbeats come every
 *   leaderIntervalMillis; a leader whose lock counter stops is replaced by the deputy after
 *   failoverTimeMillis on the deputy's clock (others wait two heartbeats more).
 * - consumes a lease only from a successful adoption (a conditional write on the lease's counter,
 *   after reading it) until its life ends: its last successful heartbeat's send time +
 *   failoverTimeMillis - leaseLossMarginMillis. There are no per-lease renewals: a lease costs its
 *   checkpoints and nothing else.
 * - learns of leases assigned to it when its epoch changes: a query of the LeaseOwnerToLeaseKeyIndex
 *   GSI, then a read and an adoption of each new key.
 * - hands a lease over when asked (its consumer stops and checkpoints, then the lease is written
 *   to the new owner), and on stop() releases everything and leaves the fleet.
 * The pieces: membership.ts (joining, the heartbeat's write), Life (when held leases end),
 * HeartbeatPace, Leadership (the lock; the leader's own side is FleetLeader), Adoption (discovery
 * and adoption), Moves (hand-overs) and ownerWrite (checkpoints and releases, bounded by the life).
 *
 * The safety argument (no two workers consume a lease at once): the leader takes a lease from a
 * worker only after that worker's heartbeat value has not changed for failoverTimeMillis on the
 * leader's clock; the worker sent it no later than the leader first saw it, so the worker's life
 * has ended by then. The leader reads the lease, then confirms the heartbeat is still that value
 * with a conditional write removing the worker's slot, then writes the lease conditional on the
 * counter it read. A worker that comes back must heartbeat (and so fails that confirmation, or
 * finds its slot gone and rejoins with nothing) before it adopts anything, and its adoption is
 * conditional on the same counter: exactly one of the two writes succeeds.
 */
export class FleetCoordinator implements Coordination {
  readonly workerId: string;
  readonly settings: FleetSettings & Pick<FleetCoordinatorOptions, 'streams' | 'accepts'>;
  #state: CoordinatorState;
  readonly #store: LeaseStore & FleetStore;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #reportError: (error: unknown, source: 'takingRound' | 'renewal') => void;
  readonly #changeListeners: ChangeListener[] = [];
  readonly #roundListeners: RoundListener[] = [];
  readonly #handoffListeners: HandoffListener[] = [];
  readonly #locks = new KeyedLocks();
  readonly #scope: AbortScope;
  readonly #sightings = new Sightings();
  readonly #throughput = new ThroughputMeter();
  readonly #life: Life;
  readonly #pace: HeartbeatPace;
  readonly #leadership: Leadership;
  readonly #adoption: Adoption;
  readonly #moves: Moves;
  readonly #membership: MembershipContext;
  readonly #owner: OwnerWriteContext;
  #slot: string | undefined;
  #beat = 0;
  #view: FleetView | undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #sleeping: AbortController | undefined;
  #halted = false;

  constructor(options: FleetCoordinatorOptions) {
    this.workerId = options.workerId;
    this.settings = options;
    this.#state = initialState(options.workerId);
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    this.#scope = new AbortScope(this.#clock);
    this.#reportError = (error, source) => {
      if (this.#scope.aborted) return;
      this.#logger.warn('lease coordination step failed', { source, error: String(error) });
      options.onError?.(error, source);
    };
    const shared = this.#capabilities();
    this.#owner = shared;
    this.#life = new Life({ ...shared, halted: () => this.#halted, ended: () => this.#endLife() });
    this.#pace = new HeartbeatPace({ ...shared, view: () => this.#view, leading: () => this.#leadership.leader !== undefined });
    const createLeader = (): FleetLeader => new FleetLeader({ ...shared, onRound: (table) => this.#round(table) });
    this.#leadership = new Leadership({ ...shared, createLeader, observe: (view) => this.#observe(view) });
    this.#adoption = new Adoption({
      ...shared,
      accepts: (key) => this.settings.accepts?.(key) ?? true,
      expectedCount: () => (this.#slot === undefined ? undefined : this.#view?.slots.get(this.#slot)?.count),
      wake: () => this.wake(),
    });
    this.#moves = new Moves({ ...shared, handoffListeners: this.#handoffListeners });
    this.#membership = {
      ...shared,
      streams: () => this.#streams(),
      joined: (slot, sentAt, fleet) => this.#joined(slot, sentAt, fleet),
      removed: () => {
        this.#endLife();
        this.#slot = undefined;
      },
      lockLost: () => this.#leadership.demote(),
    };
  }

  get state(): CoordinatorState {
    return this.#state;
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

  onHandoff(listener: HandoffListener): void {
    this.#handoffListeners.push(listener);
  }

  isLeader(): boolean {
    return this.#leadership.leader !== undefined && !this.#stopping;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New leases exist (children at shard end): the leader scans for them soon. */
  wake(): void {
    const leader = this.#leadership.leader;
    if (leader !== undefined) {
      leader.scanSoon();
      return;
    }
    void this.#writeFleet({ increment: { [FLEET.changes]: 1 } }).catch((e: unknown) => this.#reportError(e, 'takingRound'));
  }

  async stopTaking(): Promise<void> {
    this.#stopping = true;
    await this.#adoption.discovery;
  }

  /**
   * Leaves the fleet after every lease was released: a leader first places the released leases
   * (its own included) on the others and hands the lock to its deputy; then the slot and the
   * worker item go. Others see the change at their next heartbeat.
   */
  async leave(): Promise<void> {
    const slot = this.#slot;
    if (slot === undefined || this.#halted) return;
    const leader = this.#leadership.leader;
    if (leader !== undefined && this.#view !== undefined) {
      await leader.step(this.#view, { leaving: true });
      await this.#leadership.handOver(leader);
    }
    await this.#writeFleet({ remove: slotAttributes(slot) });
    this.#slot = undefined;
    await this.#scope.run((signal) => this.#store.deleteWorker(this.workerId, signal));
  }

  async halt(): Promise<void> {
    this.#halted = true;
    this.#stopping = true;
    this.#scope.abort();
    this.#sleeping?.abort();
    this.#life.cancel();
    this.#leadership.leader?.stop();
    await this.#loop;
  }

  checkpoint(leaseKey: string, position: Position): Promise<'ok' | 'leaseLost'> {
    const throughputKBps = this.#throughput.take(leaseKey, this.#clock.now());
    return ownerWrite(this.#owner, leaseKey, (lease, signal) => this.#store.checkpointLease(lease, position, signal, throughputKBps));
  }

  recordProcessed(leaseKey: string, bytes: number): void {
    if (this.#state.held.has(leaseKey)) this.#throughput.add(leaseKey, bytes, this.#clock.now());
  }

  addChildShards(leaseKey: string, childShardIds: readonly string[]): Promise<'ok' | 'leaseLost'> {
    return ownerWrite(this.#owner, leaseKey, (lease, signal) => this.#store.addChildShards(lease, childShardIds, signal));
  }

  /** Gives a held lease up: to the worker it is being moved to, or to nobody (the leader places it). */
  release(leaseKey: string): Promise<'released' | 'notHeld'> {
    const move = this.#moves.get(leaseKey);
    if (move === undefined) return this.#releaseToLeader(leaseKey);
    return this.#moves.handOver(leaseKey, move, (to) => ownerWrite(this.#owner, leaseKey, (lease, signal) => this.#store.takeLease(lease, to, signal), releasedIn));
  }

  /**
   * Multi-stream: this worker's streams changed (addStream, removeStream). Its item and the fleet
   * item say so, so the leader stops giving it leases of streams it no longer consumes.
   */
  async streamsChanged(): Promise<void> {
    const slot = this.#slot;
    const streams = this.#streams();
    if (slot === undefined || streams === undefined) return;
    await this.#scope.run((signal) => this.#store.putWorker({ workerId: this.workerId, slot, streams }, signal));
    await this.#writeFleet({ set: { [slotAttribute('streams', slot)]: encodeStreams(streams) } });
  }

  /**
   * Drops a lease this worker stopped consuming without a write of its own landing (a release
   * that failed, a consumer that ended with leaseLost). If the table still says it is ours, the
   * next heartbeat's discovery adopts it again (a conditional write: never over another owner).
   */
  forget(leaseKey: string): void {
    this.#apply((s) => lost(s, leaseKey));
    this.#adoption.lookAgain();
  }

  async deleteFinished(lease: Lease): Promise<boolean> {
    const result = await this.#locks.run(lease.leaseKey, () => this.#scope.run((signal) => this.#store.deleteLease(lease, signal)));
    if (result.kind !== 'deleted') return false;
    this.#apply((s) => deleted(s, lease.leaseKey));
    this.#leadership.leader?.forgetLease(lease.leaseKey);
    return true;
  }

  async #releaseToLeader(leaseKey: string): Promise<'released' | 'notHeld'> {
    const result = await ownerWrite(this.#owner, leaseKey, (lease, signal) => this.#store.releaseLease(lease, signal), releasedIn);
    return result === 'ok' ? 'released' : 'notHeld';
  }

  // --- the heartbeat loop ---------------------------------------------------------------------

  async #run(): Promise<void> {
    while (!this.#halted) {
      const startedAt = this.#clock.now();
      await this.#tick().catch((e: unknown) => this.#reportError(e, 'renewal'));
      await this.#sleep(Math.max(0, this.#pace.interval() - (this.#clock.now() - startedAt)));
    }
  }

  #streams(): readonly string[] | undefined {
    return this.settings.streams?.();
  }

  async #sleep(ms: number): Promise<void> {
    const sleeping = new AbortController();
    this.#sleeping = sleeping;
    await this.#clock.sleep(ms, sleeping.signal).catch(() => undefined);
    this.#sleeping = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#halted) return;
    if (this.#slot === undefined) {
      if (!this.#stopping) await joinFleet(this.#membership);
      return;
    }
    const slot = this.#slot;
    const beat = (this.#beat + 1) % COUNTER_MODULUS;
    const leader = this.#leadership.leader === undefined ? undefined : { workerId: this.workerId, counter: this.#view?.leaderCounter ?? 0 };
    const update = heartbeatUpdate(slot, beat, leader);
    const sentAt = this.#clock.now();
    const result = await this.#writeFleet(update, this.#life.ends - sentAt);
    if (result.kind === 'conditionFailed') {
      await heartbeatRejected(this.#membership, slot);
      return;
    }
    this.#beat = beat;
    this.#life.alive(sentAt);
    this.#observe(parseFleet(result.fleet));
  }

  /** Joined: the slot is this worker's; leases an earlier run of this worker id still owns are adopted again. */
  #joined(slot: string, sentAt: number, fleet: FleetAttributes): void {
    this.#slot = slot;
    this.#beat = 0;
    this.#adoption.lookAgain();
    this.#life.alive(sentAt);
    this.#observe(parseFleet(fleet));
  }

  /** Drops every held lease (another worker may take them from now on) and leadership. */
  #endLife(): void {
    this.#apply((s) => [...s.held.keys()].reduce(lost, s));
    this.#adoption.lookAgain();
    this.#leadership.demote();
  }

  // --- reacting to the fleet item --------------------------------------------------------------

  #observe(view: FleetView): void {
    const now = this.#clock.now();
    this.#pace.observe(this.#view, view, now);
    this.#view = view;
    this.#sightings.observe(FLEET.leaderCounter, `${view.leader ?? ''}/${view.leaderCounter}`, now);
    for (const [slot, seen] of view.slots) this.#sightings.observe(slot, seen.heartbeat, now);
    this.#sightings.retain(new Set([FLEET.leaderCounter, ...view.slots.keys()]));
    void this.#leadership.lead(view).catch((e: unknown) => this.#reportError(e, 'takingRound'));
    const mine = this.#slot === undefined ? undefined : view.slots.get(this.#slot);
    if (mine === undefined) return;
    this.#adoption.check(mine);
    this.#moves.take(mine.moves);
  }

  /** The coordinator's capabilities, shared by its parts; each part's context type names the few it uses. */
  #capabilities() {
    return {
      workerId: this.workerId,
      settings: this.settings,
      store: this.#store,
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.#metrics,
      sightings: this.#sightings,
      locks: this.#locks,
      reportError: this.#reportError,
      run: <T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => this.#scope.run(work, timeoutMs),
      writeFleet: (update: FleetUpdate) => this.#writeFleet(update),
      slot: () => this.#slot,
      stopping: () => this.#stopping,
      held: () => this.#state.held,
      lifeEnds: () => this.#life.ends,
      apply: (transition: (state: CoordinatorState) => CoordinatorState) => this.#apply(transition),
    };
  }

  /** After every leader step: the round listeners (shard sync, cleanup), with the table as the leader knows it. */
  async #round(table: ReadonlyMap<string, ObservedLease>): Promise<void> {
    const state = { ...this.#state, table };
    for (const listener of this.#roundListeners) await listener(state).catch((e: unknown) => this.#reportError(e, 'takingRound'));
  }

  // --- writes ----------------------------------------------------------------------------------

  #writeFleet(update: FleetUpdate, timeoutMs?: number): Promise<FleetWriteResult> {
    return this.#scope.run((signal) => this.#store.updateFleet(update, signal), timeoutMs);
  }

  #apply(transition: (state: CoordinatorState) => CoordinatorState): void {
    const before = this.#state;
    const after = transition(before);
    if (after === before) return;
    this.#state = after;
    for (const key of before.held.keys()) if (!after.held.has(key)) this.#throughput.forget(key);
    publishHeldChanges(before, after, this.#metrics, this.#changeListeners);
  }
}
