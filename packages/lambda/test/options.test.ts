import { describe, expect, it } from 'vitest';
import { KinesisKitError, kinesisHandler, kinesisHandlerDefaults, LambdaHandlerError } from '../src/index.js';
import type { RecordHandler, RecordModeOptions } from '../src/index.js';

const noop: RecordHandler = () => undefined;

describe('kinesisHandler options', () => {
  it('defaults to record mode', () => {
    expect(kinesisHandlerDefaults).toEqual({ mode: 'record' });
  });

  it.each<[string, unknown, unknown]>([
    ['no options', noop, undefined],
    ['no reportBatchItemFailures', noop, {}],
    ['a string reportBatchItemFailures', noop, { reportBatchItemFailures: 'true' }],
    ['an unknown mode', noop, { reportBatchItemFailures: true, mode: 'parallel' }],
    ['an onCorrupt that is not a function', noop, { reportBatchItemFailures: true, onCorrupt: 'log' }],
    ['an onFailure that is not a function', noop, { reportBatchItemFailures: true, onFailure: {} }],
    ['a logger without error()', noop, { reportBatchItemFailures: true, logger: { warn: () => undefined } }],
    ['no function', undefined, { reportBatchItemFailures: true }],
  ])('throws INVALID_OPTIONS at construction for %s', (_name, fn, options) => {
    const create = (): unknown => kinesisHandler(fn as RecordHandler, options as RecordModeOptions);

    expect(create).toThrow(LambdaHandlerError);
    expect(create).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', retriable: false, name: 'LambdaHandlerError' }));
  });

  it('accepts console-shaped loggers', () => {
    const logger = { warn: (..._args: unknown[]) => undefined, error: (..._args: unknown[]) => undefined };

    expect(typeof kinesisHandler(noop, { reportBatchItemFailures: true, logger })).toBe('function');
  });
});

describe('LambdaHandlerError', () => {
  it('is a KinesisKitError with a stable code and a retriable flag', () => {
    const cause = new Error('root');
    const error = new LambdaHandlerError('BATCH_ITEM_FAILED', 'failed', { cause });

    expect(error).toBeInstanceOf(KinesisKitError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'LambdaHandlerError', code: 'BATCH_ITEM_FAILED', retriable: true, cause });
    expect(new LambdaHandlerError('INVALID_EVENT', 'bad').retriable).toBe(false);
    expect(new LambdaHandlerError('INVALID_OPTIONS', 'bad').retriable).toBe(false);
    expect(new LambdaHandlerError('INVALID_BATCH_RESULT', 'bad').retriable).toBe(false);
  });
});
