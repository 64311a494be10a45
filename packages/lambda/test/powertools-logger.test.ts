// Issue 9: the `logger` option must take Powertools' Logger. test/types/powertools-logger.ts
// proves the types; this runs a real one through the handler.
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { kinesisHandler } from '../src/index.js';
import { ourAggregate, user, withBadMd5 } from './fixtures/aggregates.js';
import { kinesisEvent, lambdaContext, sequenceNumberAt } from './fixtures/events.js';

describe('a Powertools Logger as the logger option', () => {
  it('is accepted and receives the corrupt aggregate and the failed record with their details', async () => {
    const logger = new Logger({ serviceName: 'orders', logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const error = vi.spyOn(logger, 'error');
    const event = kinesisEvent([withBadMd5(ourAggregate([user('k', 'x'), user('k', 'y')])), ourAggregate([user('k', 'ok'), user('k', 'bad')])]);
    const handler = kinesisHandler(
      (record) => {
        if (record.data.toString() === 'bad') throw new Error('bad record');
      },
      { reportBatchItemFailures: true, logger },
    );

    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
    expect(warn).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ reason: 'md5-mismatch', sequenceNumber: sequenceNumberAt(0) }));
    expect(error).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ sequenceNumber: sequenceNumberAt(1), subSequenceNumber: 1 }));
  });
});
