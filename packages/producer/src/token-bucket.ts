/** Rate multiplier applied when a shard reports throttling (AIMD-style multiplicative decrease). */
export const THROTTLE_DECREASE = 0.5;
/** The rate never falls below this fraction of the configured rate. */
export const MIN_RATE_FACTOR = 0.1;
/** Fraction of the configured rate regained per second without throttling (additive increase). */
export const RECOVERY_PER_SECOND = 0.1;
/** Throttling reports closer together than this are one signal (one response can fail 500 records). */
export const THROTTLE_COALESCE_MS = 100;

/**
 * A per-shard token bucket on two currencies, records and bytes, refilled continuously at
 * rate x factor per second and holding at most one second's worth. `factor` falls on
 * throttling and recovers linearly after. A cost larger than the whole bucket is allowed when
 * the bucket is full (it then runs into debt), so an oversized record is paced, never stuck.
 */
export class TokenBucket {
  readonly #recordsPerSecond: number;
  readonly #bytesPerSecond: number;
  #records: number;
  #bytes: number;
  #last: number;
  #factor = 1;
  #lastThrottle = Number.NEGATIVE_INFINITY;

  constructor(recordsPerSecond: number, bytesPerSecond: number, now: number) {
    this.#recordsPerSecond = recordsPerSecond;
    this.#bytesPerSecond = bytesPerSecond;
    this.#records = recordsPerSecond;
    this.#bytes = bytesPerSecond;
    this.#last = now;
  }

  /** Current fraction of the configured rate (1 when not throttled recently). */
  get factor(): number {
    return this.#factor;
  }

  /** Takes the tokens if available now; otherwise changes nothing and returns false. */
  tryTake(records: number, bytes: number, now: number): boolean {
    this.#refill(now);
    const f = this.#factor;
    const recordsOk = this.#records >= Math.min(records, this.#recordsPerSecond * f);
    const bytesOk = this.#bytes >= Math.min(bytes, this.#bytesPerSecond * f);
    if (!recordsOk || !bytesOk) return false;
    this.#records -= records;
    this.#bytes -= bytes;
    return true;
  }

  /** Milliseconds until tryTake(records, bytes) would succeed (0 if it would now). */
  msUntil(records: number, bytes: number, now: number): number {
    this.#refill(now);
    const f = this.#factor;
    const recordRate = this.#recordsPerSecond * f;
    const byteRate = this.#bytesPerSecond * f;
    const recordWait = (Math.min(records, recordRate) - this.#records) / recordRate;
    const byteWait = (Math.min(bytes, byteRate) - this.#bytes) / byteRate;
    return Math.max(0, Math.ceil(Math.max(recordWait, byteWait) * 1000));
  }

  /**
   * The shard throttled us: slow down and drop the burst. Reports closer together than
   * THROTTLE_COALESCE_MS count once; returns whether this one slowed the bucket.
   */
  throttled(now: number): boolean {
    this.#refill(now);
    if (now - this.#lastThrottle < THROTTLE_COALESCE_MS) return false;
    this.#lastThrottle = now;
    this.#factor = Math.max(MIN_RATE_FACTOR, this.#factor * THROTTLE_DECREASE);
    this.#records = Math.min(this.#records, 0);
    this.#bytes = Math.min(this.#bytes, 0);
    return true;
  }

  #refill(now: number): void {
    const elapsed = now - this.#last;
    if (elapsed <= 0) return;
    this.#last = now;
    const seconds = elapsed / 1000;
    if (this.#factor < 1) this.#factor = Math.min(1, this.#factor + RECOVERY_PER_SECOND * seconds);
    const f = this.#factor;
    this.#records = Math.min(this.#recordsPerSecond * f, this.#records + this.#recordsPerSecond * f * seconds);
    this.#bytes = Math.min(this.#bytesPerSecond * f, this.#bytes + this.#bytesPerSecond * f * seconds);
  }
}
