import { Deque } from './deque.js';

interface Waiter {
  readonly size: number;
  /** Accepts the record synchronously (so acceptance order is exactly arrival order). */
  readonly accept: () => void;
  /** The producer is closing: the record will never be accepted. */
  readonly refuse: () => void;
  done: boolean;
}

/**
 * The bound on what the producer holds: accepted, unsettled user records and their bytes.
 * A record that does not fit waits in FIFO order; nothing overtakes a waiting record, so
 * acceptance order is put order. Room freed by settled records is handed out in a microtask,
 * never from inside the pipeline's own callbacks.
 */
export class Admission {
  records = 0;
  bytes = 0;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #waiters = new Deque<Waiter>();
  #admitScheduled = false;

  constructor(maxRecords: number, maxBytes: number) {
    this.#maxRecords = maxRecords;
    this.#maxBytes = maxBytes;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** True when a record of `size` bytes can be accepted right now, ahead of nobody. */
  hasRoom(size: number): boolean {
    return this.#waiters.length === 0 && this.#fits(size);
  }

  take(size: number): void {
    this.records++;
    this.bytes += size;
  }

  release(size: number): void {
    this.releaseMany(1, size);
  }

  /** Releases `records` settled records of `bytes` bytes in all. */
  releaseMany(records: number, bytes: number): void {
    this.records -= records;
    this.bytes -= bytes;
    if (this.#waiters.length > 0 && !this.#admitScheduled) {
      this.#admitScheduled = true;
      queueMicrotask(() => this.#admit());
    }
  }

  /**
   * Queues a record until there is room: then `accept` runs, synchronously, in arrival order.
   * Returns a cancel function (for an AbortSignal); it returns false if the wait already ended.
   */
  wait(size: number, accept: () => void, refuse: () => void): () => boolean {
    const waiter: Waiter = { size, accept, refuse, done: false };
    this.#waiters.push(waiter);
    return () => {
      if (waiter.done) return false;
      waiter.done = true;
      this.#admit(); // a cancelled head must not block the ones behind it
      return true;
    };
  }

  /** Refuses every waiting record (the producer is closing). */
  refuseAll(): void {
    for (const waiter of this.#waiters.drain()) {
      if (waiter.done) continue;
      waiter.done = true;
      waiter.refuse();
    }
  }

  #fits(size: number): boolean {
    return this.records < this.#maxRecords && this.bytes + size <= this.#maxBytes;
  }

  #admit(): void {
    this.#admitScheduled = false;
    for (let head = this.#waiters.peek(); head !== undefined; head = this.#waiters.peek()) {
      if (!head.done) {
        if (!this.#fits(head.size)) return;
        head.done = true;
        head.accept();
      }
      this.#waiters.shift();
    }
  }
}
