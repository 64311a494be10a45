/**
 * Base class of every error kinesis-kit throws or rejects with. `code` is stable and meant for
 * programs; `retriable` says whether the same operation may succeed if tried again.
 */
export class KinesisKitError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A user record or key that can never be encoded or sent, whatever is retried. */
export class InvalidRecordError extends KinesisKitError {
  constructor(code: InvalidRecordCode, message: string) {
    super(code, message, { retriable: false });
  }
}

export type InvalidRecordCode =
  | 'INVALID_PARTITION_KEY'
  | 'INVALID_EXPLICIT_HASH_KEY'
  | 'INVALID_DATA'
  | 'RECORD_TOO_LARGE';

/** An option outside its documented range (the kinesis-kit analogue of a RangeError). */
export class InvalidOptionError extends KinesisKitError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('INVALID_OPTION', `${option}: ${message}`, { retriable: false });
    this.option = option;
  }
}

/** A shard list that cannot form a shard map (overlapping or malformed hash key ranges). */
export class InvalidShardMapError extends KinesisKitError {
  constructor(message: string) {
    super('INVALID_SHARD_MAP', message, { retriable: false });
  }
}
