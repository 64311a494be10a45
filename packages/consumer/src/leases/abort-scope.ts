import { withTimeout, type Clock } from '@kinesis-kit/core';

/** The longest timer Node keeps (about 24.8 days): "no deadline" for work that only `abort()` ends. */
const NO_DEADLINE_MS = 2 ** 31 - 1;

/**
 * Cancellation for a long-lived owner (a coordinator, a consumer's startup) without listeners on
 * any long-lived signal. Each operation gets its own short-lived signal, kept in a set while it
 * runs; `abort()` aborts every one of them directly. A worker with a thousand leases in flight
 * therefore holds a thousand short-lived signals with one or two listeners each, never one signal
 * with a thousand listeners (which is what MaxListenersExceededWarning reports).
 */
export class AbortScope {
  readonly #running = new Set<AbortController>();
  #reason: unknown;
  #aborted = false;

  constructor(private readonly clock: Clock) {}

  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Runs `work` with a signal of its own that fires on `abort()`, or after `timeoutMs` when given
   * (with a TimeoutError). Work that ignores the signal still settles: the returned promise
   * rejects at once when the signal fires.
   */
  async run<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs = NO_DEADLINE_MS): Promise<T> {
    const controller = new AbortController();
    if (this.#aborted) controller.abort(this.#reason);
    this.#running.add(controller);
    try {
      return await withTimeout(this.clock, Math.max(0, timeoutMs), controller.signal, work);
    } finally {
      this.#running.delete(controller);
    }
  }

  /** Aborts every running operation and every later one. */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason ?? abortReason();
    for (const controller of this.#running) controller.abort(this.#reason);
  }
}

function abortReason(): Error {
  const error = new Error('the operation was aborted');
  error.name = 'AbortError';
  return error;
}
