import { deaggregateEvent } from './deaggregate-event.js';
import { LambdaHandlerError } from './errors.js';
import { isTumblingWindowEvent } from './event.js';
import { batchItemFailed, earliestFailure, isBatchResult, reportFailure } from './failures.js';
import { resolveConfig } from './options.js';
import type {
  BatchHandler,
  BatchModeOptions,
  HandlerConfig,
  KinesisHandlerOptions,
  RecordFailure,
  RecordHandler,
  RecordModeOptions,
} from './options.js';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisUserRecord, LambdaContext } from './types.js';

/**
 * A Lambda handler for a Kinesis event source. Assignable to `KinesisStreamHandler` of
 * @types/aws-lambda.
 */
export type KinesisLambdaHandler<TContext = LambdaContext> = (
  event: KinesisStreamEvent,
  context: TContext,
) => Promise<KinesisStreamBatchResponse | void>;

/**
 * Wraps your function into a Lambda handler that de-aggregates KPL records and turns the
 * first failed user record into a partial batch response.
 *
 * User records are processed sequentially, in stream order. When one fails, processing
 * stops (so order is kept) and:
 * - with `reportBatchItemFailures: true`, the handler returns
 *   `{ batchItemFailures: [{ itemIdentifier: <sequence number of its parent Kinesis record> }] }`
 *   and Lambda resumes from that Kinesis record on the next invocation;
 * - otherwise the error is rethrown (record mode: your error, unchanged; batch mode: a
 *   `LambdaHandlerError` `BATCH_ITEM_FAILED` with your error as `cause`) and Lambda retries
 *   the whole batch.
 *
 * **Redelivery of aggregates.** Lambda checkpoints by Kinesis sequence number, and every
 * member of a KPL aggregate shares its parent's sequence number. When any member fails, the
 * whole aggregate is delivered again: the members before the failed one are processed a
 * second time. Handlers must therefore be idempotent (which at-least-once delivery requires
 * anyway).
 *
 * With no failure the handler returns `{ batchItemFailures: [] }` when
 * `reportBatchItemFailures` is on, and nothing otherwise. Options are validated here, once:
 * a bad option throws `LambdaHandlerError` `INVALID_OPTIONS` at module load, not per event.
 */
export function kinesisHandler<TContext = LambdaContext>(
  fn: RecordHandler<TContext>,
  options: RecordModeOptions,
): KinesisLambdaHandler<TContext>;
export function kinesisHandler<TContext = LambdaContext>(
  fn: BatchHandler<TContext>,
  options: BatchModeOptions,
): KinesisLambdaHandler<TContext>;
export function kinesisHandler<TContext>(
  fn: RecordHandler<TContext> | BatchHandler<TContext>,
  options: KinesisHandlerOptions,
): KinesisLambdaHandler<TContext> {
  const config = resolveConfig<TContext>(fn, options);
  return async (event, context) => {
    if (isTumblingWindowEvent(event)) {
      // Answering without `state` would fail every invocation until Lambda discards the records.
      throw new LambdaHandlerError(
        'INVALID_EVENT',
        'the event comes from a tumbling window (TumblingWindowInSeconds): Lambda needs { state } in the response; use kinesisWindowHandler',
      );
    }
    const records = deaggregateEvent(event, { onCorrupt: config.onCorrupt, logger: config.logger });
    const failure =
      config.mode === 'batch'
        ? await runBatch(config.fn, records, context)
        : await runEach(config.fn, records, context);
    return settle(failure, config);
  };
}

async function runEach<TContext>(
  fn: RecordHandler<TContext>,
  records: readonly KinesisUserRecord[],
  context: TContext,
): Promise<RecordFailure | undefined> {
  for (const record of records) {
    try {
      await fn(record, context);
    } catch (error) {
      return { record, error };
    }
  }
  return undefined;
}

async function runBatch<TContext>(
  fn: BatchHandler<TContext>,
  records: readonly KinesisUserRecord[],
  context: TContext,
): Promise<RecordFailure | undefined> {
  if (records.length === 0) return undefined;
  const result: unknown = await fn(records, context);
  return batchFailure(result, records);
}

/** The earliest failure a batch function returned, after checking its result. */
function batchFailure(result: unknown, records: readonly KinesisUserRecord[]): RecordFailure | undefined {
  if (result === undefined) return undefined;
  if (!isBatchResult(result)) {
    throw new LambdaHandlerError('INVALID_BATCH_RESULT', 'a batch handler must return nothing or { failures: [...] }');
  }
  return earliestFailure(result.failures, records);
}

function settle<TContext>(
  failure: RecordFailure | undefined,
  config: HandlerConfig<TContext>,
): KinesisStreamBatchResponse | undefined {
  if (failure === undefined) return config.reportBatchItemFailures ? { batchItemFailures: [] } : undefined;
  reportFailure(failure, config);
  if (config.reportBatchItemFailures) {
    return { batchItemFailures: [{ itemIdentifier: failure.record.sequenceNumber }] };
  }
  if (config.mode === 'record') throw failure.error;
  throw batchItemFailed(failure);
}
