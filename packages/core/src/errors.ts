import { KinesisKitError } from '@kinesis-kit/aggregation';

export { InvalidRecordError, KinesisKitError, type InvalidRecordCode } from '@kinesis-kit/aggregation';

/** One try of an operation, as results and errors report it. */
export interface Attempt {
  /** Epoch milliseconds when the attempt started. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Present when the attempt failed. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** An option or combination of options that cannot work; thrown at construction. */
export class ConfigurationError extends KinesisKitError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/**
 * An operation failed for good: `RETRIES_EXHAUSTED` when it ran out of attempts or time
 * (trying again later may work), `NON_RETRIABLE` when the failure will repeat. `cause` is the
 * last failure and `causeCode` its AWS / Node code; `attempts` lists every try.
 */
export class OperationFailedError extends KinesisKitError {
  readonly attempts: readonly Attempt[];
  readonly causeCode: string;

  constructor(code: 'RETRIES_EXHAUSTED' | 'NON_RETRIABLE', message: string, attempts: readonly Attempt[], causeCode: string, cause: unknown) {
    super(code, message, { retriable: code === 'RETRIES_EXHAUSTED', cause });
    this.attempts = attempts;
    this.causeCode = causeCode;
  }
}

/** The caller aborted (AbortSignal) or the component was closed. */
export class AbortedError extends KinesisKitError {
  constructor(message = 'operation aborted', cause?: unknown) {
    super('ABORTED', message, { cause });
  }
}
