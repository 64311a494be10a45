import { exponentialBackoff, noopLogger, systemClock, type BackoffPolicy, type Clock, type Logger } from '@kinesis-kit/core';
import type { EmitConsumerEvent } from '../consumer-events.js';
import type { CoordinatorState } from '../leases/coordinator-state.js';
import type { LeaseChange } from '../leases/diagnostics.js';
import { isFinished, type Lease } from '../leases/lease.js';
import type { Coordination } from '../leases/coordination.js';
import type { LeaseHandle, ShardConsumer, ShardConsumerOutcome } from '../processing/contracts.js';
import { AbortScope } from '../leases/abort-scope.js';
import { parentsDone } from './lease-tree.js';

/** Starts consuming one shard (the processing half's startShardConsumer, bound to its options). */
export type ShardConsumerStarter = (input: { readonly lease: Lease; readonly handle: LeaseHandle }) => ShardConsumer;

export interface ShardSchedulerOptions {
  readonly coordinator: Coordination;
  readonly startConsumer: ShardConsumerStarter;
  readonly handleFor: (shardId: string) => LeaseHandle;
  readonly gracefulShutdownTimeoutMillis: number;
  /** Which held leases to consume (default all); others are released (a stream being removed). */
  readonly accepts?: (leaseKey: string) => boolean;
  readonly emit: EmitConsumerEvent;
  /** Delay before a shard consumer that failed is started again (default exponential 1 s .. 30 s). */
  readonly restartBackoff?: BackoffPolicy;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Runs one shard consumer per held lease whose parents are done, and reacts to how each ends:
 * a finished shard's lease is released (its children become ready), a failed consumer is
 * restarted after a backoff while the lease is kept, a lost lease stops its consumer at once.
 * `stop()` is the graceful shutdown: no more taking, every consumer gets requestShutdown (its
 * processor may checkpoint), then every lease is released so other workers take them at their
 * next taking round instead of waiting for expiry. It never waits for a consumer past the
 * graceful shutdown timeout: one whose processor ignores its signal is told leaseLost (it can no
 * longer checkpoint) and left behind.
 */
export class ShardScheduler {
  readonly #options: ShardSchedulerOptions;
  readonly #coordinator: Coordination;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #backoff: BackoffPolicy;
  readonly #running = new Map<string, ShardConsumer>();
  /** Leases being released (the write in flight): never started again meanwhile. */
  readonly #releasing = new Set<string>();
  readonly #handling = new Set<Promise<void>>();
  /** Running consumers whose lease the coordinator has already dropped (their leaseLost outcome must not forget a re-take). */
  readonly #lossReported = new WeakSet<ShardConsumer>();
  readonly #failures = new Map<string, { count: number; retryAt: number }>();
  /** Restart backoffs: one short-lived signal each (no listener pile-up when many shards fail at once). */
  readonly #timers: AbortScope;
  readonly #accepts: (leaseKey: string) => boolean;
  #stopping = false;

  constructor(options: ShardSchedulerOptions) {
    this.#options = options;
    this.#coordinator = options.coordinator;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#accepts = options.accepts ?? (() => true);
    this.#timers = new AbortScope(this.#clock);
    this.#backoff = options.restartBackoff ?? exponentialBackoff({ initialDelayMs: 1_000, maxDelayMs: 30_000, jitter: 'equal' });
    options.coordinator.onChange((changes) => this.#onChanges(changes));
    options.coordinator.onRound((state) => this.#onRound(state));
    options.coordinator.onHandoff((key) => this.#handOff(key));
  }

  /** The coordination moves a held lease to another worker: its consumer stops gracefully (checkpointing), then it is released to it. */
  #handOff(key: string): void {
    const consumer = this.#running.get(key);
    if (consumer !== undefined) consumer.requestShutdown();
    else if (this.#coordinator.heldLease(key) !== undefined) this.#track(this.#release(key, 'shutdown'));
  }

  /** Shards being consumed right now. */
  runningShards(): string[] {
    return [...this.#running.keys()];
  }

  /** Graceful shutdown; see the class comment. Resolves once every lease is released or lost. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#timers.abort();
    await this.#coordinator.stopTaking();
    const running = [...this.#running.values()];
    for (const consumer of running) consumer.requestShutdown();
    const idle = [...this.#coordinator.state.held.keys()].filter((key) => !this.#running.has(key));
    const allHandled = Promise.all([...running.map((c) => c.finished), ...idle.map((key) => this.#release(key, 'shutdown'))]).then(() => this.#settled());
    if (!(await raceTimeout(this.#clock, allHandled, this.#options.gracefulShutdownTimeoutMillis))) return;
    const late = [...this.#running.values()];
    for (const consumer of late) {
      this.#logger.warn('shard consumer did not finish within the graceful shutdown timeout; releasing its lease', { shardId: consumer.shardId });
      consumer.leaseLost(); // before the release: no checkpoint once another worker may hold the lease
    }
    await Promise.all(late.map((c) => this.#release(c.shardId, 'shutdown')));
    await this.#settled();
  }

  /**
   * Gracefully stops consuming every held lease `accepts` now refuses (a removed stream): each
   * consumer gets requestShutdown (its processor may checkpoint) and its lease is released; held
   * leases without a consumer are released at once. A consumer still running after
   * gracefulShutdownTimeoutMillis loses its lease. Taking goes on for the other leases.
   */
  async retire(): Promise<void> {
    const refused = (key: string) => !this.#accepts(key);
    const idle = [...this.#coordinator.state.held.keys()].filter((key) => refused(key) && !this.#running.has(key));
    await Promise.all(idle.map((key) => this.#release(key, 'shutdown')));
    const running = [...this.#running.values()].filter((c) => refused(c.shardId));
    for (const consumer of running) consumer.requestShutdown();
    const timedOut = await raceTimeout(this.#clock, Promise.all(running.map((c) => c.finished)), this.#options.gracefulShutdownTimeoutMillis);
    for (const consumer of timedOut ? running : []) {
      if (this.#running.get(consumer.shardId) !== consumer) continue;
      consumer.leaseLost(); // before the release: no checkpoint once another worker may hold the lease
      await this.#release(consumer.shardId, 'shutdown');
    }
    // The outcome handlers release these leases too; a second release is a no-op. Not #settled():
    // the other streams' consumers keep running.
    await Promise.all(running.map((c) => this.#release(c.shardId, 'shutdown')));
  }

  #onChanges(changes: readonly LeaseChange[]): void {
    for (const change of changes) {
      if (change.kind === 'taken') {
        this.#options.emit('leaseTaken', { shardId: change.leaseKey, from: change.from });
        this.#evaluate(change.leaseKey);
      } else if (change.kind === 'lost') {
        this.#options.emit('leaseLost', { shardId: change.leaseKey, to: change.to });
        this.#failures.delete(change.leaseKey);
        const consumer = this.#running.get(change.leaseKey);
        if (consumer !== undefined) {
          this.#lossReported.add(consumer);
          consumer.leaseLost();
        }
      } else {
        this.#options.emit('leaseReleased', { shardId: change.leaseKey, reason: change.kind === 'finished' ? 'shardEnded' : 'shutdown' });
      }
    }
  }

  async #onRound(state: CoordinatorState): Promise<void> {
    for (const key of state.held.keys()) this.#evaluate(key);
  }

  /** Starts the lease's consumer if it is held, not running, not finished, its parents are done and no restart backoff is pending. */
  #evaluate(key: string): void {
    if (this.#stopping || this.#running.has(key) || this.#releasing.has(key)) return;
    const held = this.#coordinator.heldLease(key);
    if (held === undefined) return;
    if (!this.#accepts(key)) {
      this.#track(this.#release(key, 'shutdown'));
      return;
    }
    if (isFinished(held.lease)) {
      this.#track(this.#release(key, 'shardEnded'));
      return;
    }
    const table = this.#coordinator.state.table;
    if (!parentsDone(held.lease, (k) => table.get(k)?.lease)) return;
    const failure = this.#failures.get(key);
    if (failure !== undefined && failure.retryAt > this.#clock.now()) return;
    this.#start(held.lease);
  }

  #start(lease: Lease): void {
    const shardId = lease.leaseKey;
    let consumer: ShardConsumer;
    try {
      consumer = this.#options.startConsumer({ lease, handle: this.#options.handleFor(shardId) });
    } catch (error) {
      this.#failed(shardId, error);
      return;
    }
    this.#running.set(shardId, consumer);
    this.#options.emit('shardStarted', { shardId, startingPosition: lease.checkpoint });
    // Tracked from the moment it finished: stop() never waits on a consumer that does not finish.
    void consumer.finished.then((outcome) => this.#track(this.#onFinished(consumer, outcome)));
  }

  async #onFinished(consumer: ShardConsumer, outcome: ShardConsumerOutcome): Promise<void> {
    const shardId = consumer.shardId;
    if (this.#running.get(shardId) === consumer) this.#running.delete(shardId);
    this.#options.emit('shardFinished', { shardId, outcome });
    switch (outcome.kind) {
      case 'shardEnded':
        this.#failures.delete(shardId);
        await this.#release(shardId, 'shardEnded');
        this.#coordinator.wake();
        break;
      case 'shutdown':
        await this.#release(shardId, 'shutdown');
        break;
      case 'leaseLost':
        // Only when the coordinator has not dropped the lease itself: it may have taken it back
        // since (expired locally and re-taken in one round), and that new tenure must stay.
        if (!this.#lossReported.has(consumer)) this.#coordinator.forget(shardId);
        break;
      case 'failed':
        this.#failed(shardId, outcome.error);
        if (this.#stopping) await this.#release(shardId, 'shutdown');
        break;
    }
    // Children of a shard that just ended may be held here, waiting for it.
    for (const key of this.#coordinator.state.held.keys()) this.#evaluate(key);
  }

  #failed(shardId: string, error: unknown): void {
    const count = (this.#failures.get(shardId)?.count ?? 0) + 1;
    const delay = this.#backoff.delayMs(count);
    this.#failures.set(shardId, { count, retryAt: this.#clock.now() + delay });
    this.#options.emit('error', { error, source: 'shardConsumer', shardId });
    this.#logger.warn('shard consumer failed; it restarts after a backoff', { shardId, attempt: count, delayMs: Math.round(delay) });
    if (!this.#stopping) void this.#timers.run((signal) => this.#clock.sleep(delay, signal)).then(() => this.#evaluate(shardId), () => undefined);
  }

  async #release(shardId: string, reason: 'shutdown' | 'shardEnded'): Promise<void> {
    // Still held until the write lands: no evaluation may start a consumer for it meanwhile.
    this.#releasing.add(shardId);
    try {
      await this.#coordinator.release(shardId);
    } catch (error) {
      // The lease stays ours in the table until it expires; another worker takes it then.
      this.#options.emit('error', { error, source: 'release', shardId });
      this.#logger.warn('releasing a lease failed; it will expire instead', { shardId, reason, error: String(error) });
      this.#coordinator.forget(shardId);
    } finally {
      this.#releasing.delete(shardId);
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#options.emit('error', { error, source: 'shardConsumer' }));
    this.#handling.add(tracked);
    void tracked.finally(() => this.#handling.delete(tracked));
  }

  /** Waits until no outcome handler is in flight. */
  async #settled(): Promise<void> {
    while (this.#handling.size > 0) await Promise.all([...this.#handling]);
  }

}

/** Waits for `work` at most `ms`; true when the time ran out first. The timer is released either way. */
export async function raceTimeout(clock: Clock, work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const timeout = clock.sleep(ms, timer.signal).then(
    () => true,
    () => false,
  );
  const timedOut = await Promise.race([work.then(() => false), timeout]);
  timer.abort();
  return timedOut;
}
