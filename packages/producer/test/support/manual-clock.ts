import { AbortedError, type Clock } from '@kinesis-kit/core';

interface Sleeper {
  readonly at: number;
  readonly resolve: () => void;
}

/** Lets every pending microtask and immediate run (fake ports answer in microtasks). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock the test moves by hand: now() is simulated milliseconds, and sleep() resolves when
 * advance() passes its time. Lets pipeline tests check rates, backoff and TTLs in simulated
 * time, deterministically, without sleeping.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new AbortedError('sleep aborted'));
        return;
      }
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(new AbortedError('sleep aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking sleepers in time order and letting each wake-up run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances in steps until `done()` holds or `limitMs` of simulated time passed. */
  async runUntil(done: () => boolean, limitMs: number, stepMs = 10): Promise<void> {
    for (let spent = 0; !done() && spent < limitMs; spent += stepMs) await this.advance(stepMs);
  }
}
