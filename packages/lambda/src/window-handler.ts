import { deaggregateEvent } from './deaggregate-event.js';
import { LambdaHandlerError } from './errors.js';
import { isPlainObject, isTumblingWindowEvent, windowFields } from './event.js';
import { batchItemFailed, earliestFailure, reportFailure } from './failures.js';
import { invalid, resolveCommonOptions } from './options.js';
import type { CommonOptions, RecordFailure } from './options.js';
import type {
  KinesisStreamStateResponse,
  KinesisStreamTumblingWindowEvent,
  KinesisUserRecord,
  LambdaContext,
} from './types.js';

/**
 * Lambda keeps "a maximum of 1 MB per shard" of window state and ends the window early above
 * it (Lambda developer guide, tumbling windows). Read as 10^6 bytes of JSON, the lower reading
 * of "MB", so the warning never comes late.
 */
export const WINDOW_STATE_LIMIT_BYTES = 1_000_000;

/** One invocation's view of its tumbling window. */
export interface TumblingWindow<TState extends object> {
  /** ISO 8601 start of the window (inclusive), as Lambda sent it. */
  readonly start: string;
  /** ISO 8601 end of the window, as Lambda sent it. */
  readonly end: string;
  /** The state the previous invocation of this window returned, or `initialState()` when it is the first. */
  readonly state: TState;
  /** The last invocation of the window: `state` plus these records is the final result. */
  readonly isFinalInvokeForWindow: boolean;
  /** Lambda ended the window early (its state passed 1 MB); a later invocation continues it with a fresh state. */
  readonly isWindowTerminatedEarly: boolean;
  readonly shardId: string | undefined;
  readonly eventSourceARN: string | undefined;
}

/**
 * What a window function returns: the window's new state (required: Lambda fails an invocation
 * whose response has no state) and, optionally, failed records as in batch mode. When it
 * reports a failure, `state` must cover only the records before the failed record's **parent
 * Kinesis record**: Lambda resumes from that Kinesis record, every member of its aggregate included.
 */
export interface WindowResult<TState extends object> {
  readonly state: TState;
  readonly failures?: readonly RecordFailure[] | undefined;
}

/**
 * Called once per invocation with every user record of the event in stream order, also when
 * there are none (the final invocation of a window may have none).
 */
export type WindowHandler<TState extends object, TContext = LambdaContext> = (
  records: readonly KinesisUserRecord[],
  window: TumblingWindow<TState>,
  context: TContext,
) => WindowResult<TState> | Promise<WindowResult<TState>>;

/** Options of `kinesisWindowHandler`. */
export interface WindowHandlerOptions<TState extends object> extends CommonOptions {
  /** The state of a window's first invocation (when Lambda sends no state, or `{}`). Called each time. */
  readonly initialState: () => TState;
}

/** A Lambda handler for a Kinesis event source with a tumbling window. */
export type KinesisLambdaWindowHandler<TState extends object, TContext = LambdaContext> = (
  event: KinesisStreamTumblingWindowEvent,
  context: TContext,
) => Promise<KinesisStreamStateResponse<TState>>;

/**
 * Wraps your window function into a Lambda handler for an event source mapping with
 * `TumblingWindowInSeconds`: de-aggregates KPL records, hands your function the window and its
 * state, and answers `{ state, batchItemFailures }`.
 *
 * - Your function throws: the error is rethrown unchanged; Lambda retries the batch with the
 *   state it had (the state you computed is dropped).
 * - It reports failures: with `reportBatchItemFailures` on, the response names the parent
 *   sequence number of the earliest one, next to your state; otherwise the handler throws
 *   `BATCH_ITEM_FAILED` and Lambda retries the batch with the state it had.
 * - It returns no object `state`, or a state JSON cannot carry: `INVALID_BATCH_RESULT`.
 * - A state over 1 MB of JSON is returned (Lambda then ends the window early) and logged as a warning.
 *
 * An event without a `window` throws `INVALID_EVENT`. Options are validated here, once.
 */
export function kinesisWindowHandler<TState extends object, TContext = LambdaContext>(
  fn: WindowHandler<TState, TContext>,
  options: WindowHandlerOptions<TState>,
): KinesisLambdaWindowHandler<TState, TContext> {
  const common = resolveCommonOptions(fn, options);
  if (typeof options.initialState !== 'function') throw invalid('initialState must be a function returning the first state of a window');
  const { initialState } = options;
  return async (event, context) => {
    if (!isTumblingWindowEvent(event)) {
      throw new LambdaHandlerError('INVALID_EVENT', 'the event has no window; is TumblingWindowInSeconds set on the event source mapping? (use kinesisHandler without one)');
    }
    const fields = windowFields(event);
    const records = deaggregateEvent(event, { onCorrupt: common.onCorrupt, logger: common.logger });
    const given = fields.state === undefined || Object.keys(fields.state).length === 0 ? initialState() : (fields.state as TState);
    const result: unknown = await fn(records, { ...fields, state: given }, context);
    const { state, failures } = checkResult<TState>(result, common);
    const failure = earliestFailure(failures ?? [], records);
    if (failure === undefined) return { state, batchItemFailures: [] };
    reportFailure(failure, common);
    if (!common.reportBatchItemFailures) throw batchItemFailed(failure);
    return { state, batchItemFailures: [{ itemIdentifier: failure.record.sequenceNumber }] };
  };
}

/** Checks a window function's result; warns when its state is over Lambda's limit. */
function checkResult<TState extends object>(result: unknown, options: CommonOptions): WindowResult<TState> {
  const state = isPlainObject(result) ? result['state'] : undefined;
  if (!isPlainObject(state)) {
    throw new LambdaHandlerError('INVALID_BATCH_RESULT', 'a window handler must return { state: {...}, failures?: [...] } with an object state');
  }
  let json: string;
  try {
    json = JSON.stringify(state);
  } catch (error) {
    throw new LambdaHandlerError('INVALID_BATCH_RESULT', 'the window state cannot be written as JSON (a BigInt or a cycle?)', { cause: error });
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > WINDOW_STATE_LIMIT_BYTES) {
    options.logger?.warn('Tumbling window state is over the 1 MB Lambda keeps; Lambda will end the window early', {
      stateBytes: bytes,
      limitBytes: WINDOW_STATE_LIMIT_BYTES,
    });
  }
  return result as WindowResult<TState>;
}
