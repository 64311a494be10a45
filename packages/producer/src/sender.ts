import type { OuterRecord } from '@kinesis-kit/aggregation';
import { timeoutSignal, type Clock } from '@kinesis-kit/core';
import type { PutRecordsBatch } from './batch.js';
import type { KinesisWritePort, PutRecordsEntryResult } from './port.js';

/** How a request ended: results in request order, or the error that failed it as a whole. */
export type RequestOutcome =
  | { readonly results: readonly PutRecordsEntryResult[]; readonly error?: undefined; readonly startedAt: number; readonly durationMs: number }
  | { readonly results?: undefined; readonly error: unknown; readonly startedAt: number; readonly durationMs: number };

export interface SenderOptions {
  readonly port: KinesisWritePort;
  readonly clock: Clock;
  readonly maxConcurrentRequests: number;
  readonly requestTimeout: number;
  /** Aborts every request in flight (the producer was closed with an aborted signal). */
  readonly signal: AbortSignal;
  readonly onOutcome: (batch: PutRecordsBatch, outcome: RequestOutcome) => void;
  /** onOutcome threw: a defect, reported so the batch's records can still be settled. */
  readonly onDefect: (batch: PutRecordsBatch, error: unknown) => void;
}

/**
 * Sends PutRecords requests, at most maxConcurrentRequests at once, each with a timeout on the
 * injected clock passed to the port as an AbortSignal. A request that times out fails with a
 * TimeoutError (retriable; it may still have been stored, hence at-least-once).
 */
export class Sender {
  readonly #options: SenderOptions;
  readonly #inFlight = new Set<PutRecordsBatch>();

  constructor(options: SenderOptions) {
    this.#options = options;
  }

  get hasCapacity(): boolean {
    return this.#inFlight.size < this.#options.maxConcurrentRequests;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Batches in flight. */
  get batches(): IterableIterator<PutRecordsBatch> {
    return this.#inFlight.values();
  }

  send(batch: PutRecordsBatch): void {
    const { port, clock, requestTimeout, signal } = this.#options;
    this.#inFlight.add(batch);
    const outers = new Array<OuterRecord>(batch.records.length);
    for (let i = 0; i < outers.length; i++) outers[i] = batch.records[i]!.outer;
    const startedAt = clock.now();
    const timeout = timeoutSignal(clock, requestTimeout, signal);
    let request: Promise<readonly PutRecordsEntryResult[]>;
    try {
      request = port.putRecords(outers, timeout.signal);
    } catch (error) {
      request = Promise.reject(error);
    }
    request.then(
      (results) => this.#finish(batch, timeout.done, { results, startedAt, durationMs: clock.now() - startedAt }),
      (error: unknown) => {
        const cause = timeout.signal.aborted ? (timeout.signal.reason as unknown) : error;
        this.#finish(batch, timeout.done, { error: cause, startedAt, durationMs: clock.now() - startedAt });
      },
    );
  }

  #finish(batch: PutRecordsBatch, done: () => void, outcome: RequestOutcome): void {
    done();
    this.#inFlight.delete(batch);
    try {
      this.#options.onOutcome(batch, outcome);
    } catch (error) {
      try {
        this.#options.onDefect(batch, error);
      } catch {
        // Nothing more can be done here; never let it become an unhandled rejection.
      }
    }
  }
}
