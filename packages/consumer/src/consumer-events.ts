import type { Position } from './position.js';
import type { ShardConsumerOutcome } from './processing/contracts.js';
import type { ShardConsumerEvent } from './processing/events.js';

/** Where a background failure happened (none of them stops the consumer; the work is retried). */
export type ConsumerErrorSource = 'takingRound' | 'renewal' | 'shardSync' | 'cleanup' | 'release' | 'shardConsumer' | 'listener' | 'fanOut';

/** The typed events of a KinesisConsumer: event name -> payload. */
export interface ConsumerEvents {
  /** start() finished: the table exists, shard sync ran, taking and renewing have begun. */
  readonly started: { readonly workerId: string };
  /** stop() finished: every lease this worker held was released (or had been lost). */
  readonly stopped: { readonly workerId: string };
  /**
   * This worker took a lease; `from` is the previous owner (expired or stolen), absent for an
   * unassigned lease. With fleet coordination the leader places leases and `from` is absent: the
   * leader's log and its Workers.DeclaredDead metric say whose leases it moved.
   */
  readonly leaseTaken: { readonly shardId: string; readonly from: string | undefined };
  /** Another worker took a lease of ours (or it expired before we could renew it). */
  readonly leaseLost: { readonly shardId: string; readonly to: string | undefined };
  /** We gave a lease up: at stop() (`shutdown`), after its shard ended (`shardEnded`). */
  readonly leaseReleased: { readonly shardId: string; readonly reason: 'shutdown' | 'shardEnded' };
  /** A shard consumer started for a held lease whose parents are done. */
  readonly shardStarted: { readonly shardId: string; readonly startingPosition: Position };
  /** A shard consumer ended, with why. */
  readonly shardFinished: { readonly shardId: string; readonly outcome: ShardConsumerOutcome };
  /** Leases created by shard sync or at a shard's end (children). */
  readonly leasesCreated: { readonly shardIds: readonly string[]; readonly by: 'shardSync' | 'childShards' };
  /** Leases of finished shards deleted. */
  readonly leasesCleanedUp: { readonly shardIds: readonly string[] };
  /** Per-shard processing events (records processed, checkpoints with latency, processor errors). */
  readonly processing: ShardConsumerEvent;
  /** A background failure; the consumer keeps running and retries. */
  readonly error: { readonly error: unknown; readonly source: ConsumerErrorSource; readonly shardId?: string };
}

export type ConsumerEventName = keyof ConsumerEvents;
export type ConsumerEventListener<E extends ConsumerEventName> = (payload: ConsumerEvents[E]) => void;
export type EmitConsumerEvent = <E extends ConsumerEventName>(event: E, payload: ConsumerEvents[E]) => void;

/** A small typed emitter: a listener that throws is reported as an `error` event, never breaks the emitter. */
export class ConsumerEventEmitter {
  readonly #listeners = new Map<ConsumerEventName, Set<(payload: never) => void>>();

  on<E extends ConsumerEventName>(event: E, listener: ConsumerEventListener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(event, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  readonly emit: EmitConsumerEvent = (event, payload) => {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (p: typeof payload) => void)(payload);
      } catch (error) {
        if (event !== 'error') this.emit('error', { error, source: 'listener' });
      }
    }
  };
}
