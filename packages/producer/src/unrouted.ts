import { Deque } from './deque.js';
import type { PipelineHooks } from './hooks.js';
import { fail } from './outcomes.js';
import type { PendingRecord } from './records.js';
import type { MapFailure } from './shard-map-loader.js';

/**
 * Accepted records waiting for a shard map to be routed (at start, or for a hash key no listed
 * shard owns), oldest first, and the last reason the map could not be loaded.
 */
export class Unrouted {
  readonly #hooks: PipelineHooks;
  readonly #records = new Deque<PendingRecord>();
  /** The last ListShards failure since the last shard map loaded. */
  failure: MapFailure | undefined;

  constructor(hooks: PipelineHooks) {
    this.#hooks = hooks;
  }

  get length(): number {
    return this.#records.length;
  }

  push(record: PendingRecord): void {
    this.#records.push(record);
  }

  /** Puts records back at the front, keeping their order. */
  pushFront(records: readonly PendingRecord[]): void {
    for (let i = records.length - 1; i >= 0; i--) this.#records.unshift(records[i]!);
  }

  drain(): PendingRecord[] {
    return this.#records.drain();
  }

  /** Fails the records whose TTL has passed (EXPIRED, the last map failure as the cause); returns the next expiry. */
  expire(now: number): number {
    const failure = this.failure;
    const why = failure === undefined ? '' : ` (ListShards: ${failure.code}: ${failure.message})`;
    let head = this.#records.peek();
    while (head !== undefined && head.expiresAt <= now) {
      this.#records.shift();
      const causeCode = failure?.code ?? head.attempts?.at(-1)?.errorCode ?? 'EXPIRED';
      fail(this.#hooks, head, 'EXPIRED', `not written within recordTtl: no shard map to route it with${why}`, causeCode, failure?.error);
      head = this.#records.peek();
    }
    return head === undefined ? Number.POSITIVE_INFINITY : head.expiresAt;
  }

  /** The map cannot be loaded, for good: every waiting record fails NON_RETRIABLE with the cause. */
  failAll(message: string, causeCode: string, cause: unknown): void {
    for (const record of this.#records.drain()) fail(this.#hooks, record, 'NON_RETRIABLE', message, causeCode, cause);
  }
}
