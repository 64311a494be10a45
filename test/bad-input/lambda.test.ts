// Bad input to the Lambda helper: the rows of docs/errors.md whose component is lambda.
import { aggregate } from '@kinesis-kit/aggregation';
import type { LogFields, Logger } from '@kinesis-kit/core';
import { kinesisHandler, LambdaHandlerError, type CorruptAggregateInfo, type KinesisUserRecord } from '@kinesis-kit/lambda';
import { describe, expect, it } from 'vitest';
import { kinesisEvent, lambdaContext } from '../../packages/lambda/test/fixtures/events.js';

const encoder = new TextEncoder();

describe('bad input: lambda', () => {
  it('corrupt aggregate (lambda)', async () => {
    const [valid] = aggregate([
      { partitionKey: 'a', data: encoder.encode('member-1') },
      { partitionKey: 'b', data: encoder.encode('member-2') },
    ]);
    const corrupt = Uint8Array.from(valid!.data);
    corrupt[corrupt.length - 1]! ^= 0xff; // break the MD5 trailer
    const event = kinesisEvent([
      { partitionKey: 'k', data: encoder.encode('before') },
      { partitionKey: 'k', data: corrupt },
      { partitionKey: 'k', data: encoder.encode('after') },
    ]);
    const seen: KinesisUserRecord[] = [];
    const reported: CorruptAggregateInfo[] = [];
    const warnings: [string, LogFields | undefined][] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m, f) => void warnings.push([m, f]), error: () => undefined };
    const handler = kinesisHandler((record) => void seen.push(record), { reportBatchItemFailures: true, onCorrupt: (info) => reported.push(info), logger });

    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(seen.map((r) => r.data)).toEqual([Buffer.from('before'), Buffer.from(corrupt), Buffer.from('after')]);
    expect(seen[1]).toMatchObject({ aggregated: false, subSequenceNumber: 0 });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ sequenceNumber: seen[1]!.sequenceNumber, reason: expect.any(String) as string });
    expect(warnings).toHaveLength(1);
  });

  it('not a Kinesis event (lambda)', async () => {
    const handler = kinesisHandler(() => undefined, { reportBatchItemFailures: true });
    const error = await handler({ Records: [{ eventSource: 'aws:sqs' }] } as never, lambdaContext()).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaHandlerError);
    expect(error).toMatchObject({ code: 'INVALID_EVENT', retriable: false });
  });
});
