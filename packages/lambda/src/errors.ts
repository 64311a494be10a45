import { KinesisKitError } from '@kinesis-kit/aggregation';

/**
 * Codes of the errors this package throws itself (your function's own errors are rethrown
 * unchanged, never wrapped):
 * - `INVALID_EVENT`: the event is not a Lambda Kinesis event (no `Records`, no `kinesis`
 *   payload, an `eventID` without a shard id). Not retriable.
 * - `INVALID_OPTIONS`: `kinesisHandler` was called with a missing or wrong option. Not retriable.
 * - `INVALID_BATCH_RESULT`: a batch-mode function returned something other than nothing or a
 *   `BatchResult`, or named a failed record that is not in the batch it was given. Not retriable.
 * - `BATCH_ITEM_FAILED`: a batch-mode function reported a failed record while
 *   `reportBatchItemFailures` is off; thrown so Lambda retries the whole batch. Retriable.
 */
export type LambdaErrorCode =
  | 'INVALID_EVENT'
  | 'INVALID_OPTIONS'
  | 'INVALID_BATCH_RESULT'
  | 'BATCH_ITEM_FAILED';

/** An error raised by the Lambda helpers themselves, with a stable `code` and `retriable`. */
export class LambdaHandlerError extends KinesisKitError {
  declare readonly code: LambdaErrorCode;

  constructor(code: LambdaErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: code === 'BATCH_ITEM_FAILED', cause: options.cause });
  }
}
