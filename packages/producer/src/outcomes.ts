import { hashKeyOf, type HashKeyRange } from '@kinesis-kit/aggregation';
import type { Attempt, BackoffPolicy, ErrorClass } from '@kinesis-kit/core';
import { classifyRecordCode, classifyRequestError, isBisectable } from './error-policy.js';
import type { PutRecordsBatch } from './batch.js';
import { PutRecordError, type PutRecordErrorCode } from './errors.js';
import type { OutgoingRecord, ShardLane } from './lane.js';
import type { PutRecordsEntryResult } from './port.js';
import type { PendingRecord } from './records.js';
import type { RequestOutcome } from './sender.js';
import type { MapFailure, RefreshReason } from './shard-map-loader.js';
import type { Topology } from './topology.js';
import type { PipelineHooks } from './hooks.js';

/** The error code recorded in the attempt of an aggregate that was stored on the wrong shard. */
export const MISROUTED_AGGREGATE = 'MisroutedAggregate';

/** What the outcome handler needs from the pipeline to send records again. */
export interface Resend {
  /** Sends user records again, rebuilt for the lanes the current map predicts, not before `readyAt`. */
  reroute(records: readonly PendingRecord[], readyAt: number, now: number): void;
  /** Sends a Kinesis record again unchanged, not before `readyAt`. */
  retryLater(record: OutgoingRecord, readyAt: number): void;
  /** `lane` had something in flight settle (a retired lane may now release its successors). */
  settledFrom(lane: ShardLane): void;
  /** Asks for a fresh shard map. */
  refreshShardMap(reason: RefreshReason): void;
  /** Sends the records of a refused request again as two requests (they stay in flight meanwhile). */
  bisect(records: readonly OutgoingRecord[]): void;
}

interface Unverified {
  readonly record: OutgoingRecord;
  readonly actualShardId: string;
  readonly sequenceNumber: string;
  readonly attempt: Attempt;
  /** Topology version of the map that did not know `actualShardId`. */
  readonly mapVersion: number;
}


/**
 * Turns PutRecords outcomes into settled puts: successes resolve every member of the Kinesis
 * record (subSequenceNumber = index inside the aggregate); retriable failures go back with
 * backoff until the members' TTL; everything else fails with the cause and every attempt.
 * An aggregate stored on another shard than predicted is checked against that shard's range
 * (now, or after a shard map refresh) and re-sent whole if any member lies outside it.
 */
export class OutcomeHandler {
  readonly #hooks: PipelineHooks;
  readonly #topology: Topology;
  readonly #resend: Resend;
  readonly #backoff: BackoffPolicy;
  readonly #failIfThrottled: boolean;
  #unverified: Unverified[] = [];

  constructor(hooks: PipelineHooks, topology: Topology, resend: Resend, backoff: BackoffPolicy, failIfThrottled: boolean) {
    this.#hooks = hooks;
    this.#topology = topology;
    this.#resend = resend;
    this.#backoff = backoff;
    this.#failIfThrottled = failIfThrottled;
  }

  /** Mis-routed aggregates waiting for a shard map. */
  get unverified(): readonly Unverified[] {
    return this.#unverified;
  }

  /** How many mis-routed aggregates wait for a shard map (they keep the loader going). */
  get parked(): number {
    return this.#unverified.length;
  }

  handle(batch: PutRecordsBatch, outcome: RequestOutcome, now: number): void {
    const results = outcome.results;
    if (results !== undefined && results.length === batch.records.length) this.#results(batch, results, outcome, now);
    else this.#requestFailed(batch, outcome.error ?? malformedAnswer(batch, results), outcome, now);
  }

  #results(batch: PutRecordsBatch, results: readonly PutRecordsEntryResult[], outcome: RequestOutcome, now: number): void {
    const { startedAt, durationMs } = outcome;
    const ok: Attempt = { startedAt, durationMs };
    let okAttempts: readonly Attempt[] | undefined;
    let userRecords = 0;
    let kinesisRecords = 0;
    let bytes = 0;
    let failed = 0;
    for (let i = 0; i < results.length; i++) {
      const record = batch.records[i]!;
      const result = results[i]!;
      record.lane.inFlight--;
      if (result.errorCode === undefined) {
        if (result.shardId === record.lane.shardId || !this.#mismatch(record, result.shardId, result.sequenceNumber, ok, now)) {
          okAttempts ??= Object.freeze([ok]);
          succeed(this.#hooks, record, result.shardId, result.sequenceNumber, ok, okAttempts);
          userRecords += record.members.length;
          kinesisRecords++;
          bytes += record.size;
        }
      } else {
        failed++;
        const attempt = { startedAt, durationMs, errorCode: result.errorCode, errorMessage: result.errorMessage };
        this.#failed(record, classifyRecordCode(result.errorCode), attempt, now);
      }
      this.#resend.settledFrom(record.lane);
    }
    this.#hooks.observer.request(batch, { startedAt, durationMs, failedKinesisRecords: failed }, { userRecords, kinesisRecords, bytes });
  }

  #requestFailed(batch: PutRecordsBatch, error: unknown, outcome: RequestOutcome, now: number): void {
    const { errorClass, code, message } = classifyRequestError(error);
    const attempt: Attempt = { startedAt: outcome.startedAt, durationMs: outcome.durationMs, errorCode: code, errorMessage: message };
    if (errorClass === 'fatal' && batch.count > 1 && isBisectable(code)) {
      // Perhaps one bad record: each half goes again, until the bad one is alone and fails alone.
      for (const record of batch.records) for (const member of record.members) member.addAttempt(attempt);
      this.#resend.bisect(batch.records);
    } else {
      this.#settleFailedRequest(batch, errorClass, attempt, now, error);
    }
    this.#hooks.observer.request(
      batch,
      { startedAt: outcome.startedAt, durationMs: outcome.durationMs, failedKinesisRecords: batch.count, errorCode: code },
      { userRecords: 0, kinesisRecords: 0, bytes: 0 },
    );
  }

  #settleFailedRequest(batch: PutRecordsBatch, errorClass: ErrorClass, attempt: Attempt, now: number, error: unknown): void {
    for (const record of batch.records) {
      record.lane.inFlight--;
      this.#failed(record, errorClass, attempt, now, error);
      this.#resend.settledFrom(record.lane);
    }
  }

  /** A Kinesis record failed one attempt: fail it for good, or schedule it again. */
  #failed(record: OutgoingRecord, errorClass: ErrorClass, attempt: Attempt, now: number, cause?: unknown): void {
    for (const member of record.members) member.addAttempt(attempt);
    const code = attempt.errorCode ?? 'Unknown';
    this.#hooks.observer.recordError(code, errorClass);
    if (errorClass === 'fatal') return failAll(this.#hooks, record.members, 'NON_RETRIABLE', `Kinesis rejected the record: ${code}`, code, cause);
    if (errorClass === 'throttled') {
      const lane = record.lane;
      if (lane.bucket.throttled(now)) this.#hooks.observer.throttled({ shardId: lane.shardId, rateFactor: lane.bucket.factor });
      if (this.#failIfThrottled) return failAll(this.#hooks, record.members, 'THROTTLED', `throttled (${code}) and failIfThrottled is set`, code, cause);
    }
    this.#retry(record, code, now, cause);
  }

  #retry(record: OutgoingRecord, code: string, now: number, cause: unknown): void {
    const delayMs = Math.round(this.#backoff.delayMs(record.failures));
    const readyAt = now + delayMs;
    const survivors = expireBefore(this.#hooks, record.members, readyAt, code, cause);
    if (survivors.length === 0) return;
    this.#hooks.observer.retry({ shardId: record.lane.shardId, userRecords: survivors.length, errorCode: code, delayMs });
    if (survivors.length === record.members.length && this.#topology.isCurrent(record.lane)) this.#resend.retryLater(record, readyAt);
    else this.#resend.reroute(survivors, readyAt, now);
  }

  /** Stored on another shard than predicted. Returns true when handled here (not a plain success). */
  #mismatch(record: OutgoingRecord, actualShardId: string, sequenceNumber: string, attempt: Attempt, now: number): boolean {
    this.#resend.refreshShardMap('shard-mismatch');
    if (record.members.length === 1) return false; // Kinesis routed it by its own key: the write stands
    const actual = this.#topology.lane(actualShardId);
    if (actual !== undefined) {
      this.#settleMisrouted(record, actualShardId, actual.hashKeyRange, sequenceNumber, attempt, now);
    } else {
      record.lane.unverified++;
      this.#unverified.push({ record, actualShardId, sequenceNumber, attempt, mapVersion: this.#topology.version });
    }
    return true;
  }

  /**
   * After a shard map load: settles every parked aggregate whose shard the map now lists. One whose
   * shard is still missing stays parked while the map is the one that did not know the shard (a
   * ListShards answer can lag a reshard: re-sending with it would land on the same unknown shard,
   * in a loop); if the map changed since, the shard has closed meanwhile and the members are sent
   * again with the new map.
   */
  verifyPending(now: number): void {
    const pending = this.#unverified;
    this.#unverified = [];
    for (const entry of pending) {
      const range = this.#topology.lane(entry.actualShardId)?.hashKeyRange;
      if (range === undefined && entry.mapVersion === this.#topology.version) {
        this.#unverified.push(entry);
        continue;
      }
      entry.record.lane.unverified--;
      this.#settleMisrouted(entry.record, entry.actualShardId, range, entry.sequenceNumber, entry.attempt, now);
      this.#resend.settledFrom(entry.record.lane);
    }
  }

  /**
   * Fails the members of parked aggregates whose TTL has passed (EXPIRED; the cause is the last
   * shard map failure, if any). Returns the next member expiry among those still parked.
   */
  expireParked(now: number, failure: MapFailure | undefined): number {
    if (this.#unverified.length === 0) return Number.POSITIVE_INFINITY;
    let wake = Number.POSITIVE_INFINITY;
    const kept: Unverified[] = [];
    for (const entry of this.#unverified) {
      if (entry.record.expiresAt <= now) {
        const causeCode = failure?.code ?? MISROUTED_AGGREGATE;
        const lastFailure = failure === undefined ? '' : `; the shard map could not be loaded: ${failure.code}: ${failure.message}`;
        for (const member of entry.record.members) {
          if (member.settled || member.expiresAt > now) continue;
          member.addAttempt(parkedAttempt(entry));
          fail(this.#hooks, member, 'EXPIRED', `not written within recordTtl: waited for a shard map to verify the aggregate it was stored in${lastFailure}`, causeCode, failure?.error);
        }
      }
      let next = Number.POSITIVE_INFINITY;
      for (const member of entry.record.members) if (!member.settled && member.expiresAt < next) next = member.expiresAt;
      if (next === Number.POSITIVE_INFINITY) {
        this.#unpark(entry);
        continue;
      }
      kept.push(entry);
      if (next < wake) wake = next;
    }
    this.#unverified = kept;
    return wake;
  }

  /** The shard map cannot be loaded, for good: every parked aggregate's members fail. */
  failParked(code: PutRecordErrorCode, message: string, causeCode: string, cause: unknown): void {
    const pending = this.#unverified;
    this.#unverified = [];
    for (const entry of pending) {
      for (const member of entry.record.members) member.addAttempt(parkedAttempt(entry));
      failAll(this.#hooks, entry.record.members, code, message, causeCode, cause);
      this.#unpark(entry);
    }
  }

  #unpark(entry: Unverified): void {
    entry.record.lane.unverified--;
    this.#resend.settledFrom(entry.record.lane);
  }

  #settleMisrouted(
    record: OutgoingRecord,
    actualShardId: string,
    range: HashKeyRange | undefined,
    sequenceNumber: string,
    attempt: Attempt,
    now: number,
  ): void {
    const inRange = range !== undefined && record.members.every((member) => within(hashKeyOf(member), range));
    this.#hooks.observer.misrouted({
      predictedShardId: record.lane.shardId,
      actualShardId,
      userRecords: record.members.length,
      resent: !inRange,
    });
    if (inRange) {
      succeed(this.#hooks, record, actualShardId, sequenceNumber, attempt, Object.freeze([attempt]));
      return;
    }
    const misrouted: Attempt = {
      startedAt: attempt.startedAt,
      durationMs: attempt.durationMs,
      errorCode: MISROUTED_AGGREGATE,
      errorMessage: `aggregate stored on ${actualShardId} (${sequenceNumber}) holds members of other shards; every member is sent again`,
    };
    for (const member of record.members) member.addAttempt(misrouted);
    const survivors = expireBefore(this.#hooks, record.members, now, MISROUTED_AGGREGATE);
    if (survivors.length > 0) this.#resend.reroute(survivors, now, now);
  }
}

/** The attempt a parked aggregate's members record when they fail without being verified. */
function parkedAttempt(entry: Unverified): Attempt {
  return {
    startedAt: entry.attempt.startedAt,
    durationMs: entry.attempt.durationMs,
    errorCode: MISROUTED_AGGREGATE,
    errorMessage: `aggregate stored on ${entry.actualShardId} (${entry.sequenceNumber}), a shard the shard map did not list; it could not be verified`,
  };
}

function within(hashKey: bigint, range: HashKeyRange): boolean {
  return hashKey >= range.startingHashKey && hashKey <= range.endingHashKey;
}

function succeed(
  hooks: PipelineHooks,
  record: OutgoingRecord,
  shardId: string,
  sequenceNumber: string,
  attempt: Attempt,
  firstTry: readonly Attempt[],
): void {
  const members = record.members;
  hooks.succeed(members, { shardId, sequenceNumber, firstTry }, attempt, members.length > 1);
}

/** Fails members that would expire by `deadline`; returns the others (the same array if none expired). */
export function expireBefore(
  hooks: PipelineHooks,
  members: readonly PendingRecord[],
  deadline: number,
  causeCode: string,
  cause?: unknown,
): readonly PendingRecord[] {
  let expired = false;
  for (const member of members) if (member.expiresAt <= deadline) expired = true;
  if (!expired) return members;
  const survivors: PendingRecord[] = [];
  for (const member of members) {
    if (member.expiresAt > deadline) survivors.push(member);
    else fail(hooks, member, 'EXPIRED', `not written within recordTtl (last failure: ${causeCode})`, causeCode, cause);
  }
  return survivors;
}

export function failAll(
  hooks: PipelineHooks,
  members: readonly PendingRecord[],
  code: PutRecordErrorCode,
  message: string,
  causeCode: string,
  cause?: unknown,
): void {
  for (const member of members) fail(hooks, member, code, message, causeCode, cause);
}

export function fail(hooks: PipelineHooks, member: PendingRecord, code: PutRecordErrorCode, message: string, causeCode: string, cause?: unknown): void {
  if (member.settled) return;
  const attempts = member.attempts === undefined ? [] : [...member.attempts]; // a snapshot: late answers must not change it
  hooks.fail(member, new PutRecordError(code, message, { record: member.input, attempts, causeCode, cause }));
}

function malformedAnswer(batch: PutRecordsBatch, results: readonly PutRecordsEntryResult[] | undefined): Error {
  const error = new Error(`PutRecords answered ${results?.length ?? 0} results for ${batch.count} records`);
  error.name = 'InternalFailure';
  return error;
}
