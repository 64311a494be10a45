import { LambdaHandlerError } from './errors.js';
import type { CorruptAggregateInfo, KinesisUserRecord, LambdaContext, Logger } from './types.js';

/** A user record your function failed on, and why. */
export interface RecordFailure {
  readonly record: KinesisUserRecord;
  /** What your function threw or returned for it, if anything. */
  readonly error?: unknown;
}

/**
 * Called with each user record, one at a time, in stream order. Throw (or reject) to fail
 * the record. The return value is ignored once awaited. Must be idempotent: when a member of
 * an aggregate fails, Lambda redelivers the whole aggregate (see `kinesisHandler`).
 */
export type RecordHandler<TContext = LambdaContext> = (record: KinesisUserRecord, context: TContext) => unknown;

/**
 * What a batch-mode function returns to report failed records. Any record of the batch may
 * be named, in any order; the one earliest in the batch decides where Lambda resumes.
 * Returning nothing, or an empty `failures` list, means every record succeeded.
 */
export interface BatchResult {
  readonly failures: readonly RecordFailure[];
}

/**
 * Called once per invocation with all user records of the event, in stream order (not
 * called when there are none). Return a `BatchResult` to report failed records; throwing
 * fails the whole batch (the error is rethrown and Lambda retries the batch). Must be
 * idempotent: Lambda redelivers from the failed record's whole aggregate (see `kinesisHandler`).
 */
export type BatchHandler<TContext = LambdaContext> = (
  records: readonly KinesisUserRecord[],
  context: TContext,
) => BatchResult | void | Promise<BatchResult | void>;

/** The options every handler of this package takes. */
export interface CommonOptions {
  /**
   * Must equal the event source mapping's setting (`FunctionResponseTypes:
   * [ReportBatchItemFailures]`). Required: with `true` but the setting off, Lambda ignores the
   * response and checkpoints past failed records (data loss).
   */
  readonly reportBatchItemFailures: boolean;
  /** Called once per corrupt aggregate (passed through as one plain record). */
  readonly onCorrupt?: ((info: CorruptAggregateInfo) => void) | undefined;
  /** Called with the first failed user record of an invocation, whatever happens next. */
  readonly onFailure?: ((failure: RecordFailure) => void) | undefined;
  /** Receives `warn` for corrupt aggregates and `error` for failed user records. */
  readonly logger?: Logger | undefined;
}

/** Options of `kinesisHandler` in record mode (the default). */
export interface RecordModeOptions extends CommonOptions {
  /** `'record'`: your function is called once per user record. Default `'record'`. */
  readonly mode?: 'record' | undefined;
}

/** Options of `kinesisHandler` in batch mode. */
export interface BatchModeOptions extends CommonOptions {
  /** `'batch'`: your function is called once with all user records of the event. */
  readonly mode: 'batch';
}

export type KinesisHandlerOptions = RecordModeOptions | BatchModeOptions;

/** Defaults of the optional settings; `reportBatchItemFailures` has none on purpose. */
export const kinesisHandlerDefaults = {
  mode: 'record',
} as const satisfies Partial<KinesisHandlerOptions>;

/** The validated configuration, with the function typed by its mode. */
export type HandlerConfig<TContext> = CommonOptions &
  (
    | { readonly mode: 'record'; readonly fn: RecordHandler<TContext> }
    | { readonly mode: 'batch'; readonly fn: BatchHandler<TContext> }
  );

/** Checks the arguments of `kinesisHandler`; throws `INVALID_OPTIONS` on the first problem. */
export function resolveConfig<TContext>(fn: unknown, options: unknown): HandlerConfig<TContext> {
  const common = resolveCommonOptions(fn, options);
  const mode = (options as Record<string, unknown>)['mode'] ?? kinesisHandlerDefaults.mode;
  if (mode !== 'record' && mode !== 'batch') throw invalid(`mode must be 'record' or 'batch', got ${String(mode)}`);
  // The checks are all a runtime can make; the overloads tie `fn`'s type to `mode`.
  return { ...common, mode, fn } as HandlerConfig<TContext>;
}

/**
 * Checks the function and the options every handler shares; throws `INVALID_OPTIONS` on the
 * first problem. Returns only the shared options (a copy).
 */
export function resolveCommonOptions(fn: unknown, options: unknown): CommonOptions {
  if (typeof fn !== 'function') throw invalid('the first argument must be your handler function');
  if (typeof options !== 'object' || options === null) {
    throw invalid('options are required: at least { reportBatchItemFailures: true | false }');
  }
  const o = options as Record<string, unknown>;
  if (typeof o['reportBatchItemFailures'] !== 'boolean') {
    throw invalid('reportBatchItemFailures must be true or false, matching the event source mapping');
  }
  return { reportBatchItemFailures: o['reportBatchItemFailures'], ...resolveCallbacks(o) };
}

/** The callbacks and logger every handler takes. */
export type Callbacks = Pick<CommonOptions, 'onCorrupt' | 'onFailure' | 'logger'>;

/** Checks `onCorrupt`, `onFailure` and `logger`; throws `INVALID_OPTIONS` on the first problem. */
export function resolveCallbacks(options: Readonly<Record<string, unknown>>): Callbacks {
  for (const name of ['onCorrupt', 'onFailure'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw invalid(`${name} must be a function`);
  }
  if (options['logger'] !== undefined && !isLogger(options['logger'])) throw invalid('logger must have warn() and error() methods');
  const { onCorrupt, onFailure, logger } = options as Callbacks;
  return { onCorrupt, onFailure, logger };
}

function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const { warn, error } = value as Record<string, unknown>;
  return typeof warn === 'function' && typeof error === 'function';
}

/** A `LambdaHandlerError` `INVALID_OPTIONS`. */
export function invalid(message: string): LambdaHandlerError {
  return new LambdaHandlerError('INVALID_OPTIONS', message);
}
