import type { Clock } from '@kinesis-kit/core';

/**
 * The producer's one timer: wakes the pipeline at the earliest time anything is due (an
 * aggregate to seal, a batch to send, tokens to refill, a retry, an expiry). Asking for a later
 * time than the one armed is free; asking for an earlier one re-arms. Time comes from the
 * injected Clock, so tests can drive it.
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #armedAt = Number.POSITIVE_INFINITY;
  #controller: AbortController | undefined;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  /** Makes sure the timer fires at or before `time` (a clock time; Infinity: nothing to do). */
  wakeAt(time: number): void {
    if (time >= this.#armedAt) return;
    this.cancel();
    if (time === Number.POSITIVE_INFINITY) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#armedAt = time;
    this.#clock.sleep(Math.max(0, time - this.#clock.now()), controller.signal).then(
      () => {
        if (this.#controller !== controller) return;
        this.#controller = undefined;
        this.#armedAt = Number.POSITIVE_INFINITY;
        this.#onWake();
      },
      () => undefined, // cancelled
    );
  }

  cancel(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }
}
