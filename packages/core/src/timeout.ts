import type { Clock } from './clock.js';

/**
 * An AbortSignal that fires after `ms` on the injected clock with a TimeoutError (which the
 * error table classifies as retriable), or when `parent` fires. Call `done()` when the
 * operation ends, to release the timer and the listener on `parent` (a long-lived parent
 * signal must not collect one listener per request).
 */
export function timeoutSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  if (parent?.aborted === true) onParentAbort();
  const cancelTimer = startTimer(clock, ms, () => controller.abort(timeoutError(ms)));
  return {
    signal: controller.signal,
    done: () => {
      cancelTimer();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** A reason that is not an Error: cancelling a timer that never fired allocates no stack trace. */
const CANCELLED = Symbol('timer cancelled');

/**
 * Calls `callback` after `ms` on `clock`; returns a function that cancels it. Uses `clock.timer`
 * when the clock has one (no promise or error allocated), else the same built from sleep()
 * (which keeps the process alive whatever `keepAlive` says).
 */
export function startTimer(clock: Clock, ms: number, callback: () => void, keepAlive = false): () => void {
  if (clock.timer !== undefined) return clock.timer(ms, callback, keepAlive);
  const cancel = new AbortController();
  clock.sleep(ms, cancel.signal).then(callback, () => undefined);
  return () => cancel.abort(CANCELLED);
}

/** The error a timed-out call fails with: named TimeoutError, as AbortSignal.timeout() does. */
export function timeoutError(ms: number): Error {
  const error = new Error(`no answer within ${ms} ms`);
  error.name = 'TimeoutError';
  return error;
}

/**
 * Runs one attempt of a request with its own deadline, combined with `parent` (halt / abort).
 * The attempt gets a signal to pass to the SDK; whether or not `work` honours it, the returned
 * promise settles by the deadline: with work's outcome, or rejected with the signal's reason (a
 * TimeoutError, or the parent's reason). A black-holed request therefore never holds its caller.
 */
export async function withTimeout<T>(clock: Clock, ms: number, parent: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = timeoutSignal(clock, ms, parent);
  const { signal } = timeout;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    timeout.done();
  }
}
