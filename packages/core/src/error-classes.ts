import { KinesisKitError } from '@kinesis-kit/aggregation';

/**
 * How an AWS error (by its name / code) should be treated. The one table every retry loop in
 * kinesis-kit consults; a name not listed is judged by its HTTP status (5xx: retriable).
 */
export type ErrorClass = 'throttled' | 'retriable' | 'fatal';

export const ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
  // Kinesis: per-shard or account throughput exceeded, per record or whole request.
  ProvisionedThroughputExceededException: 'throttled',
  // Kinesis: a control-plane rate limit (ListShards, DescribeStream, ...).
  LimitExceededException: 'throttled',
  // Generic AWS throttling names.
  ThrottlingException: 'throttled',
  Throttling: 'throttled',
  ThrottledException: 'throttled',
  TooManyRequestsException: 'throttled',
  RequestLimitExceeded: 'throttled',
  RequestThrottled: 'throttled',
  SlowDown: 'throttled',
  // Kinesis per-record failure and server-side errors.
  InternalFailure: 'retriable',
  InternalFailureException: 'retriable',
  InternalServerError: 'retriable',
  InternalServerErrorException: 'retriable',
  ServiceUnavailable: 'retriable',
  ServiceUnavailableException: 'retriable',
  // KMS-backed streams: transient KMS conditions.
  KMSThrottlingException: 'throttled',
  KMSInternalException: 'retriable',
  KMSInvalidStateException: 'retriable',
  // Iterators expire after 5 minutes; the caller must get a new one, then retry.
  ExpiredIteratorException: 'retriable',
  // Stream or shard changing state (resharding, consumer registering): try again later.
  ResourceInUseException: 'retriable',
  // Network and timeout errors surfaced by the SDK / Node.
  TimeoutError: 'retriable',
  RequestTimeout: 'retriable',
  RequestTimeoutException: 'retriable',
  ECONNRESET: 'retriable',
  ECONNREFUSED: 'retriable',
  EPIPE: 'retriable',
  ETIMEDOUT: 'retriable',
  ENOTFOUND: 'retriable',
  EAI_AGAIN: 'retriable',
  EHOSTUNREACH: 'retriable',
  ENETUNREACH: 'retriable',
  NetworkingError: 'retriable',
  // Requests that will fail the same way every time.
  ResourceNotFoundException: 'fatal',
  InvalidArgumentException: 'fatal',
  ValidationException: 'fatal',
  AccessDeniedException: 'fatal',
  UnrecognizedClientException: 'fatal',
  InvalidSignatureException: 'fatal',
  ExpiredTokenException: 'fatal',
  IncompleteSignature: 'fatal',
  KMSAccessDeniedException: 'fatal',
  KMSDisabledException: 'fatal',
  KMSNotFoundException: 'fatal',
  KMSOptInRequired: 'fatal',
  ConditionalCheckFailedException: 'fatal',
};

export interface ClassifiedError {
  readonly errorClass: ErrorClass;
  /** The AWS error name, Node error code, or `Unknown`. */
  readonly code: string;
  readonly message: string;
}

/** Classifies a per-record error code (PutRecords `ErrorCode`) or an error name. */
export function classifyCode(code: string, httpStatus?: number): ErrorClass {
  // Own properties only: a code such as `constructor` or `toString` is not in the table.
  if (Object.hasOwn(ERROR_CLASSES, code)) return ERROR_CLASSES[code]!;
  if (httpStatus === 429) return 'throttled';
  if (httpStatus !== undefined && httpStatus >= 500) return 'retriable';
  return 'fatal';
}

/**
 * Classifies anything thrown by an SDK call, a socket, or a timeout. kinesis-kit's own errors
 * (KinesisKitError) are classified by their `retriable` flag.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof KinesisKitError) {
    return { errorClass: error.retriable ? 'retriable' : 'fatal', code: error.code, message: error.message };
  }
  const candidate = (error ?? {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: { throttling?: boolean };
  };
  const nodeCode = typeof candidate.code === 'string' ? candidate.code : undefined;
  const name = typeof candidate.name === 'string' && candidate.name !== 'Error' ? candidate.name : undefined;
  const code = (nodeCode !== undefined && Object.hasOwn(ERROR_CLASSES, nodeCode) ? nodeCode : name) ?? nodeCode ?? 'Unknown';
  const status = typeof candidate.$metadata?.httpStatusCode === 'number' ? candidate.$metadata.httpStatusCode : undefined;
  const message = typeof candidate.message === 'string' ? candidate.message : String(error);
  let errorClass = classifyCode(code, status);
  if (errorClass === 'fatal' && candidate.$retryable?.throttling === true) errorClass = 'throttled';
  if (errorClass === 'fatal' && status === undefined && name === undefined && nodeCode === undefined) errorClass = 'retriable';
  return { errorClass, code, message };
}
