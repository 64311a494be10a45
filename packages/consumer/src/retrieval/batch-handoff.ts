import { AbortedError, KinesisKitError } from '@kinesis-kit/core';
import { PrefetchBuffer } from './prefetch-buffer.js';
import type { RecordBatch } from './retrieval.js';

type Waiter = { resolve: (batch: RecordBatch) => void; reject: (error: unknown) => void };

/**
 * The consumer-facing half of a ShardRecordSource: a bounded prefetch buffer between one
 * producer loop (which delivers batches) and the shard consumer (which calls next()). The
 * producer may fetch only after `untilRoom()` resolved: room in the buffer, or the consumer
 * waiting on an empty one. Both retrievals (polling and fan-out) hand their batches over
 * through it, so the ShardRecordSource contract (at most one pending next(), shard end delivered
 * once, failure and close semantics) is implemented once.
 */
export class BatchHandoff {
  readonly #buffer: PrefetchBuffer;
  readonly #abort = new AbortController();
  #waiter: Waiter | undefined;
  #wakeProducer: (() => void) | undefined;
  #failure: unknown;
  #deliveredEnd = false;

  constructor(
    private readonly shardId: string,
    maxBatches: number,
    maxBytes: number,
  ) {
    this.#buffer = new PrefetchBuffer(maxBatches, maxBytes);
  }

  /** Aborted by close(): the producer stops at its next step and cancels what it has in flight. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Batches waiting for the consumer. */
  get buffered(): number {
    return this.#buffer.size;
  }

  next(): Promise<RecordBatch> {
    if (this.#waiter !== undefined) return Promise.reject(new KinesisKitError('CONCURRENT_NEXT', 'ShardRecordSource.next() called while a call is pending'));
    if (this.#abort.signal.aborted || this.#deliveredEnd) return Promise.reject(new AbortedError(`record source for ${this.shardId} is closed`));
    const batch = this.#buffer.shift();
    if (batch !== undefined) return Promise.resolve(this.#handOver(batch));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<RecordBatch>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#wake();
    });
  }

  close(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(new AbortedError(`record source for ${this.shardId} is closed`));
    this.#buffer.clear();
    this.#wake();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#abort.signal.reason);
  }

  /** The producer's batch: straight to a waiting consumer, else into the buffer. */
  deliver(batch: RecordBatch): void {
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#buffer.size === 0) {
      this.#waiter = undefined;
      waiter.resolve(this.#handOver(batch));
    } else {
      this.#buffer.push(batch);
    }
  }

  /** Retrieval failed for good: a pending and every later next() rejects with `error` (once the buffer is drained). */
  fail(error: unknown): void {
    this.#failure = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  /** Resolves when the producer may fetch; rejects with AbortedError once closed. */
  async untilRoom(): Promise<void> {
    for (;;) {
      this.throwIfClosed();
      if (this.#buffer.hasRoom() || (this.#waiter !== undefined && this.#buffer.size === 0)) return;
      await new Promise<void>((resolve) => {
        this.#wakeProducer = resolve;
      });
    }
  }

  throwIfClosed(): void {
    if (this.#abort.signal.aborted) throw this.#abort.signal.reason;
  }

  #handOver(batch: RecordBatch): RecordBatch {
    if (batch.shardEnd !== undefined) this.#deliveredEnd = true;
    this.#wake();
    return batch;
  }

  #wake(): void {
    const wake = this.#wakeProducer;
    this.#wakeProducer = undefined;
    wake?.();
  }
}
