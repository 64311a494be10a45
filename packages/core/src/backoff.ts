import pRetry, { AbortError } from 'p-retry';
import { systemClock, type Clock } from './clock.js';
import { classifyError, type ErrorClass } from './error-classes.js';
import { AbortedError, OperationFailedError, type Attempt } from './errors.js';

/** How long to wait before retry number `retry` (1 = the first retry). */
export interface BackoffPolicy {
  delayMs(retry: number): number;
}

export interface ExponentialBackoffOptions {
  /** Delay ceiling before the first retry. */
  readonly initialDelayMs: number;
  /** Largest delay ceiling. */
  readonly maxDelayMs: number;
  /** Growth of the ceiling per retry. */
  readonly multiplier?: number;
  /** `full`: uniform in [0, ceiling]; `equal`: ceiling/2 + uniform half; `none`: the ceiling. */
  readonly jitter?: 'full' | 'equal' | 'none';
  /** Random source in [0, 1); injected for deterministic tests. */
  readonly random?: () => number;
}

/** Exponential backoff with jitter (AWS architecture blog's "full jitter" by default). */
export function exponentialBackoff(options: ExponentialBackoffOptions): BackoffPolicy {
  const { initialDelayMs, maxDelayMs, multiplier = 2, jitter = 'full', random = Math.random } = options;
  return {
    delayMs(retry) {
      const ceiling = Math.min(maxDelayMs, initialDelayMs * multiplier ** Math.max(0, retry - 1));
      if (jitter === 'none') return ceiling;
      if (jitter === 'equal') return ceiling / 2 + (random() * ceiling) / 2;
      return random() * ceiling;
    },
  };
}

export interface RetryOptions {
  readonly backoff: BackoffPolicy;
  /** Total attempts including the first. */
  readonly maxAttempts?: number;
  /** Clock time after which no new attempt starts (a retry whose delay would pass it is not made). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Whether a failure may be retried; default: the error classifies as throttled or retriable. */
  readonly shouldRetry?: (error: unknown, errorClass: ErrorClass) => boolean;
  /** Told of every failed attempt (metrics, logs). */
  readonly onFailedAttempt?: (attempt: Attempt, errorClass: ErrorClass) => void;
  /** Described in the RetriesExhaustedError message. */
  readonly description?: string;
}

/**
 * Runs `operation` until it succeeds, a failure is not retriable, attempts or time run out,
 * or the signal aborts. p-retry drives the loop; the delay comes from the injected policy and
 * clock so tests are deterministic. Failures are wrapped in OperationFailedError carrying
 * every attempt; the last failure is its cause. An abort rejects with AbortedError.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { backoff, maxAttempts = Number.POSITIVE_INFINITY, deadline, signal, clock = systemClock } = options;
  const shouldRetry = options.shouldRetry ?? ((_error, errorClass) => errorClass !== 'fatal');
  const attempts: Attempt[] = [];
  const run = async (attemptNumber: number): Promise<T> => {
    if (signal?.aborted === true) throw new AbortError(new AbortedError('retry aborted', signal.reason));
    const startedAt = clock.now();
    try {
      const value = await operation(attemptNumber);
      attempts.push({ startedAt, durationMs: clock.now() - startedAt });
      return value;
    } catch (error) {
      const { errorClass, code, message } = classifyError(error);
      const attempt: Attempt = { startedAt, durationMs: clock.now() - startedAt, errorCode: code, errorMessage: message };
      attempts.push(attempt);
      options.onFailedAttempt?.(attempt, errorClass);
      const delay = backoff.delayMs(attemptNumber);
      const outOfTime = deadline !== undefined && clock.now() + delay >= deadline;
      if (!shouldRetry(error, errorClass)) throw new AbortError(failed('NON_RETRIABLE', options.description, attempts, error));
      if (attemptNumber >= maxAttempts || outOfTime) throw new AbortError(failed('RETRIES_EXHAUSTED', options.description, attempts, error));
      await clock.sleep(delay, signal).catch((aborted: unknown) => {
        throw new AbortError(aborted instanceof Error ? aborted : new AbortedError());
      });
      throw error instanceof Error ? error : new Error(String(error));
    }
  };
  return pRetry(run, { retries: Number.POSITIVE_INFINITY, minTimeout: 0, maxTimeout: 0, randomize: false });
}

function failed(
  code: 'RETRIES_EXHAUSTED' | 'NON_RETRIABLE',
  description: string | undefined,
  attempts: readonly Attempt[],
  cause: unknown,
): OperationFailedError {
  const causeCode = attempts.at(-1)?.errorCode ?? 'Unknown';
  const message = `${description ?? 'operation'} failed after ${attempts.length} attempt(s): ${causeCode}: ${attempts.at(-1)?.errorMessage ?? ''}`;
  return new OperationFailedError(code, message, attempts, causeCode, cause);
}
