import { deaggregate, type DeaggregatedRecord, type HashKeyRange } from '@kinesis-kit/aggregation';
import type { ChildShard, KinesisReadPort } from '@kinesis-kit/consumer';
import { systemClock } from '@kinesis-kit/core';
import type { Connection } from '../clients.js';
import { call, type CliIO } from '../context.js';

/** Where a shard is read from (GetShardIterator's type; AT_TIMESTAMP carries its timestamp). */
export type StartPosition = { readonly type: 'TRIM_HORIZON' } | { readonly type: 'LATEST' } | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date };

export interface ShardToRead {
  readonly shardId: string;
  readonly hashKeyRange: HashKeyRange | undefined;
  readonly start: StartPosition;
}

export interface ReaderHooks {
  /** Called with each user record in shard order; awaited (output backpressure). */
  readonly onRecord: (shardId: string, record: DeaggregatedRecord) => Promise<void>;
  /** Called after each read: whether the shard is caught up (nothing returned, at the tip). */
  readonly onRead: (shardId: string, atTip: boolean) => void;
  /** Whether reading should stop (record limit reached, interrupted). */
  readonly stopped: () => boolean;
}

/** GetRecords Limit per call. */
const RECORDS_PER_CALL = 1_000;
/** Least time between two GetRecords calls on a shard: the 5 calls/s/shard read quota. */
const MIN_MS_BETWEEN_READS = 200;

/**
 * Reads one shard until its end (returns its children, empty if the service gave none) or until
 * stopped (returns undefined). Aggregates are expanded; with the shard's hash key range known,
 * aggregate members of another shard's range are dropped, as a KCL consumer drops them.
 * Expired iterators are renewed after the last record read.
 */
export async function readShard(port: KinesisReadPort, shard: ShardToRead, pollMs: number, hooks: ReaderHooks, connection: Connection, io: CliIO): Promise<readonly ChildShard[] | undefined> {
  const clock = io.clock ?? systemClock;
  const iteratorAt = (start: Parameters<KinesisReadPort['getShardIterator']>[1]) =>
    call(connection, io, `GetShardIterator ${shard.shardId}`, (signal) => port.getShardIterator(shard.shardId, start, signal));
  let iterator = await iteratorAt(shard.start);
  let lastSequenceNumber: string | undefined;
  while (!hooks.stopped()) {
    const readAt = clock.now();
    const current = iterator;
    const page = await call(connection, io, `GetRecords ${shard.shardId}`, (signal) => port.getRecords(current, { limit: RECORDS_PER_CALL, signal }));
    if (page.kind === 'expiredIterator') {
      iterator = await iteratorAt(lastSequenceNumber === undefined ? shard.start : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastSequenceNumber });
      continue;
    }
    for (const record of page.records) {
      for (const user of deaggregate(record, shard.hashKeyRange === undefined ? {} : { hashKeyRange: shard.hashKeyRange })) {
        if (hooks.stopped()) return undefined;
        await hooks.onRecord(shard.shardId, user);
      }
      lastSequenceNumber = record.sequenceNumber;
    }
    if (page.nextShardIterator === undefined) return page.childShards;
    iterator = page.nextShardIterator;
    const atTip = page.records.length === 0 && (page.millisBehindLatest ?? 0) === 0;
    hooks.onRead(shard.shardId, atTip);
    const pause = atTip ? pollMs : MIN_MS_BETWEEN_READS - (clock.now() - readAt);
    if (pause > 0 && !hooks.stopped()) await clock.sleep(pause, io.signal);
  }
  return undefined;
}
