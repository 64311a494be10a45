import { startTimer, type Clock } from '@kinesis-kit/core';

/**
 * One timer per held lease, due when this worker must give the lease up if no write of its own
 * has moved the counter since (see LeaseCoordinator: the lease-loss invariant). `sync()` re-arms a
 * timer only when its due time changed, so a lease renewed or checkpointed costs one timer swap.
 */
export class LossDeadlines {
  readonly #timers = new Map<string, { readonly at: number; readonly cancel: () => void }>();

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  /** Arms a timer per key at its due time; disarms keys that are no longer given. */
  sync(due: ReadonlyMap<string, number>): void {
    for (const [key, timer] of this.#timers) {
      if (due.has(key)) continue;
      timer.cancel();
      this.#timers.delete(key);
    }
    for (const [key, at] of due) if (this.#timers.get(key)?.at !== at) this.#arm(key, at);
  }

  /** Disarms every timer (halt). */
  clear(): void {
    this.sync(new Map());
  }

  #arm(key: string, at: number): void {
    this.#timers.get(key)?.cancel();
    const timer = {
      at,
      cancel: startTimer(this.clock, Math.max(0, at - this.clock.now()), () => {
        if (this.#timers.get(key) !== timer) return;
        this.#timers.delete(key);
        this.onDue(key);
      }),
    };
    this.#timers.set(key, timer);
  }
}
