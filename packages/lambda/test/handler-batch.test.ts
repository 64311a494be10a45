import { describe, expect, it, vi } from 'vitest';
import { deaggregateEvent, kinesisHandler, LambdaHandlerError } from '../src/index.js';
import type { BatchResult, KinesisStreamEvent, KinesisUserRecord } from '../src/index.js';
import { awsKinesisAggAggregate, ourAggregate, plain, user } from './fixtures/aggregates.js';
import { kinesisEvent, lambdaContext, sequenceNumberAt } from './fixtures/events.js';

// Kinesis record 0: plain "A"; record 1: aws-kinesis-agg aggregate B0..B2; record 2: our aggregate C0..C1.
function mixedEvent(): KinesisStreamEvent {
  return kinesisEvent([
    plain('pk-a', 'A'),
    awsKinesisAggAggregate([user('pk-b', 'B0'), user('pk-b', 'B1'), user('pk-e', 'B2')]),
    ourAggregate([user('pk-c', 'C0'), user('pk-d', 'C1')]),
  ]);
}

const texts = (records: readonly KinesisUserRecord[]): string[] => records.map((r) => r.data.toString('utf8'));

function byText(records: readonly KinesisUserRecord[], text: string): KinesisUserRecord {
  const found = records.find((r) => r.data.toString('utf8') === text);
  if (found === undefined) throw new Error(`no record ${text}`);
  return found;
}

describe('kinesisHandler, batch mode', () => {
  it('calls the function once with every user record, in stream order', async () => {
    const calls: string[][] = [];

    const response = await kinesisHandler(
      (records) => {
        calls.push(texts(records));
      },
      { mode: 'batch', reportBatchItemFailures: true },
    )(mixedEvent(), lambdaContext());

    expect(calls).toEqual([['A', 'B0', 'B1', 'B2', 'C0', 'C1']]);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('reports the parent of the earliest failed record, whatever order failures are listed in', async () => {
    const error = new Error('B1 failed');
    const onFailure = vi.fn();
    const handler = kinesisHandler(
      async (records): Promise<BatchResult> => ({
        failures: [{ record: byText(records, 'C1') }, { record: byText(records, 'B1'), error }, { record: byText(records, 'B2') }],
      }),
      { mode: 'batch', reportBatchItemFailures: true, onFailure },
    );

    const response = await handler(mixedEvent(), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(onFailure.mock.calls[0]?.[0]).toMatchObject({ error, record: { subSequenceNumber: 1, sequenceNumber: sequenceNumberAt(1) } });
  });

  it('accepts a copy of a record, matching it by sequence and sub-sequence number', async () => {
    const response = await kinesisHandler((records) => ({ failures: [{ record: { ...byText(records, 'C0') } }] }), {
      mode: 'batch',
      reportBatchItemFailures: true,
    })(mixedEvent(), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(2) }] });
  });

  it('treats an empty failures list as success', async () => {
    await expect(
      kinesisHandler(() => ({ failures: [] }), { mode: 'batch', reportBatchItemFailures: true })(mixedEvent(), lambdaContext()),
    ).resolves.toEqual({ batchItemFailures: [] });
  });

  it('without reportBatchItemFailures, turns a reported failure into a retriable BATCH_ITEM_FAILED error', async () => {
    const cause = new Error('downstream unavailable');
    const handler = kinesisHandler((records) => ({ failures: [{ record: byText(records, 'B0'), error: cause }] }), {
      mode: 'batch',
      reportBatchItemFailures: false,
    });

    const error: unknown = await handler(mixedEvent(), lambdaContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LambdaHandlerError);
    expect(error).toMatchObject({ code: 'BATCH_ITEM_FAILED', retriable: true, cause });
    expect((error as Error).message).toContain(`${sequenceNumberAt(1)}/0`);
  });

  it.each([true, false])('rethrows an error thrown by the function unchanged (reportBatchItemFailures: %s)', async (report) => {
    const thrown = new Error('whole batch failed');
    const handler = kinesisHandler(
      async () => {
        throw thrown;
      },
      { mode: 'batch', reportBatchItemFailures: report },
    );

    await expect(handler(mixedEvent(), lambdaContext())).rejects.toBe(thrown);
  });

  it('rejects with INVALID_BATCH_RESULT when a failure names a record from another batch', async () => {
    const stranger = { ...byText(deaggregateEvent(mixedEvent()), 'A'), sequenceNumber: '1' };
    const handler = kinesisHandler(() => ({ failures: [{ record: stranger }] }), { mode: 'batch', reportBatchItemFailures: true });

    await expect(handler(mixedEvent(), lambdaContext())).rejects.toMatchObject({ code: 'INVALID_BATCH_RESULT', retriable: false });
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['an object without failures', { failed: [] }],
    ['a failure without a record', { failures: [{ error: new Error('x') }] }],
  ])('rejects with INVALID_BATCH_RESULT when the function returns %s', async (_name, result) => {
    const handler = kinesisHandler(() => result as unknown as BatchResult, { mode: 'batch', reportBatchItemFailures: true });

    await expect(handler(mixedEvent(), lambdaContext())).rejects.toMatchObject({ code: 'INVALID_BATCH_RESULT', retriable: false });
  });

  it('does not call the function when there are no user records', async () => {
    const fn = vi.fn();

    await expect(kinesisHandler(fn, { mode: 'batch', reportBatchItemFailures: true })({ Records: [] }, lambdaContext())).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('passes the Lambda context through untouched', async () => {
    const context = lambdaContext();
    let seen: unknown;

    await kinesisHandler(
      (_records, ctx) => {
        seen = ctx;
      },
      { mode: 'batch', reportBatchItemFailures: false },
    )(mixedEvent(), context);

    expect(seen).toBe(context);
  });
});
