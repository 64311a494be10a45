import { AbortedError, type Clock } from '@kinesis-kit/core';

/**
 * A discrete-event clock: core's `Clock` with time that moves only when the simulation says so.
 * Every `sleep()` is an event at `now + ms`. `advanceTo(t)` runs the events in time order; before
 * each step it lets every promise chain settle (microtasks drain before a `setImmediate` macrotask
 * runs), so the real async code under test runs unchanged and time advances only when every
 * simulated worker is idle, waiting on the clock.
 *
 * `view()` gives a worker its own face of the clock. `kill()` on a view is SIGKILL as the rest of
 * the fleet sees it: its pending sleeps never resolve, and neither does anything it sleeps on later.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #heap: Timer[] = [];

  constructor(startMs = 1_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.schedule(ms, signal, undefined);
  }

  /** A clock for one worker, which `kill()` freezes for good. */
  view(): ClockView {
    return new ClockView(this);
  }

  /** @internal a sleep owned by `owner` (dropped when the owner is killed). */
  schedule(ms: number, signal: AbortSignal | undefined, owner: ClockView | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new AbortedError('sleep aborted', signal.reason));
    if (owner?.killed === true) return new Promise<void>(() => undefined);
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve, owner, done: false };
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (timer.done) return;
          timer.done = true;
          reject(new AbortedError('sleep aborted', signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        timer.resolve = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      }
      push(this.#heap, timer);
    });
  }

  /** Lets every promise chain settle: microtasks and `setImmediate` callbacks queued by them. */
  async settle(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** The time of the next pending event, or undefined when nothing is scheduled. */
  nextEventAt(): number | undefined {
    this.#dropDone();
    return this.#heap[0]?.at;
  }

  /** Runs every event up to and including `until`, then sets the time to `until`. */
  async advanceTo(until: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.nextEventAt();
      if (next === undefined || next > until) break;
      this.#now = Math.max(this.#now, next);
      // Every event due at this instant fires before the chains they start are let run.
      while (this.nextEventAt() === next) fire(pop(this.#heap)!);
      await this.settle();
    }
    this.#now = Math.max(this.#now, until);
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.#now + ms);
  }

  /** Advances in steps of `stepMs` until `condition()` holds; the time it took, or undefined at `limitMs`. */
  async until(condition: () => boolean, limitMs: number, stepMs = 10): Promise<number | undefined> {
    const start = this.#now;
    while (!condition()) {
      if (this.#now - start >= limitMs) return undefined;
      await this.advanceBy(stepMs);
    }
    return this.#now - start;
  }

  #dropDone(): void {
    while (this.#heap.length > 0 && (this.#heap[0]!.done || this.#heap[0]!.owner?.killed === true)) pop(this.#heap);
  }
}

/** One worker's face of a VirtualClock. */
export class ClockView implements Clock {
  killed = false;
  constructor(private readonly clock: VirtualClock) {}

  now(): number {
    return this.clock.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.clock.schedule(ms, signal, this);
  }

  /** From now on nothing this worker waits for on the clock ever happens. */
  kill(): void {
    this.killed = true;
  }
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly owner: ClockView | undefined;
  resolve: () => void;
  done: boolean;
}

function fire(timer: Timer): void {
  if (timer.done || timer.owner?.killed === true) return;
  timer.done = true;
  timer.resolve();
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Binary min-heap by (at, seq): events at the same time fire in the order they were scheduled. */
function push(heap: Timer[], timer: Timer): void {
  heap.push(timer);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Timer[]): Timer | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
    if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
    if (smallest === i) return top;
    [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
    i = smallest;
  }
}
