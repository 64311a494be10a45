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

/**
 * An AbortSignal that fires after `ms` on the injected clock with a TimeoutError (which the
 * error table classifies as retriable), or when `parent` fires. Call `done()` when the
 * operation ends, to release the timer.
 */
export function timeoutSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const timer = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  if (parent?.aborted === true) onParentAbort();
  clock.sleep(ms, timer.signal).then(
    () => controller.abort(timeoutError(ms)),
    () => undefined,
  );
  return {
    signal: controller.signal,
    done: () => {
      timer.abort();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** The error a timed-out call fails with: named TimeoutError, as AbortSignal.timeout() does. */
export function timeoutError(ms: number): Error {
  const error = new Error(`no answer within ${ms} ms`);
  error.name = 'TimeoutError';
  return error;
}
