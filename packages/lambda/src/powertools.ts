// `@kinesis-kit/lambda/powertools`: KPL de-aggregation for `@aws-lambda-powertools/batch`.
// A separate entry point, so that the main entry never loads Powertools (an optional peer).
import { BasePartialBatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { BaseRecord, FailureResponse, SuccessResponse } from '@aws-lambda-powertools/batch/types';
import { deaggregateRecord } from './deaggregate-event.js';
import { LambdaHandlerError } from './errors.js';
import { reportFailure } from './failures.js';
import { invalid, resolveCallbacks } from './options.js';
import type { Callbacks } from './options.js';
import type { KinesisStreamRecord, KinesisUserRecord, LambdaContext } from './types.js';

/**
 * The record handler to give `processPartialResponse` with a `KplBatchProcessor`: called with
 * each user record, one at a time, in stream order, and the `context` given to
 * `processPartialResponse` (if any). Throw (or reject) to fail the record.
 */
export type KplRecordHandler<TContext = LambdaContext> = (record: KinesisUserRecord, context: TContext | undefined) => unknown;

/** Options of `KplBatchProcessor`: `onCorrupt`, `onFailure` and `logger`, as for `kinesisHandler`. */
export type KplBatchProcessorOptions = Callbacks;

/**
 * A Powertools batch processor for Kinesis streams written by the KPL (or our producer):
 * use it with `processPartialResponse` in place of `new BatchProcessor(EventType.KinesisDataStreams)`.
 *
 * Unlike the stock processor it de-aggregates KPL records (the record handler gets each user
 * record, as a `KinesisUserRecord`), processes one user record at a time in stream order
 * (`processInParallel` is ignored), and stops at the first failure: the response names only
 * that record's parent Kinesis sequence number, so Lambda resumes there and nothing after it
 * ran out of order. The members of an aggregate before the failed one are delivered again
 * (Lambda checkpoints by Kinesis record): handlers must be idempotent.
 *
 * As with every Powertools processor, a failure when the event holds a single Kinesis record
 * means the entire batch failed: it throws `FullBatchFailureError` unless
 * `throwOnFullBatchFailure: false` is given to `processPartialResponse`.
 */
export class KplBatchProcessor extends BasePartialBatchProcessor {
  readonly #options: KplBatchProcessorOptions;

  constructor(options: KplBatchProcessorOptions = {}) {
    super(EventType.KinesisDataStreams);
    if (typeof options !== 'object' || options === null) throw invalid('KplBatchProcessor options must be an object');
    this.#options = resolveCallbacks(options as Readonly<Record<string, unknown>>);
  }

  /** Processes the Kinesis records one after the other, stopping at the first that fails. */
  override async process(): Promise<(SuccessResponse | FailureResponse)[]> {
    this.prepare();
    const processed: (SuccessResponse | FailureResponse)[] = [];
    for (const record of this.records) {
      const outcome = await this.processRecord(record);
      processed.push(outcome);
      if (outcome[0] === 'fail') break;
    }
    this.clean();
    return processed;
  }

  /**
   * Hands the user records of one Kinesis record to the record handler, in order; the first
   * that throws fails the Kinesis record (the rest of its members are not processed).
   */
  async processRecord(record: BaseRecord): Promise<SuccessResponse | FailureResponse> {
    const parent = record as KinesisStreamRecord;
    const members = deaggregateRecord(parent, this.#options);
    const results: unknown[] = [];
    for (const member of members) {
      try {
        results.push(await this.handler(member, this.options?.context));
      } catch (error) {
        reportFailure({ record: member, error }, { ...this.#options, reportBatchItemFailures: true });
        return this.failureHandler(parent, error as Error);
      }
    }
    return this.successHandler(parent, results);
  }

  /** Not supported: records are processed asynchronously (use `processPartialResponse`). */
  processRecordSync(): SuccessResponse | FailureResponse {
    throw new LambdaHandlerError('INVALID_OPTIONS', 'KplBatchProcessor is asynchronous: use processPartialResponse, not processPartialResponseSync');
  }
}
