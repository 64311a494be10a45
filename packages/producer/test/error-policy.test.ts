import { describe, expect, it } from 'vitest';
import { classifyRecordCode, classifyRequestError, isBisectable } from '../src/error-policy.js';

const sdkError = (name: string, message = `injected ${name}`, metadata: Record<string, unknown> = { httpStatusCode: 400 }): Error =>
  Object.assign(new Error(message), { name, $metadata: metadata });

describe('the producer\'s error policy', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 'throttled'],
    ['InternalFailure', 'retriable'],
    ['KMSAccessDeniedException', 'fatal'],
    ['SomeFutureTransientError', 'retriable'],
    ['constructor', 'retriable'], // not a key of the table, though every object has it
  ])('per-record code %s is %s', (code, expected) => {
    expect(classifyRecordCode(code)).toBe(expected);
  });

  it.each([
    ['InvalidSignatureException', 'Signature expired: 20261202T070000Z is now earlier than 20261202T071000Z', {}, 'retriable'],
    ['InvalidSignatureException', 'Signature not yet current: 20261202T080000Z is still later than 20261202T071000Z', {}, 'retriable'],
    ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', {}, 'fatal'],
    ['InvalidSignatureException', 'anything', { clockSkewCorrected: true }, 'retriable'],
    ['RequestTimeTooSkewed', 'too skewed', {}, 'retriable'],
    ['RequestExpired', 'expired', {}, 'retriable'],
    ['ExpiredTokenException', 'The security token included in the request is expired', {}, 'retriable'],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', {}, 'fatal'],
    ['AccessDeniedException', 'denied', {}, 'fatal'],
    ['ResourceNotFoundException', 'gone', {}, 'fatal'],
    ['ProvisionedThroughputExceededException', 'slow down', {}, 'throttled'],
  ])('request error %s (%s, %o) is %s', (name, message, metadata, expected) => {
    expect(classifyRequestError(sdkError(name, message, { httpStatusCode: 400, ...metadata }))).toMatchObject({ code: name, errorClass: expected });
  });

  it.each([
    ['ValidationException', true],
    ['InvalidArgumentException', true],
    ['SerializationException', true],
    ['ResourceNotFoundException', false],
    ['AccessDeniedException', false],
  ])('a whole request refused with %s is bisected: %s', (code, expected) => {
    expect(isBisectable(code)).toBe(expected);
  });
});
