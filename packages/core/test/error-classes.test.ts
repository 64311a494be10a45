import { describe, expect, it } from 'vitest';
import { KinesisKitError, classifyCode, classifyError, type ErrorClass } from '../src/index.js';

describe('classifyCode', () => {
  it.each<[string, number | undefined, ErrorClass]>([
    ['ProvisionedThroughputExceededException', undefined, 'throttled'],
    ['LimitExceededException', undefined, 'throttled'],
    ['ThrottlingException', undefined, 'throttled'],
    ['KMSThrottlingException', undefined, 'throttled'],
    ['InternalFailure', undefined, 'retriable'],
    ['ServiceUnavailable', 503, 'retriable'],
    ['ExpiredIteratorException', 400, 'retriable'],
    ['ResourceInUseException', 400, 'retriable'],
    ['ECONNRESET', undefined, 'retriable'],
    ['TimeoutError', undefined, 'retriable'],
    ['ResourceNotFoundException', 400, 'fatal'],
    ['InvalidArgumentException', 400, 'fatal'],
    ['AccessDeniedException', 400, 'fatal'],
    ['UnrecognizedClientException', 400, 'fatal'],
    ['ConditionalCheckFailedException', 400, 'fatal'],
    ['SomethingNew', 500, 'retriable'],
    ['SomethingNew', 429, 'throttled'],
    ['SomethingNew', 400, 'fatal'],
    ['SomethingNew', undefined, 'fatal'],
  ])('%s (HTTP %s) is %s', (code, status, expected) => {
    expect(classifyCode(code, status)).toBe(expected);
  });

  it('looks up codes that are names of Object.prototype members by HTTP status, not as table entries', () => {
    for (const code of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(classifyCode(code, 503)).toBe('retriable');
      expect(classifyCode(code, 400)).toBe('fatal');
    }
  });
});

describe('classifyError', () => {
  it('reads the SDK error name and HTTP status', () => {
    const sdkError = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyError(sdkError)).toEqual({ errorClass: 'throttled', code: 'ProvisionedThroughputExceededException', message: 'Rate exceeded' });
  });

  it('prefers a known Node network code over a generic name', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyError(reset)).toMatchObject({ errorClass: 'retriable', code: 'ECONNRESET' });
  });

  it('treats an unknown 5xx as retriable and an SDK throttling hint as throttled', () => {
    expect(classifyError(Object.assign(new Error('x'), { name: 'Weird', $metadata: { httpStatusCode: 502 } })).errorClass).toBe('retriable');
    expect(classifyError(Object.assign(new Error('x'), { name: 'Weird', $retryable: { throttling: true } })).errorClass).toBe('throttled');
  });

  it("classifies kinesis-kit's own errors by their retriable flag", () => {
    expect(classifyError(new KinesisKitError('SUBSCRIPTION_STALLED', 'quiet', { retriable: true }))).toEqual({
      errorClass: 'retriable',
      code: 'SUBSCRIPTION_STALLED',
      message: 'quiet',
    });
    expect(classifyError(new KinesisKitError('STREAM_CONSUMER_LIMIT', 'full')).errorClass).toBe('fatal');
  });

  it('treats a bare Error with no name, code or status as retriable (network-like)', () => {
    expect(classifyError(new Error('boom'))).toMatchObject({ errorClass: 'retriable', code: 'Unknown' });
    expect(classifyError(undefined)).toMatchObject({ errorClass: 'retriable', code: 'Unknown' });
  });
});
