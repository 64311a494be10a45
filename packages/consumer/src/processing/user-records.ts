import { deaggregate, type CorruptAggregateInfo, type HashKeyRange, type StreamRecord } from '@kinesis-kit/aggregation';
import type { Dimensions, Logger, Metrics } from '@kinesis-kit/core';
import { comparePositions, isSequenceNumber, type Position } from '../position.js';
import type { ConsumerRecord } from '../processor.js';
import { PROCESSING_METRICS } from './metric-names.js';

export interface UserRecordsOptions {
  readonly shardId: string;
  /** Where processing resumes; user records at or before it are dropped. */
  readonly startingPosition: Position;
  /** The shard's hash key range, when known: aggregate members outside it are dropped. */
  readonly hashKeyRange?: HashKeyRange;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly onCorrupt?: (info: CorruptAggregateInfo) => void;
}

/**
 * Turns fetched Kinesis records into the user records a processor sees: KPL aggregates are
 * expanded (sub-sequence numbers 0..n-1), and, after a restart from a sequence-number
 * checkpoint, user records at or before that checkpoint are dropped. The iterator restarts
 * AT_SEQUENCE_NUMBER of the checkpoint, so the aggregate holding it is read again and only its
 * later members pass: a restart inside an aggregate neither skips nor repeats sub-records.
 */
export class UserRecordStream {
  readonly #dimensions: Dimensions;
  /** Cleared once a record past it was seen: every later record is past it too. */
  #restartFilter: Position | undefined;

  constructor(private readonly options: UserRecordsOptions) {
    this.#dimensions = { shardId: options.shardId };
    const start = options.startingPosition;
    this.#restartFilter = isSequenceNumber(start.sequenceNumber) ? start : undefined;
  }

  expand(records: readonly StreamRecord[]): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    let filtered = 0;
    let discarded = 0;
    const deaggregateOptions = {
      ...(this.options.hashKeyRange === undefined ? {} : { hashKeyRange: this.options.hashKeyRange }),
      onCorrupt: (info: CorruptAggregateInfo) => this.#corrupt(info),
      onDiscard: () => void (discarded += 1),
    };
    for (const record of records) {
      for (const user of deaggregate(record, deaggregateOptions)) {
        if (this.#restartFilter !== undefined) {
          if (comparePositions(user, this.#restartFilter) <= 0) {
            filtered += 1;
            continue;
          }
          this.#restartFilter = undefined;
        }
        out.push(user);
      }
    }
    if (filtered > 0) this.options.metrics.count(PROCESSING_METRICS.restartFiltered, filtered, this.#dimensions);
    if (discarded > 0) this.options.metrics.count(PROCESSING_METRICS.discardedSubRecords, discarded, this.#dimensions);
    return out;
  }

  #corrupt(info: CorruptAggregateInfo): void {
    this.options.metrics.count(PROCESSING_METRICS.corruptAggregates, 1, this.#dimensions);
    this.options.logger.warn('corrupt KPL aggregate delivered as one plain record', {
      shardId: this.options.shardId,
      sequenceNumber: info.sequenceNumber,
      reason: info.reason,
      detail: info.detail,
    });
    this.options.onCorrupt?.(info);
  }
}
