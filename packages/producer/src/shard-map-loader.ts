import { InvalidShardMapError, ShardMap } from '@kinesis-kit/aggregation';
import { retry, timeoutSignal, type BackoffPolicy, type Clock } from '@kinesis-kit/core';
import type { KinesisWritePort, ShardDescription } from './port.js';

/** Shortest time between two ListShards refreshes (ListShards is rate-limited per stream). */
export const MIN_REFRESH_INTERVAL_MS = 1_000;

export interface ShardMapLoaderOptions {
  readonly port: KinesisWritePort;
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  readonly requestTimeout: number;
  /** Aborts retries and the call in flight (the producer is stopping). */
  readonly signal: AbortSignal;
  readonly onLoaded: (shards: readonly ShardDescription[], reason: RefreshReason) => void;
  readonly onFailed: (error: unknown, reason: RefreshReason) => void;
}

/** Why a load is asked for. Only a shard mismatch seen during a load needs another one after it. */
export type RefreshReason = 'startup' | 'no-shard-for-key' | 'shard-mismatch';

/**
 * Loads the list of open shards (ListShards, AT_LATEST, every page) with retries, at most one
 * load at a time. A shard mismatch reported while a load runs queues one more load after it
 * (the running one may have listed the shards before the change); other requests join the
 * running load. Loads are spaced by MIN_REFRESH_INTERVAL_MS. A malformed list (overlapping
 * ranges) is retried like a server fault.
 */
export class ShardMapLoader {
  readonly #options: ShardMapLoaderOptions;
  #running = false;
  #queuedReason: RefreshReason | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;

  constructor(options: ShardMapLoaderOptions) {
    this.#options = options;
  }

  get loading(): boolean {
    return this.#running;
  }

  request(reason: RefreshReason): void {
    if (this.#options.signal.aborted) return;
    if (this.#running) {
      if (reason === 'shard-mismatch') this.#queuedReason = reason;
      return;
    }
    this.#running = true;
    void this.#run(reason);
  }

  async #run(reason: RefreshReason): Promise<void> {
    const { clock, signal } = this.#options;
    try {
      const wait = this.#lastStart + MIN_REFRESH_INTERVAL_MS - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      this.#lastStart = clock.now();
      const shards = await retry(() => this.#listOnce(), {
        backoff: this.#options.backoff,
        clock,
        signal,
        description: 'ListShards',
        shouldRetry: (error, errorClass) => errorClass !== 'fatal' || error instanceof InvalidShardMapError,
      });
      this.#options.onLoaded(shards, reason);
    } catch (error) {
      if (!signal.aborted) this.#options.onFailed(error, reason);
    } finally {
      this.#running = false;
      const next = this.#queuedReason;
      this.#queuedReason = undefined;
      if (next !== undefined) this.request(next);
    }
  }

  async #listOnce(): Promise<readonly ShardDescription[]> {
    const { port, clock, requestTimeout, signal } = this.#options;
    const timeout = timeoutSignal(clock, requestTimeout, signal);
    try {
      const shards = await port.listShards(timeout.signal);
      new ShardMap(shards); // validates: no overlaps, well-formed ranges
      return shards;
    } catch (error) {
      throw timeout.signal.aborted && !signal.aborted ? timeout.signal.reason : error;
    } finally {
      timeout.done();
    }
  }
}
