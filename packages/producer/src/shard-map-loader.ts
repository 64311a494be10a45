import { InvalidShardMapError, ShardMap } from '@kinesis-kit/aggregation';
import { AbortedError, OperationFailedError, retry, timeoutSignal, type BackoffPolicy, type Clock } from '@kinesis-kit/core';
import { classifyRequestError } from './error-policy.js';
import type { KinesisWritePort, ShardDescription } from './port.js';

/** Shortest time between two ListShards refreshes (ListShards is rate-limited per stream). */
export const MIN_REFRESH_INTERVAL_MS = 1_000;

/**
 * With `maxRecordSize: 'auto'`, a record above the stream's known limit makes the producer read
 * the limit again (the stream may have been raised) only if the known limit was read longer ago
 * than this before the record was accepted; otherwise it fails at once. DescribeStreamSummary is
 * limited to 20 calls per second per account: oversized records must not turn into a call each.
 */
export const MAX_RECORD_SIZE_RECHECK_MS = 5_000;

export interface ShardMapLoaderOptions {
  readonly port: KinesisWritePort;
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  readonly requestTimeout: number;
  /** Aborts retries and the call in flight (the producer is stopping). */
  readonly signal: AbortSignal;
  /** Whether records wait for a map (to be routed, or to verify where they were stored). */
  readonly needed: () => boolean;
  /** Also read the stream's record limit (port.maxRecordSize) with every load: `maxRecordSize: 'auto'`. */
  readonly readMaxRecordSize: boolean;
  /** `maxRecordBytes`: the stream's record limit, when readMaxRecordSize; `startedAt`: when the successful attempt began. */
  readonly onLoaded: (shards: readonly ShardDescription[], reason: RefreshReason, maxRecordBytes: number | undefined, startedAt: number) => void;
  /** One ListShards attempt failed; `willRetry`: the load goes on after a backoff. */
  readonly onAttemptFailed: (error: unknown, reason: RefreshReason, willRetry: boolean) => void;
  /** The load gave up: the error will repeat, or nothing needs a map any more. */
  readonly onFailed: (error: unknown, reason: RefreshReason) => void;
}

/** Why the last shard map load failed (cleared by a successful one): the cause of records expiring while they wait for a map. */
export interface MapFailure {
  readonly code: string;
  readonly message: string;
  readonly error: unknown;
}

/**
 * Why a load is asked for. Only a shard mismatch or a record above the stream's known limit
 * (`maxRecordSize: 'auto'`: the stream may have been raised) seen during a load needs another
 * one after it.
 */
export type RefreshReason = 'startup' | 'no-shard-for-key' | 'shard-mismatch' | 'record-too-large';

/**
 * Loads the list of open shards (ListShards, AT_LATEST, every page), at most one load at a time.
 * A shard mismatch reported while a load runs queues one more load after it (the running one may
 * have listed the shards before the change); other requests join the running load. Loads are
 * spaced by MIN_REFRESH_INTERVAL_MS. A failed attempt is retried with backoff only while it may
 * succeed (not a fatal error; a malformed list with overlapping ranges counts as a server fault)
 * and while records still wait for a map, so retries end at the TTL of the last record waiting;
 * release() ends them at once when nothing waits any more. A load that gave up while records
 * arrived is started again.
 */
export class ShardMapLoader {
  readonly #options: ShardMapLoaderOptions;
  #running = false;
  #queuedReason: RefreshReason | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  /** Aborts the running load (release(), or the producer stopping). */
  #load: AbortController | undefined;

  constructor(options: ShardMapLoaderOptions) {
    this.#options = options;
  }

  get loading(): boolean {
    return this.#running;
  }

  request(reason: RefreshReason): void {
    if (this.#options.signal.aborted) return;
    if (this.#running) {
      if (reason === 'shard-mismatch' || reason === 'record-too-large') this.#queuedReason ??= reason;
      return;
    }
    this.#running = true;
    void this.#run(reason);
  }

  /** Nothing waits for a map any more: stops a load that is retrying (or waiting to), quietly. */
  release(): void {
    if (this.#load !== undefined && !this.#options.needed()) this.#load.abort(new AbortedError('no record waits for the shard map'));
  }

  async #run(reason: RefreshReason): Promise<void> {
    const { clock, signal, needed } = this.#options;
    const load = new AbortController();
    const onStop = (): void => load.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    this.#load = load;
    try {
      const wait = this.#lastStart + MIN_REFRESH_INTERVAL_MS - clock.now();
      if (wait > 0) await clock.sleep(wait, load.signal);
      this.#lastStart = clock.now();
      let attemptStart = this.#lastStart;
      const attempt = (): Promise<Loaded> => {
        attemptStart = clock.now();
        return this.#listOnce(load.signal);
      };
      const { shards, maxRecordBytes } = await retry(attempt, {
        backoff: this.#options.backoff,
        clock,
        signal: load.signal,
        description: 'ListShards',
        shouldRetry: (error) => {
          const willRetry = mayRetry(error) && needed();
          this.#options.onAttemptFailed(error, reason, willRetry);
          return willRetry;
        },
      });
      this.#options.onLoaded(shards, reason, maxRecordBytes, attemptStart);
    } catch (error) {
      if (!load.signal.aborted) this.#options.onFailed(error instanceof OperationFailedError ? error.cause : error, reason);
    } finally {
      signal.removeEventListener('abort', onStop);
      this.#load = undefined;
      this.#running = false;
      const next = this.#queuedReason ?? (load.signal.aborted || !needed() ? undefined : reason);
      this.#queuedReason = undefined;
      if (next !== undefined) this.request(next);
    }
  }

  async #listOnce(loadSignal: AbortSignal): Promise<Loaded> {
    const { port, clock, requestTimeout, readMaxRecordSize } = this.#options;
    const timeout = timeoutSignal(clock, requestTimeout, loadSignal);
    try {
      const [shards, maxRecordBytes] = await Promise.all([
        port.listShards(timeout.signal),
        readMaxRecordSize ? port.maxRecordSize!(timeout.signal) : undefined,
      ]);
      new ShardMap(shards); // validates: no overlaps, well-formed ranges
      return { shards, maxRecordBytes };
    } catch (error) {
      throw timeout.signal.aborted && !loadSignal.aborted ? timeout.signal.reason : error;
    } finally {
      timeout.done();
    }
  }
}

interface Loaded {
  readonly shards: readonly ShardDescription[];
  readonly maxRecordBytes: number | undefined;
}

function mayRetry(error: unknown): boolean {
  return error instanceof InvalidShardMapError || classifyRequestError(error).errorClass !== 'fatal';
}
