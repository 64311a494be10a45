import { AGGREGATED_PARTITION_KEY, RecordAggregator, type HashKeyRange, type OuterRecord, type ShardLike } from '@kinesis-kit/aggregation';
import { Deque } from './deque.js';
import { SHARD_BYTES_PER_SECOND, SHARD_RECORDS_PER_SECOND } from './limits.js';
import type { ProducerConfig } from './options.js';
import type { PendingRecord } from './records.js';
import { TokenBucket } from './token-bucket.js';

export interface LaneSettings {
  /** Aggregate limits, or undefined when aggregation is off. */
  readonly aggregation: { readonly maxSize: number; readonly maxCount: number } | undefined;
  readonly maxBufferedTime: number;
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
}

/**
 * Lane settings from the producer's options and the stream's record limit: the token bucket runs
 * at rateLimit % of the shard limits, and an aggregate (data + its 1-byte partition key "a") never
 * exceeds the stream's limit, whatever aggregation.maxSize says.
 */
export function laneSettings(config: ProducerConfig, maxRecordBytes: number): LaneSettings {
  const rate = config.rateLimit / 100;
  const { enabled, maxCount } = config.aggregation;
  const maxSize = Math.min(config.aggregation.maxSize, maxRecordBytes - AGGREGATED_PARTITION_KEY.length);
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
  #settings: LaneSettings;
  #aggregator: RecordAggregator | undefined;
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

  /**
   * Takes new settings (the stream's record limit changed). Returns every user record not in
   * flight, oldest first, for the caller to build again under the new limits.
   */
  reconfigure(settings: LaneSettings): PendingRecord[] {
    const records = this.takeAll();
    this.#settings = settings;
    this.#aggregator = settings.aggregation === undefined ? undefined : new RecordAggregator(settings.aggregation);
    return records;
  }

  /** Puts `records` at the front of the queue, keeping their order. */
  pushFront(records: readonly OutgoingRecord[]): void {
    for (let i = records.length - 1; i >= 0; i--) this.queue.unshift(records[i]!);
  }
}

/**
 * One Kinesis record on its way: an aggregate of user records predicted for the same shard,
 * or one user record alone, bound for the shard its lane predicts.
 */
export class OutgoingRecord {
  readonly outer: OuterRecord;
  readonly members: readonly PendingRecord[];
  /** The lane of the predicted shard. */
  readonly lane: ShardLane;
  /** Data + partition key bytes of the outer record (what PutRecords and the shard limit count). */
  readonly size: number;
  /** When its oldest member was accepted. */
  readonly firstAcceptedAt: number;
  /** When it must be sent: its oldest member's acceptance + recordMaxBufferedTime. */
  readonly sendBy: number;
  /** Its earliest member expiry. */
  readonly expiresAt: number;
  /** Not to be sent before this clock time (retry backoff). */
  readyAt = 0;

  constructor(outer: OuterRecord, members: readonly PendingRecord[], lane: ShardLane, size: number, maxBufferedTime: number) {
    this.outer = outer;
    this.members = members;
    this.lane = lane;
    this.size = size;
    let oldest = Number.POSITIVE_INFINITY;
    let expiresAt = Number.POSITIVE_INFINITY;
    for (const member of members) {
      if (member.acceptedAt < oldest) oldest = member.acceptedAt;
      if (member.expiresAt < expiresAt) expiresAt = member.expiresAt;
    }
    this.firstAcceptedAt = oldest;
    this.sendBy = oldest + maxBufferedTime;
    this.expiresAt = expiresAt;
  }

  /** Failed attempts of its most-tried member: the retry number its backoff is computed from. */
  get failures(): number {
    let most = 0;
    for (const member of this.members) if (member.failures > most) most = member.failures;
    return most;
  }
}
