import { noopLogger, noopMetrics, startTimer, systemClock, type Clock, type Logger, type Metrics } from '@kinesis-kit/core';
import type { Position } from '../../position.js';
import { AbortScope } from '../abort-scope.js';
import type { ChangeListener, Coordination, CoordinationSettings, HandoffListener, RoundListener } from '../coordination.js';
import { claimed, deleted, initialState, lost, releasedIn, wrote, type CoordinatorState, type HeldLease } from '../coordinator-state.js';
import { publishHeldChanges } from '../held-changes.js';
import { KeyedLocks } from '../keyed-locks.js';
import { isFinished, type Lease } from '../lease.js';
import type { LeaseStore } from '../lease-store.js';
import { LEASE_METRICS } from '../metric-names.js';
import { COUNTER_MODULUS, encodeMoves, encodeStreams, FLEET, parseFleet, slotAttribute, slotAttributes, slotName, type FleetView, type Move } from './fleet-item.js';
import { FleetLeader } from './fleet-leader.js';
import type { LeaderSettings } from './leader-context.js';
import type { FleetStore, FleetUpdate, FleetWriteResult } from './fleet-store.js';
import { pool } from './pool.js';
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

/** Adoptions (a read and a conditional write each) in flight at once. */
const ADOPT_CONCURRENCY = 8;
/** A worker whose lease count disagrees with the leader's looks for its leases again at most this often. */
const RECHECK_MS = 2_000;
/** After a worker leaves, the others heartbeat fast for this many normal heartbeat intervals (its leases are being placed). */
const FAST_AFTER_DEPARTURE_HEARTBEATS = 2;
/** Waits between discovery attempts while the GSI has not caught up with an assignment. */
const DISCOVERY_RETRIES_MS = [100, 200, 400, 800, 1_600] as const;

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
  #slot: string | undefined;
  #beat = 0;
  /** When this worker's leases end unless a heartbeat succeeds first. */
  #lifeEnds = 0;
  #cancelLifeTimer: (() => void) | undefined;
  #view: FleetView | undefined;
  /** Heartbeats come every leaderIntervalMillis until then (a worker has just left). */
  #fastUntil = 0;
  #leader: FleetLeader | undefined;
  /** The assignment epoch whose leases this worker has adopted; undefined = look again. */
  #epochDone: number | undefined;
  #discovery: Promise<void> | undefined;
  #discoveredAt = Number.NEGATIVE_INFINITY;
  /** Leases this worker was asked to hand over, by key. */
  readonly #moves = new Map<string, Move>();
  #movesSeen: string | undefined;
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
    return this.#leader !== undefined && !this.#stopping;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New leases exist (children at shard end): the leader scans for them soon. */
  wake(): void {
    if (this.#leader !== undefined) {
      this.#leader.scanSoon();
      return;
    }
    void this.#writeFleet({ increment: { [FLEET.changes]: 1 } }).catch((e: unknown) => this.#reportError(e, 'takingRound'));
  }

  async stopTaking(): Promise<void> {
    this.#stopping = true;
    await this.#discovery;
  }

  /**
   * Leaves the fleet after every lease was released: a leader first places the released leases
   * (its own included) on the others and hands the lock to its deputy; then the slot and the
   * worker item go. Others see the change at their next heartbeat.
   */
  async leave(): Promise<void> {
    const slot = this.#slot;
    if (slot === undefined || this.#halted) return;
    const leader = this.#leader;
    if (leader !== undefined && this.#view !== undefined) {
      await leader.step(this.#view, { leaving: true });
      await this.#handLeadership(leader);
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
    this.#cancelLifeTimer?.();
    this.#leader?.stop();
    await this.#loop;
  }

  checkpoint(leaseKey: string, position: Position): Promise<'ok' | 'leaseLost'> {
    const throughputKBps = this.#throughput.take(leaseKey, this.#clock.now());
    return this.#ownerWrite(leaseKey, (lease, signal) => this.#store.checkpointLease(lease, position, signal, throughputKBps));
  }

  recordProcessed(leaseKey: string, bytes: number): void {
    if (this.#state.held.has(leaseKey)) this.#throughput.add(leaseKey, bytes, this.#clock.now());
  }

  addChildShards(leaseKey: string, childShardIds: readonly string[]): Promise<'ok' | 'leaseLost'> {
    return this.#ownerWrite(leaseKey, (lease, signal) => this.#store.addChildShards(lease, childShardIds, signal));
  }

  /** Gives a held lease up: to the worker it is being moved to, or to nobody (the leader places it). */
  async release(leaseKey: string): Promise<'released' | 'notHeld'> {
    const move = this.#moves.get(leaseKey);
    if (move === undefined) {
      const result = await this.#ownerWrite(leaseKey, (lease, signal) => this.#store.releaseLease(lease, signal), releasedIn);
      return result === 'ok' ? 'released' : 'notHeld';
    }
    let handedOver = false;
    try {
      handedOver = (await this.#ownerWrite(leaseKey, (lease, signal) => this.#store.takeLease(lease, move.to, signal), releasedIn)) === 'ok';
    } finally {
      // Done either way: a failed hand-over leaves the lease ours in the table (forget() then adopts it again).
      await this.#moved(leaseKey, move, handedOver);
    }
    return handedOver ? 'released' : 'notHeld';
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
    this.#epochDone = undefined;
  }

  async deleteFinished(lease: Lease): Promise<boolean> {
    const result = await this.#locks.run(lease.leaseKey, () => this.#scope.run((signal) => this.#store.deleteLease(lease, signal)));
    if (result.kind !== 'deleted') return false;
    this.#apply((s) => deleted(s, lease.leaseKey));
    this.#leader?.forgetLease(lease.leaseKey);
    return true;
  }

  // --- the heartbeat loop ---------------------------------------------------------------------

  async #run(): Promise<void> {
    while (!this.#halted) {
      const startedAt = this.#clock.now();
      await this.#tick().catch((e: unknown) => this.#reportError(e, 'renewal'));
      await this.#sleep(Math.max(0, this.#interval() - (this.#clock.now() - startedAt)));
    }
  }

  #streams(): readonly string[] | undefined {
    return this.settings.streams?.();
  }

  /**
   * The leader and the deputy heartbeat every leaderIntervalMillis. So does every worker while a
   * placement is near: another worker is about to be judged dead, or one has just left. It then
   * learns of the leases placed on it within leaderIntervalMillis, not heartbeatIntervalMillis,
   * at the cost of a few heartbeats per departure.
   */
  #interval(): number {
    const fast = this.#leader !== undefined || (this.#slot !== undefined && this.#view?.deputy === this.#slot) || this.#placementNear();
    return fast ? this.settings.leaderIntervalMillis : this.settings.heartbeatIntervalMillis;
  }

  #placementNear(): boolean {
    const now = this.#clock.now();
    if (now < this.#fastUntil) return true;
    const { failoverTimeMillis, heartbeatIntervalMillis } = this.settings;
    const view = this.#view;
    if (view === undefined) return false;
    for (const slot of view.slots.keys()) {
      if (slot !== this.#slot && this.#sightings.unchangedFor(slot, now) >= failoverTimeMillis - heartbeatIntervalMillis) return true;
    }
    return false;
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
      if (!this.#stopping) await this.#join();
      return;
    }
    const slot = this.#slot;
    const leading = this.#leader !== undefined;
    const beat = (this.#beat + 1) % COUNTER_MODULUS;
    const update: FleetUpdate = {
      set: {
        [slotAttribute('heartbeat', slot)]: beat,
        ...(leading ? { [FLEET.leaderCounter]: ((this.#view?.leaderCounter ?? 0) + 1) % COUNTER_MODULUS } : {}),
      },
      conditions: [{ attribute: slotAttribute('heartbeat', slot), exists: true }, ...(leading ? [{ attribute: FLEET.leader, equals: this.workerId }] : [])],
    };
    const sentAt = this.#clock.now();
    const result = await this.#writeFleet(update, this.#lifeEnds - sentAt);
    if (result.kind === 'conditionFailed') {
      await this.#beatRejected(slot);
      return;
    }
    this.#beat = beat;
    this.#alive(sentAt);
    this.#observe(parseFleet(result.fleet));
  }

  /** Registers: a slot number from the fleet item's counter, this worker's item, then the slot's attributes. */
  async #join(): Promise<void> {
    const counted = await this.#writeFleet({ increment: { [FLEET.lastSlot]: 1 }, createIfAbsent: true });
    if (counted.kind !== 'updated') return;
    const slot = slotName(Number(counted.fleet.get(FLEET.lastSlot) ?? 0));
    const streams = this.#streams();
    await this.#scope.run((signal) => this.#store.putWorker({ workerId: this.workerId, slot, ...(streams === undefined ? {} : { streams }) }, signal));
    const sentAt = this.#clock.now();
    const joined = await this.#writeFleet({
      set: {
        [slotAttribute('heartbeat', slot)]: 0,
        [slotAttribute('epoch', slot)]: 0,
        [slotAttribute('count', slot)]: 0,
        [slotAttribute('joinId', slot)]: this.workerId,
        ...(streams === undefined ? {} : { [slotAttribute('streams', slot)]: encodeStreams(streams) }),
      },
    });
    if (joined.kind !== 'updated') return;
    this.#slot = slot;
    this.#beat = 0;
    this.#epochDone = undefined; // leases an earlier run of this worker id still owns are adopted again
    this.#alive(sentAt);
    this.#observe(parseFleet(joined.fleet));
  }

  /** The heartbeat's condition failed: the slot is gone (declared dead, or the item deleted), or the lock moved on. */
  async #beatRejected(slot: string): Promise<void> {
    const attributes = await this.#scope.run((signal) => this.#store.readFleet(signal));
    const view = attributes === undefined ? undefined : parseFleet(attributes);
    if (view === undefined || !view.slots.has(slot)) {
      this.#logger.warn('this worker was removed from the fleet: its leases are given up and it joins again', { workerId: this.workerId });
      this.#endLife();
      this.#slot = undefined;
      return;
    }
    if (view.leader !== this.workerId) this.#demote();
  }

  /** A heartbeat sent at `sentAt` succeeded: every held lease lives until sentAt + failover - margin. */
  #alive(sentAt: number): void {
    const { failoverTimeMillis, leaseLossMarginMillis } = this.settings;
    this.#lifeEnds = sentAt + failoverTimeMillis - leaseLossMarginMillis;
    this.#cancelLifeTimer?.();
    this.#cancelLifeTimer = startTimer(this.#clock, Math.max(0, this.#lifeEnds - this.#clock.now()), () => this.#lifeTimedOut());
    this.#apply((s) => withRenewedAt(s, sentAt));
  }

  #lifeTimedOut(): void {
    if (this.#halted || this.#clock.now() < this.#lifeEnds) return;
    this.#logger.warn('no heartbeat succeeded in time: every lease is given up before another worker may take it', { workerId: this.workerId });
    this.#endLife();
  }

  /** Drops every held lease (another worker may take them from now on) and leadership. */
  #endLife(): void {
    this.#apply((s) => [...s.held.keys()].reduce(lost, s));
    this.#epochDone = undefined;
    this.#demote();
  }

  // --- reacting to the fleet item --------------------------------------------------------------

  #observe(view: FleetView): void {
    const now = this.#clock.now();
    const previous = this.#view;
    if (previous !== undefined && [...previous.slots.keys()].some((slot) => !view.slots.has(slot))) {
      this.#fastUntil = now + FAST_AFTER_DEPARTURE_HEARTBEATS * this.settings.heartbeatIntervalMillis;
    }
    this.#view = view;
    this.#sightings.observe(FLEET.leaderCounter, `${view.leader ?? ''}/${view.leaderCounter}`, now);
    for (const [slot, seen] of view.slots) this.#sightings.observe(slot, seen.heartbeat, now);
    this.#sightings.retain(new Set([FLEET.leaderCounter, ...view.slots.keys()]));
    void this.#lead(view).catch((e: unknown) => this.#reportError(e, 'takingRound'));
    const mine = this.#slot === undefined ? undefined : view.slots.get(this.#slot);
    if (mine === undefined) return;
    // A new epoch, or (checked at most every RECHECK_MS) a count that disagrees with what this
    // worker holds: a placement whose notification was lost is still found.
    const mismatch = mine.count !== this.#state.held.size && this.#clock.now() - this.#discoveredAt >= RECHECK_MS;
    if (!this.#stopping && (mine.epoch !== this.#epochDone || mismatch)) this.#discoverSoon(mine.epoch);
    this.#takeMoves(mine.moves);
  }

  /** Claims, takes over, keeps or gives up the leader's lock as the fleet item shows it. */
  async #lead(view: FleetView): Promise<void> {
    if (this.#slot === undefined || this.#stopping) return;
    if (view.leader === this.workerId) {
      this.#leader ??= this.#newLeader();
      await this.#leader.step(view, { leaving: false });
      return;
    }
    if (this.#leader !== undefined) this.#demote();
    const { failoverTimeMillis, heartbeatIntervalMillis } = this.settings;
    const patience = failoverTimeMillis + (view.deputy === this.#slot ? 0 : 2 * heartbeatIntervalMillis);
    if (view.leader !== undefined && this.#sightings.unchangedFor(FLEET.leaderCounter, this.#clock.now()) < patience) return;
    const claim = await this.#writeFleet({
      set: { [FLEET.leader]: this.workerId, [FLEET.leaderCounter]: (view.leaderCounter + 1) % COUNTER_MODULUS },
      remove: [FLEET.deputy],
      conditions: [
        { attribute: slotAttribute('heartbeat', this.#slot), exists: true },
        view.leader === undefined ? { attribute: FLEET.leader, exists: false } : { attribute: FLEET.leader, equals: view.leader },
        // No leader (the last one left without a successor): its lock counter may remain; any value will do.
        ...(view.leader === undefined ? [] : [{ attribute: FLEET.leaderCounter, equals: view.leaderCounter }]),
      ],
    });
    if (claim.kind !== 'updated') return;
    this.#logger.info('this worker is now the leader', { workerId: this.workerId, previous: view.leader });
    this.#leader = this.#newLeader();
    this.#observe(parseFleet(claim.fleet));
  }

  #newLeader(): FleetLeader {
    return new FleetLeader({
      workerId: this.workerId,
      store: this.#store,
      settings: this.settings,
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.#metrics,
      sightings: this.#sightings,
      writeFleet: (update) => this.#writeFleet(update),
      run: (work) => this.#scope.run(work),
      held: () => this.#state.held,
      onRound: async (table) => {
        const state = { ...this.#state, table };
        for (const listener of this.#roundListeners) await listener(state).catch((e: unknown) => this.#reportError(e, 'takingRound'));
      },
    });
  }

  #demote(): void {
    this.#leader?.stop();
    this.#leader = undefined;
  }

  /** A graceful stop of the leader: the lock goes to the deputy (or any live worker) at once. */
  async #handLeadership(leader: FleetLeader): Promise<void> {
    const successor = leader.successor();
    this.#demote();
    await this.#writeFleet({
      ...(successor === undefined ? { remove: [FLEET.leader, FLEET.deputy] } : { set: { [FLEET.leader]: successor }, remove: [FLEET.deputy] }),
      conditions: [{ attribute: FLEET.leader, equals: this.workerId }],
    });
  }

  // --- adopting assigned leases ------------------------------------------------------------------

  #discoverSoon(epoch: number): void {
    if (this.#discovery !== undefined) return;
    this.#discovery = this.#discover(epoch)
      .catch((e: unknown) => this.#reportError(e, 'takingRound'))
      .finally(() => {
        this.#discovery = undefined;
      });
  }

  /**
   * Finds the leases the GSI says this worker owns, and adopts those it does not hold yet. The GSI
   * lags the table a little: while it shows fewer leases than the leader's count for us, look again.
   */
  async #discover(epoch: number): Promise<void> {
    this.#discoveredAt = this.#clock.now();
    for (const waitMs of [0, ...DISCOVERY_RETRIES_MS]) {
      if (waitMs > 0) await this.#scope.run((signal) => this.#clock.sleep(waitMs, signal));
      if (this.#stopping) return;
      const keys = await this.#scope.run((signal) => this.#store.ownedLeaseKeys(this.workerId, signal));
      // A few at a time: the heartbeat shares this client and must never queue behind hundreds of adoptions.
      await pool(keys.filter((key) => !this.#state.held.has(key)), ADOPT_CONCURRENCY, (key) => this.#adopt(key));
      const expected = this.#slot === undefined ? undefined : this.#view?.slots.get(this.#slot)?.count;
      if (expected === undefined || keys.length >= expected) break;
    }
    this.#epochDone = epoch;
  }

  /** Reads the lease and takes it with a write conditional on what was read (see the class comment). */
  async #adopt(key: string): Promise<void> {
    if (this.#locks.has(key)) return;
    await this.#locks.run(key, async () => {
      const lease = await this.#scope.run((signal) => this.#store.getLease(key, signal));
      if (lease === undefined || lease.leaseOwner !== this.workerId || this.#stopping || this.#state.held.has(key)) return;
      if (!(this.settings.accepts?.(key) ?? true)) {
        // Placed before the leader learnt this worker stopped consuming its stream: give it back.
        await this.#scope.run((signal) => this.#store.releaseLease(lease, signal));
        this.wake();
        return;
      }
      const sentAt = this.#clock.now();
      const result = await this.#scope.run((signal) => this.#store.takeLease(lease, this.workerId, signal), this.#lifeEnds - sentAt);
      if (result.kind !== 'taken') return;
      this.#metrics.count(LEASE_METRICS.leasesTaken);
      this.#apply((s) => claimed(s, result.lease, sentAt));
      // A finished lease is released at once by the scheduler; a live one starts consuming.
      if (isFinished(result.lease)) this.wake();
    });
  }

  // --- handing leases over ------------------------------------------------------------------------

  /** The leader asks this worker to move leases: each one's consumer stops, then release() writes it to its new owner. */
  #takeMoves(moves: readonly Move[]): void {
    const encoded = moves.length === 0 ? undefined : encodeMoves(moves);
    if (encoded === this.#movesSeen) return;
    this.#movesSeen = encoded;
    for (const move of moves) {
      if (this.#moves.has(move.leaseKey) || !this.#state.held.has(move.leaseKey)) continue;
      this.#moves.set(move.leaseKey, move);
      for (const listener of this.#handoffListeners) listener(move.leaseKey);
    }
    if (moves.length > 0 && moves.every((m) => !this.#moves.has(m.leaseKey))) void this.#clearMoves(encoded);
  }

  /** A move is done (or failed: the lease was lost meanwhile): tell its new owner, and clear the request when all are done. */
  async #moved(leaseKey: string, move: Move, handedOver: boolean): Promise<void> {
    this.#moves.delete(leaseKey);
    if (handedOver) {
      await this.#writeFleet({
        increment: { [slotAttribute('epoch', move.toSlot)]: 1 },
        conditions: [{ attribute: slotAttribute('heartbeat', move.toSlot), exists: true }],
      }).catch((e: unknown) => this.#reportError(e, 'takingRound'));
    }
    if (this.#moves.size === 0) await this.#clearMoves(this.#movesSeen);
  }

  async #clearMoves(encoded: string | undefined): Promise<void> {
    if (encoded === undefined || this.#slot === undefined) return;
    const attribute = slotAttribute('moves', this.#slot);
    // Seen again later (the same request written anew), it is looked at again.
    if (this.#movesSeen === encoded) this.#movesSeen = undefined;
    await this.#writeFleet({ remove: [attribute], conditions: [{ attribute, equals: encoded }] }).catch((e: unknown) => this.#reportError(e, 'takingRound'));
  }

  // --- writes ----------------------------------------------------------------------------------

  /** A write by the owner, bounded by the end of this worker's life: after it the write could not help. */
  #ownerWrite(
    leaseKey: string,
    write: (lease: Lease, signal: AbortSignal) => Promise<{ kind: string; lease?: Lease }>,
    onSuccess: (s: CoordinatorState, lease: Lease, sentAt: number) => CoordinatorState = wrote,
  ): Promise<'ok' | 'leaseLost'> {
    return this.#locks.run(leaseKey, async () => {
      const held = this.#state.held.get(leaseKey);
      if (held === undefined) return 'leaseLost';
      const sentAt = this.#clock.now();
      const result = await this.#scope.run((signal) => write(held.lease, signal), this.#lifeEnds - sentAt);
      if (result.lease === undefined) {
        this.#apply((s) => lost(s, leaseKey));
        return 'leaseLost';
      }
      const written = result.lease;
      // The heartbeat, not this write, keeps the lease alive: renewedAt stays the heartbeat's.
      this.#apply((s) => onSuccess(s, written, held.renewedAt));
      return 'ok';
    });
  }

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

/** Every held lease lives from the same heartbeat. */
function withRenewedAt(state: CoordinatorState, renewedAt: number): CoordinatorState {
  if (state.held.size === 0) return state;
  const held = new Map([...state.held].map(([key, h]) => [key, { ...h, renewedAt }]));
  return { ...state, held };
}
