import { setTimeout as delay } from 'node:timers/promises';
import { AbortedError } from './errors.js';

/** Time as the library sees it: injected so tests control it without sleeping. */
export interface Clock {
  /** Milliseconds, monotonic enough for deadlines and rates. */
  now(): number;
  /** Resolves after `ms`, or rejects with AbortedError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: calls `callback` after `ms` and returns a function that cancels it, without
   * allocating promises or errors (request timeouts use it once per request). Clocks without it
   * get the same behaviour built from sleep(). The timer does not keep the process alive unless
   * `keepAlive` is true (a producer's wake-up for buffered records must).
   */
  timer?(ms: number, callback: () => void, keepAlive?: boolean): () => void;
}

/** Read once: the getter allocates a number on every call, and now() runs once per produced record. */
const timeOrigin = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal === undefined ? {} : { signal });
    } catch (error) {
      throw new AbortedError('sleep aborted', error);
    }
  },
  timer: (ms, callback, keepAlive) => {
    // Unref'd unless asked: a pending request timeout never keeps the process alive by itself.
    const handle = setTimeout(callback, ms);
    if (keepAlive !== true) handle.unref();
    return () => clearTimeout(handle);
  },
};
