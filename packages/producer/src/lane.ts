import { RecordAggregator, type HashKeyRange, type ShardLike } from '@kinesis-kit/aggregation';
import { Deque } from './deque.js';
import { SHARD_BYTES_PER_SECOND, SHARD_RECORDS_PER_SECOND } from './limits.js';
import type { ProducerConfig } from './options.js';
import { OutgoingRecord, type PendingRecord } from './records.js';
import { TokenBucket } from './token-bucket.js';

export interface LaneSettings {
  /** Aggregate limits, or undefined when aggregation is off. */
  readonly aggregation: { readonly maxSize: number; readonly maxCount: number } | undefined;
  readonly maxBufferedTime: number;
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
}

/** Lane settings from the producer's options: the token bucket runs at rateLimit % of the shard limits. */
export function laneSettings(config: ProducerConfig): LaneSettings {
  const rate = config.rateLimit / 100;
  const { enabled, maxSize, maxCount } = config.aggregation;
  return {
    aggregation: enabled ? { maxSize, maxCount } : undefined,
    maxBufferedTime: config.recordMaxBufferedTime,
    recordsPerSecond: SHARD_RECORDS_PER_SECOND * rate,
    bytesPerSecond: SHARD_BYTES_PER_SECOND * rate,
  };
}

/**
 * Everything the producer holds for one shard of the current shard map: the aggregate being
 * filled, the queue of Kinesis records waiting to be collected into requests (oldest first),
 * and the shard's token bucket. It is the ShardLike the ShardMap routes to.
 */
export class ShardLane implements ShardLike {
  readonly shardId: string;
  readonly hashKeyRange: HashKeyRange;
  readonly queue = new Deque<OutgoingRecord>();
  readonly bucket: TokenBucket;
  /** Clock time the aggregate being filled must be sealed by (Infinity when empty). */
  lingerUntil = Number.POSITIVE_INFINITY;
  /** Outgoing records of this lane in the batch being filled or in a request. */
  inFlight = 0;
  /** Mis-routed aggregates of this lane waiting to be verified against a fresh shard map. */
  unverified = 0;
  /** Its shard is no longer open: it only finishes what is in flight. */
  retired = false;
  /** Ordered mode: retired lanes over the same hash keys that must finish first. */
  readonly waitsFor = new Set<ShardLane>();
  /** Ordered mode, once retired: the lanes that wait for this one. */
  readonly gates: ShardLane[] = [];
  readonly #settings: LaneSettings;
  readonly #aggregator: RecordAggregator | undefined;
  #members: PendingRecord[] = [];

  constructor(shardId: string, hashKeyRange: HashKeyRange, settings: LaneSettings, now: number) {
    this.shardId = shardId;
    this.hashKeyRange = hashKeyRange;
    this.#settings = settings;
    this.#aggregator = settings.aggregation === undefined ? undefined : new RecordAggregator(settings.aggregation);
    this.bucket = new TokenBucket(settings.recordsPerSecond, settings.bytesPerSecond, now);
  }

  /** Something in flight or waiting for verification: ordered successors must wait. */
  get busy(): boolean {
    return this.inFlight > 0 || this.unverified > 0;
  }

  /** User records in the aggregate being filled. */
  get aggregating(): number {
    return this.#members.length;
  }

  /** Adds an accepted record. Returns the Kinesis record this sealed into the queue, if any. */
  add(record: PendingRecord): OutgoingRecord | undefined {
    const aggregator = this.#aggregator;
    if (aggregator === undefined) {
      const outgoing = new OutgoingRecord(record, [record], this, record.size, this.#settings.maxBufferedTime);
      this.queue.push(outgoing);
      return outgoing;
    }
    let sealed: OutgoingRecord | undefined;
    if (!aggregator.tryAdd(record, record.keySlot)) {
      sealed = this.seal();
      aggregator.tryAdd(record, record.keySlot); // an empty aggregator always accepts
    }
    if (this.#members.length === 0) this.lingerUntil = record.acceptedAt + this.#settings.maxBufferedTime;
    this.#members.push(record);
    return sealed;
  }

  /** Moves the aggregate being filled, if any, to the back of the queue, and returns it. */
  seal(): OutgoingRecord | undefined {
    const aggregator = this.#aggregator;
    if (aggregator === undefined || this.#members.length === 0) return undefined;
    const size = aggregator.dataSize + aggregator.partitionKeySize;
    const outgoing = new OutgoingRecord(aggregator.build()!, this.#members, this, size, this.#settings.maxBufferedTime);
    this.queue.push(outgoing);
    this.#members = [];
    this.lingerUntil = Number.POSITIVE_INFINITY;
    return outgoing;
  }

  /** Removes every queued and aggregating user record, oldest first (the lane is retiring). */
  takeAll(): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (const outgoing of this.queue.drain()) out.push(...outgoing.members);
    out.push(...this.#members);
    this.#members = [];
    this.#aggregator?.clear();
    this.lingerUntil = Number.POSITIVE_INFINITY;
    return out;
  }

  /** Packs `records`, in order, into Kinesis records for this shard, ready at `readyAt`. */
  build(records: readonly PendingRecord[], readyAt: number): OutgoingRecord[] {
    const out: OutgoingRecord[] = [];
    const maxBufferedTime = this.#settings.maxBufferedTime;
    if (this.#settings.aggregation === undefined) {
      for (const record of records) out.push(new OutgoingRecord(record, [record], this, record.size, maxBufferedTime));
    } else {
      const aggregator = new RecordAggregator(this.#settings.aggregation);
      let members: PendingRecord[] = [];
      const seal = (): void => {
        const size = aggregator.dataSize + aggregator.partitionKeySize;
        out.push(new OutgoingRecord(aggregator.build()!, members, this, size, maxBufferedTime));
        members = [];
      };
      for (const record of records) {
        if (!aggregator.tryAdd(record, record.keySlot)) {
          seal();
          aggregator.tryAdd(record, record.keySlot);
        }
        members.push(record);
      }
      if (members.length > 0) seal();
    }
    for (const outgoing of out) outgoing.readyAt = readyAt;
    return out;
  }

  /** Puts `records` at the front of the queue, keeping their order. */
  pushFront(records: readonly OutgoingRecord[]): void {
    for (let i = records.length - 1; i >= 0; i--) this.queue.unshift(records[i]!);
  }
}
