import { setMaxListeners } from 'node:events';
import { InvalidShardMapError } from '@kinesis-kit/aggregation';
import type { BackoffPolicy, Clock } from '@kinesis-kit/core';
import { classifyRequestError, isBisectable } from './error-policy.js';
import { PutRecordsBatch } from './batch.js';
import { Deque } from './deque.js';
import type { PutRecordError } from './errors.js';
import type { PipelineHooks } from './hooks.js';
import { laneSettings, type OutgoingRecord, type ShardLane } from './lane.js';
import { LARGE_MAX_RECORD_BYTES } from './limits.js';
import type { ProducerConfig } from './options.js';
import { OutcomeHandler, expireBefore, fail, type Resend } from './outcomes.js';
import type { KinesisWritePort, ShardDescription } from './port.js';
import type { PendingRecord } from './records.js';
import { Sender, type RequestOutcome } from './sender.js';
import { MAX_RECORD_SIZE_RECHECK_MS, ShardMapLoader, type RefreshReason } from './shard-map-loader.js';
import { TimerQueue } from './timer-queue.js';
import { WakeTimer } from './timer.js';
import { Topology, releaseGates } from './topology.js';
import { Unrouted } from './unrouted.js';

export interface PipelineOptions {
  readonly config: ProducerConfig;
  readonly port: KinesisWritePort;
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  readonly hooks: PipelineHooks;
  /** True while puts wait for buffer room: waiting for deadlines then only adds latency. */
  readonly underPressure: () => boolean;
}

/**
 * The producer's engine, driven by one method, pump(): seal aggregates that are due, put due
 * retries back, expire what outlived its TTL, and collect Kinesis records from the lanes into
 * PutRecords batches (respecting each shard's token bucket and, in ordered mode, one record per
 * shard per request and one request in flight per shard), sending a batch when it is full, due,
 * or a flush asks. pump() runs when the one timer fires, when enough was sealed to fill a
 * request, and after every answer; it computes the next time anything is due and arms the timer.
 */
export class Pipeline implements Resend {
  readonly #config: ProducerConfig;
  readonly #clock: Clock;
  readonly #hooks: PipelineHooks;
  readonly #underPressure: () => boolean;
  readonly #ordered: boolean;
  readonly #topology: Topology;
  readonly #outcomes: OutcomeHandler;
  readonly #sender: Sender;
  readonly #loader: ShardMapLoader;
  readonly #timer: WakeTimer;
  readonly #stop = new AbortController();
  readonly #unrouted: Unrouted;
  /** Lanes with an aggregate being filled. */
  readonly #lingering = new Set<ShardLane>();
  /** Lanes with Kinesis records queued, in round-robin order. */
  readonly #active = new Set<ShardLane>();
  /** Kinesis records waiting for their retry time (unordered mode). */
  readonly #retries = new TimerQueue<OutgoingRecord>();
  /** Halves of requests refused as a whole (bisect()), sent before anything else. */
  readonly #halves = new Deque<PutRecordsBatch>();
  #batch: PutRecordsBatch;
  /** `maxRecordSize: 'auto'`: the stream's limit is read with every shard map. */
  readonly #autoRecordSize: boolean;
  /** Largest Kinesis record the stream takes (data + partition key); with 'auto', 10 MiB until first read. */
  #maxRecordBytes: number;
  /** When the load that read #maxRecordBytes began. */
  #maxRecordBytesReadAt = Number.NEGATIVE_INFINITY;
  #eager = 0;
  #sealedCount = 0;
  #sealedBytes = 0;
  #pumping = false;
  #pumpAgain = false;
  #backlog = false;
  #stopped = false;

  constructor(options: PipelineOptions) {
    const { config, port, clock, backoff, hooks } = options;
    this.#config = config;
    this.#clock = clock;
    this.#hooks = hooks;
    this.#underPressure = options.underPressure;
    this.#ordered = config.ordering === 'per-shard';
    this.#autoRecordSize = config.maxRecordSize === 'auto';
    this.#maxRecordBytes = config.maxRecordSize === 'auto' ? LARGE_MAX_RECORD_BYTES : config.maxRecordSize;
    this.#topology = new Topology(laneSettings(config, this.#maxRecordBytes), this.#ordered);
    this.#unrouted = new Unrouted(hooks);
    this.#outcomes = new OutcomeHandler(hooks, this.#topology, this, backoff, config.failIfThrottled);
    const signal = this.#stop.signal;
    setMaxListeners(0, signal); // every request in flight listens to it
    this.#sender = new Sender({
      port,
      clock,
      signal,
      maxConcurrentRequests: config.maxConcurrentRequests,
      requestTimeout: config.requestTimeout,
      onOutcome: (batch, outcome) => this.#onOutcome(batch, outcome),
      onDefect: (batch, error) => this.#onDefect(batch, error),
    });
    this.#loader = new ShardMapLoader({
      port,
      clock,
      backoff,
      signal,
      requestTimeout: config.requestTimeout,
      readMaxRecordSize: this.#autoRecordSize,
      needed: () => this.#unrouted.length > 0 || this.#outcomes.parked > 0,
      onLoaded: (shards, reason, maxRecordBytes, startedAt) => this.#onShards(shards, reason, maxRecordBytes, startedAt),
      onAttemptFailed: (error, reason, willRetry) => this.#onShardsAttemptFailed(error, reason, willRetry),
      onFailed: (error) => this.#onShardsFailed(error),
    });
    this.#timer = new WakeTimer(clock, () => this.pump());
    this.#batch = this.#newBatch();
  }

  /** Shard ids of the current shard map (empty before the first ListShards answer). */
  get shardIds(): string[] {
    return [...this.#topology.lanes].map((lane) => lane.shardId);
  }

  /** Takes an accepted, validated record into the lane of its predicted shard. */
  add(record: PendingRecord): void {
    if (record.size > this.#maxRecordBytes) {
      this.#oversized(record);
      return;
    }
    const lane = this.#topology.route(record);
    if (lane === undefined) {
      this.#unrouted.push(record);
      this.#loader.request(this.#topology.loaded ? 'no-shard-for-key' : 'startup');
      this.#timer.wakeAt(record.expiresAt);
      return;
    }
    const wasEmpty = lane.aggregating === 0;
    const sealed = lane.add(record);
    if (wasEmpty && lane.aggregating > 0) {
      this.#lingering.add(lane);
      this.#timer.wakeAt(lane.lingerUntil);
    }
    if (sealed === undefined) return;
    this.#active.add(lane);
    this.#sealedCount++;
    this.#sealedBytes += sealed.size;
    if (this.#eager > 0 || this.#sealedCount >= this.#config.collectionMaxCount || this.#sealedBytes >= this.#config.collectionMaxSize) {
      this.pump();
    } else {
      this.#timer.wakeAt(sealed.sendBy);
    }
  }

  /** While a flush is pending, aggregates are sealed and batches sent without waiting. */
  beginFlush(): void {
    this.#eager++;
    this.pump();
  }

  endFlush(): void {
    this.#eager--;
  }

  pump(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      let wake: number;
      do {
        this.#pumpAgain = false;
        wake = this.#pumpOnce();
      } while (this.#pumpAgain);
      // Nothing due: a timer armed earlier (a record's expiry while its shard was busy, say) is
      // stale and would hold the process open until it fires.
      if (wake === Number.POSITIVE_INFINITY) this.#timer.cancel();
      else this.#timer.wakeAt(wake);
    } catch (error) {
      this.#hooks.logger.error('kinesis producer: pipeline defect', { error: String(error) });
    } finally {
      this.#pumping = false;
    }
  }

  /** Fails every unsettled record with the error `make` builds for it (close() was aborted). */
  abandon(make: (record: PendingRecord) => PutRecordError): void {
    const all: PendingRecord[] = this.#unrouted.drain();
    const addMembers = (record: OutgoingRecord): void => {
      for (const member of record.members) all.push(member);
    };
    for (const lane of this.#topology.lanes) for (const record of lane.takeAll()) all.push(record);
    for (const record of this.#retries.drain()) addMembers(record);
    for (const entry of this.#outcomes.unverified) addMembers(entry.record);
    for (const batch of this.#sender.batches) batch.records.forEach(addMembers);
    for (const batch of this.#halves.drain()) batch.records.forEach(addMembers);
    this.#batch.records.forEach(addMembers);
    for (const record of all) if (!record.settled) this.#hooks.fail(record, make(record));
  }

  /** Stops timers, retries and requests in flight. */
  stop(): void {
    this.#stopped = true;
    this.#timer.cancel();
    this.#stop.abort();
  }

  // --- Resend (used by OutcomeHandler) ---

  reroute(records: readonly PendingRecord[], readyAt: number, now: number): void {
    const live: PendingRecord[] = [];
    for (const record of records) {
      if (record.settled) continue;
      if (record.size > this.#maxRecordBytes) this.#oversized(record);
      else live.push(record);
    }
    const { groups, homeless } = this.#topology.group(live);
    for (const [lane, group] of groups) {
      const built = lane.build(group, readyAt);
      if (!this.#ordered && readyAt > now) {
        for (const record of built) this.#retries.add(readyAt, record);
      } else {
        lane.pushFront(built);
        this.#active.add(lane);
      }
    }
    this.#unrouted.pushFront(homeless);
    if (homeless.length > 0) this.#loader.request('no-shard-for-key');
  }

  bisect(records: readonly OutgoingRecord[]): void {
    const half = Math.ceil(records.length / 2);
    for (const part of [records.slice(0, half), records.slice(half)]) {
      const batch = this.#newBatch();
      for (const record of part) batch.tryAdd(record); // they fitted in one request: each half fits
      this.#halves.push(batch);
    }
  }

  retryLater(record: OutgoingRecord, readyAt: number): void {
    record.readyAt = readyAt;
    if (this.#ordered) {
      record.lane.queue.unshift(record); // holds back the rest of its shard until then
      this.#active.add(record.lane);
    } else {
      this.#retries.add(readyAt, record);
    }
  }

  settledFrom(lane: ShardLane): void {
    if (!lane.retired || lane.busy || lane.gates.length === 0) return;
    for (const released of releaseGates(lane)) if (released.queue.length > 0) this.#active.add(released);
  }

  refreshShardMap(reason: RefreshReason): void {
    this.#loader.request(reason);
  }

  // --- internals ---

  /**
   * One pass. `eager` (a flush is pending) seals every aggregate and sends partial batches at
   * once. Under pressure (puts wait for room) partial batches go at once too, and aggregates are
   * sealed early only when no request is in flight (else nothing would free room).
   */
  #pumpOnce(): number {
    const now = this.#clock.now();
    const pressure = this.#underPressure();
    const eager = this.#eager > 0 || (pressure && this.#sender.inFlight === 0);
    this.#sealedCount = 0;
    this.#sealedBytes = 0;
    let wake = this.#sealDue(now, eager);
    for (let record = this.#retries.takeDue(now); record !== undefined; record = this.#retries.takeDue(now)) this.#requeue(record, now);
    wake = Math.min(wake, this.#retries.nextDue, this.#expireWaiting(now));
    return Math.min(wake, this.#collect(now, eager || pressure));
  }

  #sealDue(now: number, eager: boolean): number {
    let wake = Number.POSITIVE_INFINITY;
    for (const lane of this.#lingering) {
      if (eager || lane.lingerUntil <= now) {
        lane.seal();
        this.#lingering.delete(lane);
        this.#active.add(lane);
      } else if (lane.lingerUntil < wake) {
        wake = lane.lingerUntil;
      }
    }
    return wake;
  }

  #collect(now: number, sendNow: boolean): number {
    while (this.#halves.length > 0) {
      if (!this.#sender.hasCapacity) return Number.POSITIVE_INFINITY; // an answer will pump again
      this.#send(this.#halves.shift()!);
    }
    if (this.#batch.full && !this.#dispatch()) return Number.POSITIVE_INFINITY; // an answer will pump again
    this.#backlog = false;
    let wake = Number.POSITIVE_INFINITY;
    for (const lane of this.#active) {
      wake = Math.min(wake, this.#collectLane(lane, now));
      if (lane.queue.length === 0) this.#active.delete(lane);
      if (this.#batch.full) {
        if (lane.queue.length > 0) {
          this.#active.delete(lane); // its next turn comes after the other lanes'
          this.#active.add(lane);
        }
        if (!this.#dispatch()) return wake;
      }
    }
    const batch = this.#batch;
    if (batch.count === 0) return wake;
    if (sendNow || batch.sendBy <= now || this.#backlog) this.#dispatch();
    else wake = Math.min(wake, batch.sendBy);
    return wake;
  }

  /** Moves what the lane may send now into the batch; returns when the lane next needs a look. */
  #collectLane(lane: ShardLane, now: number): number {
    let head = this.#expireHead(lane, now);
    if (head === undefined) return Number.POSITIVE_INFINITY;
    if (this.#ordered && (lane.busy || lane.waitsFor.size > 0)) {
      if (lane.inFlight > 0 && this.#batch.count > 0) this.#backlog = true; // its record may be in the open batch: send it
      return head.expiresAt; // an answer will pump again
    }
    const batch = this.#batch;
    for (;;) {
      if (head.readyAt > now) return head.readyAt;
      if (!batch.fits(head)) {
        batch.full = true;
        return Number.POSITIVE_INFINITY;
      }
      if (!lane.bucket.tryTake(1, head.size, now)) return now + Math.max(1, lane.bucket.msUntil(1, head.size, now));
      lane.queue.shift();
      batch.tryAdd(head);
      lane.inFlight++;
      if (this.#ordered) {
        if (lane.queue.length > 0) this.#backlog = true; // waiting for other shards would only slow this one
        return Number.POSITIVE_INFINITY;
      }
      if (batch.full) return Number.POSITIVE_INFINITY;
      head = this.#expireHead(lane, now);
      if (head === undefined) return Number.POSITIVE_INFINITY;
    }
  }

  #expireHead(lane: ShardLane, now: number): OutgoingRecord | undefined {
    let head = lane.queue.peek();
    while (head !== undefined && head.expiresAt <= now) {
      lane.queue.shift();
      const cause = head.members[0]?.attempts?.at(-1)?.errorCode ?? 'EXPIRED';
      const survivors = expireBefore(this.#hooks, head.members, now, cause);
      if (survivors.length > 0) this.reroute(survivors, Math.max(head.readyAt, now), now);
      head = lane.queue.peek();
    }
    return head;
  }

  /**
   * Expires records waiting for a shard map (to be routed, or parked in a mis-routed aggregate).
   * When none waits any more, a load still retrying is stopped. Returns the next expiry.
   */
  #expireWaiting(now: number): number {
    if (this.#unrouted.length === 0 && this.#outcomes.parked === 0) return Number.POSITIVE_INFINITY;
    const wake = Math.min(this.#unrouted.expire(now), this.#outcomes.expireParked(now, this.#unrouted.failure));
    if (this.#unrouted.length === 0 && this.#outcomes.parked === 0) this.#loader.release();
    return wake;
  }

  #requeue(record: OutgoingRecord, now: number): void {
    const lane = record.lane;
    if (!this.#topology.isCurrent(lane) || record.size > this.#maxRecordBytes) {
      this.reroute(record.members, now, now);
      return;
    }
    lane.queue.unshift(record);
    this.#active.add(lane);
  }

  #dispatch(): boolean {
    if (!this.#sender.hasCapacity) return false;
    const batch = this.#batch;
    this.#batch = this.#newBatch();
    this.#send(batch);
    return true;
  }

  #send(batch: PutRecordsBatch): void {
    this.#hooks.observer.dispatched(batch, this.#clock.now());
    this.#sender.send(batch);
  }

  #newBatch(): PutRecordsBatch {
    return new PutRecordsBatch(this.#config.collectionMaxCount, this.#config.collectionMaxSize);
  }

  #onOutcome(batch: PutRecordsBatch, outcome: RequestOutcome): void {
    this.#outcomes.handle(batch, outcome, this.#clock.now());
    if (this.#autoRecordSize && refusedForContent(outcome)) this.#loader.request('record-too-large'); // the stream's limit may have been lowered
    this.pump();
  }

  #onDefect(batch: PutRecordsBatch, error: unknown): void {
    this.#hooks.logger.error('kinesis producer: defect while handling a PutRecords answer', { error: String(error) });
    for (const record of batch.records) {
      for (const member of record.members) fail(this.#hooks, member, 'INTERNAL_ERROR', `internal error: ${String(error)}`, 'INTERNAL_ERROR', error);
    }
    this.pump();
  }

  /**
   * A record above the stream's limit fails alone with RECORD_TOO_LARGE, never sent. With 'auto',
   * when the limit was read MAX_RECORD_SIZE_RECHECK_MS or more before the record was accepted,
   * the stream may have been raised since: the record waits (as if unrouted) for a fresh read.
   */
  #oversized(record: PendingRecord): void {
    if (this.#autoRecordSize && record.acceptedAt - this.#maxRecordBytesReadAt >= MAX_RECORD_SIZE_RECHECK_MS) {
      this.#unrouted.push(record);
      this.#loader.request('record-too-large');
      this.#timer.wakeAt(record.expiresAt);
      return;
    }
    const message = `record is ${record.size} bytes (data + partition key), above the stream's maximum record size ${this.#maxRecordBytes}`;
    fail(this.#hooks, record, 'RECORD_TOO_LARGE', message, 'RECORD_TOO_LARGE');
  }

  /**
   * The stream's record limit as read with a shard map. A change rebuilds every Kinesis record
   * not yet sent (the open batch's and the lanes'; aggregates are bounded by the limit) and fails
   * the user records now above it. Requests in flight are left to Kinesis's answer.
   */
  #applyMaxRecordBytes(bytes: number, readAt: number, now: number): void {
    this.#maxRecordBytesReadAt = readAt;
    if (bytes === this.#maxRecordBytes) return;
    this.#maxRecordBytes = bytes;
    const held: PendingRecord[] = [];
    const lanes = new Set<ShardLane>();
    for (const record of this.#batch.records) {
      record.lane.inFlight--;
      lanes.add(record.lane);
      for (const member of record.members) held.push(member);
    }
    this.#batch = this.#newBatch();
    for (const record of this.#topology.reconfigure(laneSettings(this.#config, bytes))) held.push(record);
    if (held.length > 0) this.reroute(held, now, now);
    for (const lane of lanes) this.settledFrom(lane);
  }

  /** A new list of open shards: retire closed shards' lanes, re-route their records, verify mis-routes. */
  #onShards(shards: readonly ShardDescription[], reason: RefreshReason, maxRecordBytes: number | undefined, startedAt: number): void {
    const now = this.#clock.now();
    this.#unrouted.failure = undefined;
    if (maxRecordBytes !== undefined) this.#applyMaxRecordBytes(maxRecordBytes, startedAt, now);
    const retired = this.#topology.apply(shards, now);
    for (const lane of retired) {
      this.#lingering.delete(lane);
      this.#active.delete(lane);
    }
    for (const lane of retired) {
      const records = lane.takeAll();
      if (records.length > 0) this.reroute(records, now, now);
    }
    this.#outcomes.verifyPending(now);
    // Records still unroutable (a gap in the listed ranges) or still parked: the loader loads again.
    for (const record of this.#unrouted.drain()) this.add(record);
    for (const lane of retired) this.settledFrom(lane);
    this.#hooks.observer.shardMap(maxRecordBytes === undefined ? { shardCount: shards.length, reason } : { shardCount: shards.length, reason, maxRecordSize: maxRecordBytes });
    this.pump();
  }

  #onShardsAttemptFailed(error: unknown, reason: RefreshReason, willRetry: boolean): void {
    const { code, message } = classifyRequestError(error);
    this.#unrouted.failure = { code, message, error };
    this.#hooks.observer.shardMapFailed({ reason, errorCode: code, message, willRetry });
  }

  /**
   * A shard map load gave up. On an error that will repeat (the stream is gone, access denied)
   * every record waiting for a map fails now, with the cause; otherwise nothing waited any more.
   * Never a re-send with the map that could not be refreshed.
   */
  #onShardsFailed(error: unknown): void {
    if (error instanceof InvalidShardMapError) return;
    const { errorClass, code, message } = classifyRequestError(error);
    if (errorClass !== 'fatal') return;
    const text = `cannot list the stream's shards: ${code}: ${message}`;
    this.#unrouted.failAll(text, code, error);
    this.#outcomes.failParked('NON_RETRIABLE', text, code, error);
    this.pump();
  }
}

/** Kinesis refused a record (or the request) as invalid: with 'auto', perhaps a lowered record limit. */
function refusedForContent(outcome: RequestOutcome): boolean {
  if (outcome.results === undefined) return isBisectable(classifyRequestError(outcome.error).code);
  for (const result of outcome.results) if (result.errorCode === 'InvalidArgumentException' || result.errorCode === 'ValidationException') return true;
  return false;
}
