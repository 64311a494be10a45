import { startTimer, type Clock } from '@kinesis-kit/core';

/**
 * The producer's one timer: wakes the pipeline at the earliest time anything is due (an
 * aggregate to seal, a batch to send, tokens to refill, a retry, an expiry). Asking for a later
 * time than the one armed is free; asking for an earlier one re-arms, which allocates no
 * promise or error (an AbortSignal-cancelled sleep built three stack-carrying errors per
 * re-arm). Time comes from the injected Clock, so tests can drive it. While armed it keeps the
 * process alive: buffered records are sent even if nothing else is pending.
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #armedAt = Number.POSITIVE_INFINITY;
  #cancel: (() => void) | undefined;
  /** Bumped by every arm and cancel: a timer that fires after it was replaced does nothing. */
  #generation = 0;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  /** Makes sure the timer fires at or before `time` (a clock time; Infinity: nothing to do). */
  wakeAt(time: number): void {
    if (time >= this.#armedAt) return;
    this.cancel();
    if (time === Number.POSITIVE_INFINITY) return;
    this.#armedAt = time;
    const generation = ++this.#generation;
    this.#cancel = startTimer(this.#clock, Math.max(0, time - this.#clock.now()), () => this.#fire(generation), true);
  }

  cancel(): void {
    this.#generation++;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #fire(generation: number): void {
    if (generation !== this.#generation) return;
    this.#cancel = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#onWake();
  }
}
