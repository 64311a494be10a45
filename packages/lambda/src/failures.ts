import { LambdaHandlerError } from './errors.js';
import type { BatchResult, CommonOptions, RecordFailure } from './options.js';
import type { KinesisUserRecord } from './types.js';

/**
 * The reported failure whose record comes first in the batch, after checking what a batch or
 * window function returned in `failures`; undefined when there is none. Throws
 * `INVALID_BATCH_RESULT` for a list that is not one, or a record that is not in `records`.
 */
export function earliestFailure(failures: unknown, records: readonly KinesisUserRecord[]): RecordFailure | undefined {
  if (!Array.isArray(failures)) {
    throw new LambdaHandlerError('INVALID_BATCH_RESULT', 'failures must be an array of { record, error? }');
  }
  const position = new Map(records.map((record, index) => [recordKey(record), index]));
  let earliest: { index: number; failure: RecordFailure } | undefined;
  for (const failure of failures as unknown[]) {
    const index = isRecordFailure(failure) ? position.get(recordKey(failure.record)) : undefined;
    if (index === undefined) {
      throw new LambdaHandlerError('INVALID_BATCH_RESULT', 'a reported failure names a record that is not in this batch');
    }
    if (earliest === undefined || index < earliest.index) earliest = { index, failure: failure as RecordFailure };
  }
  if (earliest === undefined) return undefined;
  // Report the batch's own record object, even if the function returned a copy of it.
  return { ...earliest.failure, record: records[earliest.index] ?? earliest.failure.record };
}

export function isBatchResult(value: unknown): value is BatchResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<BatchResult>).failures);
}

function recordKey(record: Pick<KinesisUserRecord, 'sequenceNumber' | 'subSequenceNumber'>): string {
  return `${record.sequenceNumber}/${record.subSequenceNumber}`;
}

function isRecordFailure(value: unknown): value is RecordFailure {
  if (typeof value !== 'object' || value === null) return false;
  const { record } = value as { record?: Partial<KinesisUserRecord> };
  return typeof record?.sequenceNumber === 'string' && typeof record.subSequenceNumber === 'number';
}

/** Logs the first failed user record of an invocation and hands it to `onFailure`. */
export function reportFailure(failure: RecordFailure, options: CommonOptions): void {
  const { record, error } = failure;
  options.logger?.error('Kinesis user record failed; Lambda will redeliver from its parent record', {
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    partitionKey: record.partitionKey,
    shardId: record.shardId,
    eventID: record.eventID,
    response: options.reportBatchItemFailures ? 'batchItemFailures' : 'rethrow',
    error,
  });
  options.onFailure?.(failure);
}

/** What a reported failure becomes when `reportBatchItemFailures` is off: Lambda retries the batch. */
export function batchItemFailed(failure: RecordFailure): LambdaHandlerError {
  const { sequenceNumber, subSequenceNumber } = failure.record;
  return new LambdaHandlerError(
    'BATCH_ITEM_FAILED',
    `user record ${sequenceNumber}/${subSequenceNumber} failed and reportBatchItemFailures is off; Lambda retries the whole batch`,
    { cause: failure.error },
  );
}
