import { parseMultiStreamLeaseKey } from './stream-identifier.js';
import type { ConsumedStream } from './consumed-stream.js';

/**
 * The streams this worker consumes, found by lease key. A single-stream consumer's one stream
 * (key prefix '') owns every lease key, exactly as before multi-stream support. A stream being
 * removed owns none: its leases are neither taken nor started while its consumers shut down.
 */
export class StreamRegistry {
  readonly #byPrefix = new Map<string, ConsumedStream>();
  readonly #retiring = new Set<string>();

  add(stream: ConsumedStream): 'added' | 'alreadyConsumed' {
    if (this.#byPrefix.has(stream.keyPrefix)) return 'alreadyConsumed';
    this.#byPrefix.set(stream.keyPrefix, stream);
    return 'added';
  }

  /** The stream a lease belongs to; undefined when this worker does not consume it (or is removing it). */
  forKey(leaseKey: string): ConsumedStream | undefined {
    const single = this.#byPrefix.get('');
    if (single !== undefined) return single;
    const multi = parseMultiStreamLeaseKey(leaseKey);
    if (multi === undefined) return undefined;
    const prefix = `${multi.streamIdentifier}:`;
    return this.#retiring.has(prefix) ? undefined : this.#byPrefix.get(prefix);
  }

  /** The consumed stream with this name or ARN. */
  find(streamNameOrARN: string): ConsumedStream | undefined {
    return this.all().find((s) => s.streamName === streamNameOrARN || s.streamARN === streamNameOrARN);
  }

  /** Every stream consumed (not being removed), by name. */
  all(): ConsumedStream[] {
    return [...this.#byPrefix.values()].filter((s) => !this.#retiring.has(s.keyPrefix)).sort((a, b) => (a.streamName < b.streamName ? -1 : 1));
  }

  /** From now on the stream owns no lease key; `forget` once its consumers have stopped. */
  retire(stream: ConsumedStream): void {
    this.#retiring.add(stream.keyPrefix);
  }

  forget(stream: ConsumedStream): void {
    this.#byPrefix.delete(stream.keyPrefix);
    this.#retiring.delete(stream.keyPrefix);
  }
}
