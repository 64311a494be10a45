/** Measures each lease's throughput over at least this long before reporting it. */
const MIN_WINDOW_MS = 1_000;

/**
 * Bytes given to each lease's processor, turned into KB/s when its owner next checkpoints (the
 * KCL 3.x `throughputKBps` lease attribute, which the fleet leader balances on).
 */
export class ThroughputMeter {
  readonly #windows = new Map<string, { bytes: number; since: number }>();

  add(leaseKey: string, bytes: number, now: number): void {
    const window = this.#windows.get(leaseKey);
    if (window === undefined) this.#windows.set(leaseKey, { bytes, since: now });
    else window.bytes += bytes;
  }

  /** KB/s since the window began, which then starts again; undefined while the window is too short (or unmeasured). */
  take(leaseKey: string, now: number): number | undefined {
    const window = this.#windows.get(leaseKey);
    if (window === undefined || now - window.since < MIN_WINDOW_MS) return undefined;
    this.#windows.set(leaseKey, { bytes: 0, since: now });
    return window.bytes / 1024 / ((now - window.since) / 1000);
  }

  forget(leaseKey: string): void {
    this.#windows.delete(leaseKey);
  }
}
