import type { Clock } from '@kinesis-kit/core';

/**
 * Runs a task every `intervalMs` (measured start to start; never two runs at once), sooner when
 * woken. Failures go to `onError` and do not stop the ticking. `stop()` waits for a run in progress.
 */
export class Ticker {
  #stopped = false;
  #started = false;
  #wakeRequested = false;
  #sleeping: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts ticking; the first run is after `firstDelayMs` (default: at once). */
  start(firstDelayMs = 0): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#loop = this.#run(firstDelayMs);
  }

  /** Runs the task as soon as possible (after the run in progress, if any). */
  wake(): void {
    this.#wakeRequested = true;
    this.#sleeping?.abort();
  }

  /** No more runs; resolves when the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleeping?.abort();
    await this.#loop;
  }

  async #run(firstDelayMs: number): Promise<void> {
    let delay = firstDelayMs;
    for (;;) {
      await this.#sleep(delay);
      if (this.#stopped) return;
      const startedAt = this.clock.now();
      try {
        await this.task();
      } catch (error) {
        this.onError(error);
      }
      if (this.#stopped) return;
      delay = Math.max(0, this.intervalMs - (this.clock.now() - startedAt));
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested || this.#stopped) {
      this.#wakeRequested = false;
      return;
    }
    const sleeping = new AbortController();
    this.#sleeping = sleeping;
    try {
      await this.clock.sleep(ms, sleeping.signal);
    } catch {
      // woken or stopped
    } finally {
      this.#sleeping = undefined;
      this.#wakeRequested = false;
    }
  }
}
