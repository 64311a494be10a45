import { ERROR_CLASSES, classifyError, type ClassifiedError, type ErrorClass } from '@kinesis-kit/core';

/*
 * How the producer judges Kinesis errors, on top of core's one table (ERROR_CLASSES). The
 * producer differs from other callers in one way that matters: every record it retries has a
 * deadline (recordTtl), so retrying an error that may or may not repeat costs at most the TTL,
 * where a caller without a deadline would loop. The differences therefore live here, not in core.
 */

/**
 * A PutRecords per-record ErrorCode. A code core's table knows keeps its class; an unknown one
 * is retried until the record's TTL. That is what the KPL does with every per-record error
 * (awslabs/amazon-kinesis-producer, aws/kinesis/core/retrier.cc, Retrier::handle_put_records_result:
 * anything but throttling under FailIfThrottled goes to retry_not_expired). The API documents only
 * ProvisionedThroughputExceededException and InternalFailure; a new code is far more likely a
 * transient server condition than a verdict on the record, which was validated at put().
 */
export function classifyRecordCode(code: string): ErrorClass {
  return Object.hasOwn(ERROR_CLASSES, code) ? ERROR_CLASSES[code]! : 'retriable';
}

/**
 * Answers about the request's signing time, not its content (SigV4 allows 5 minutes of skew).
 * Kinesis answers a skewed clock with InvalidSignatureException "Signature expired: ... is now
 * earlier than ..." (or "Signature not yet current"); other AWS services use the names below.
 */
const SKEW_NAMES: ReadonlySet<string> = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture']);
const SKEW_MESSAGE = /signature (expired|not yet current)/i;

/**
 * A whole-request failure (PutRecords or ListShards). Core's class, except two fatal-looking
 * answers that the next request can cure, retried (until the records' TTL):
 * - clock skew: the SDK v3 signer reads the server's Date header from the error answer, updates
 *   the client's `systemClockOffset` and marks the error `$metadata.clockSkewCorrected`
 *   (@aws-sdk/core AwsSdkSigV4Signer.errorHandler); the next request is signed with the corrected
 *   time. The SDK's own retry treats that mark as transient (@smithy/core isClockSkewCorrectedError).
 * - ExpiredTokenException: the SDK's credential providers refresh temporary credentials whose
 *   expiration is less than 5 minutes away (@smithy/core memoizeIdentityProvider, EXPIRATION_MS),
 *   so the next request carries fresh ones. With static credentials it repeats until the TTL and
 *   the record fails EXPIRED with causeCode ExpiredTokenException.
 * An InvalidSignatureException for any other reason (a wrong secret key) stays fatal.
 */
export function classifyRequestError(error: unknown): ClassifiedError {
  const classified = classifyError(error);
  if (classified.errorClass !== 'fatal') return classified;
  return curable(error, classified) ? { ...classified, errorClass: 'retriable' } : classified;
}

function curable(error: unknown, { code, message }: ClassifiedError): boolean {
  const metadata = (error as { $metadata?: { clockSkewCorrected?: unknown } } | null)?.$metadata;
  if (metadata?.clockSkewCorrected === true) return true;
  if (code === 'ExpiredTokenException' || SKEW_NAMES.has(code)) return true;
  return code === 'InvalidSignatureException' && SKEW_MESSAGE.test(message);
}

/**
 * Whole-request answers that may be about one record in the request, not the request as such
 * (e.g. a ValidationException naming `records.3.member.data`): the request is split in halves
 * and each sent again, so that only the bad record fails.
 */
const BISECTED: ReadonlySet<string> = new Set(['ValidationException', 'InvalidArgumentException', 'SerializationException']);

export function isBisectable(code: string): boolean {
  return BISECTED.has(code);
}
