import { describe, expect, it, vi } from 'vitest';
import { kinesisHandler } from '../src/index.js';
import type { KinesisStreamEvent, KinesisUserRecord, RecordFailure } from '../src/index.js';
import {
  awsKinesisAggAggregate,
  malformedProtobuf,
  ourAggregate,
  plain,
  user,
  withBadMd5,
} from './fixtures/aggregates.js';
import { kinesisEvent, lambdaContext, sequenceNumberAt } from './fixtures/events.js';

// Kinesis record 0: plain "A"; record 1: our aggregate of B0..B3; record 2: plain "C".
function eventWithAggregateInTheMiddle(): KinesisStreamEvent {
  return kinesisEvent([
    plain('pk-a', 'A'),
    ourAggregate([user('pk-b', 'B0'), user('pk-b', 'B1'), user('pk-c', 'B2'), user('pk-d', 'B3')]),
    plain('pk-c', 'C'),
  ]);
}

/** A user function that records what it was given and fails on the records named in `failOn`. */
function recordingFunction(failOn: readonly string[] = []): {
  fn: (record: KinesisUserRecord) => Promise<void>;
  invoked: string[];
  errors: Map<string, Error>;
} {
  const invoked: string[] = [];
  const errors = new Map(failOn.map((text) => [text, new Error(`cannot process ${text}`)]));
  const fn = async (record: KinesisUserRecord): Promise<void> => {
    await Promise.resolve();
    const text = record.data.toString('utf8');
    invoked.push(text);
    const error = errors.get(text);
    if (error !== undefined) throw error;
  };
  return { fn, invoked, errors };
}

describe('kinesisHandler, record mode', () => {
  it('calls the function once per user record, in stream order, and reports success', async () => {
    const event = kinesisEvent([
      plain('pk-1', 'plain-1'),
      ourAggregate([user('pk-2', 'ours-0'), user('pk-3', 'ours-1')]),
      awsKinesisAggAggregate([user('pk-4', 'agg-0'), user('pk-5', 'agg-1'), user('pk-4', 'agg-2')]),
      plain('pk-6', 'plain-2'),
    ]);
    const { fn, invoked } = recordingFunction();

    const response = await kinesisHandler(fn, { reportBatchItemFailures: true })(event, lambdaContext());

    expect(invoked).toEqual(['plain-1', 'ours-0', 'ours-1', 'agg-0', 'agg-1', 'agg-2', 'plain-2']);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('processes one record at a time: the next starts only after the previous settled', async () => {
    const event = kinesisEvent([ourAggregate([user('k', '1'), user('k', '2'), user('k', '3')])]);
    const timeline: string[] = [];
    const fn = async (record: KinesisUserRecord): Promise<void> => {
      timeline.push(`start ${record.data.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      timeline.push(`end ${record.data.toString()}`);
    };

    await kinesisHandler(fn, { reportBatchItemFailures: false })(event, lambdaContext());

    expect(timeline).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('on a failure inside an aggregate, reports the aggregate and stops; redelivery repeats earlier members', async () => {
    const first = recordingFunction(['B2']);
    const onFailure = vi.fn<(failure: RecordFailure) => void>();
    const logger = { warn: vi.fn(), error: vi.fn() };
    const handler = kinesisHandler(first.fn, { reportBatchItemFailures: true, onFailure, logger });

    const response = await handler(eventWithAggregateInTheMiddle(), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
    expect(first.invoked).toEqual(['A', 'B0', 'B1', 'B2']);
    expect(onFailure).toHaveBeenCalledTimes(1);
    const failure = onFailure.mock.calls[0]?.[0];
    expect(failure?.error).toBe(first.errors.get('B2'));
    expect(failure?.record).toMatchObject({ sequenceNumber: sequenceNumberAt(1), subSequenceNumber: 2, partitionKey: 'pk-c' });
    expect(logger.error).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ sequenceNumber: sequenceNumberAt(1), subSequenceNumber: 2, error: first.errors.get('B2') }),
    );

    // Lambda resumes from the reported Kinesis record: the whole aggregate comes back.
    const redelivered = { Records: eventWithAggregateInTheMiddle().Records.slice(1) };
    const second = recordingFunction();
    const retry = await kinesisHandler(second.fn, { reportBatchItemFailures: true })(redelivered, lambdaContext());

    expect(retry).toEqual({ batchItemFailures: [] });
    expect(second.invoked).toEqual(['B0', 'B1', 'B2', 'B3', 'C']);
  });

  it('reports a failed plain record by its own sequence number', async () => {
    const { fn, invoked } = recordingFunction(['C']);

    const response = await kinesisHandler(fn, { reportBatchItemFailures: true })(
      eventWithAggregateInTheMiddle(),
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(2) }] });
    expect(invoked).toEqual(['A', 'B0', 'B1', 'B2', 'B3', 'C']);
  });

  it('reports only the first failure, even when later records would fail too', async () => {
    const { fn, invoked } = recordingFunction(['A', 'B1', 'C']);

    const response = await kinesisHandler(fn, { reportBatchItemFailures: true })(
      eventWithAggregateInTheMiddle(),
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(0) }] });
    expect(invoked).toEqual(['A']);
  });

  it('without reportBatchItemFailures, rethrows the function’s own error and stops', async () => {
    const { fn, invoked, errors } = recordingFunction(['B1']);
    const onFailure = vi.fn();
    const handler = kinesisHandler(fn, { reportBatchItemFailures: false, onFailure });

    await expect(handler(eventWithAggregateInTheMiddle(), lambdaContext())).rejects.toBe(errors.get('B1'));
    expect(invoked).toEqual(['A', 'B0', 'B1']);
    expect(onFailure).toHaveBeenCalledWith(expect.objectContaining({ error: errors.get('B1') }));
  });

  it('without reportBatchItemFailures, returns nothing on success', async () => {
    const { fn } = recordingFunction();

    await expect(kinesisHandler(fn, { reportBatchItemFailures: false })(eventWithAggregateInTheMiddle(), lambdaContext()))
      .resolves.toBeUndefined();
  });

  it('rethrows non-Error values unchanged', async () => {
    const handler = kinesisHandler(
      () => {
        throw 'plain string';
      },
      { reportBatchItemFailures: false },
    );

    await expect(handler(kinesisEvent([plain('k', 'v')]), lambdaContext())).rejects.toBe('plain string');
  });

  it('also catches synchronous throws and reports them', async () => {
    const handler = kinesisHandler(
      (record) => {
        if (record.subSequenceNumber === 1) throw new Error('sync failure');
      },
      { reportBatchItemFailures: true },
    );

    const response = await handler(eventWithAggregateInTheMiddle(), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
  });

  it('does not call the function for an empty event', async () => {
    const fn = vi.fn();

    await expect(kinesisHandler(fn, { reportBatchItemFailures: true })({ Records: [] }, lambdaContext())).resolves.toEqual({
      batchItemFailures: [],
    });
    await expect(kinesisHandler(fn, { reportBatchItemFailures: false })({ Records: [] }, lambdaContext())).resolves.toBeUndefined();
    expect(fn).not.toHaveBeenCalled();
  });

  it('hands over corrupt aggregates as one plain record with the whole data, and reports them', async () => {
    const corrupt = withBadMd5(ourAggregate([user('k1', 'x'), user('k2', 'y')]));
    const event = kinesisEvent([plain('pk', 'before'), corrupt, malformedProtobuf('a')]);
    const received: KinesisUserRecord[] = [];
    const onCorrupt = vi.fn();
    const logger = { warn: vi.fn(), error: vi.fn() };

    const response = await kinesisHandler((record) => void received.push(record), {
      reportBatchItemFailures: true,
      onCorrupt,
      logger,
    })(event, lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(received.map((r) => [r.sequenceNumber, r.aggregated])).toEqual([
      [sequenceNumberAt(0), false],
      [sequenceNumberAt(1), false],
      [sequenceNumberAt(2), false],
    ]);
    expect(received[1]?.data.equals(Buffer.from(corrupt.data))).toBe(true);
    expect(onCorrupt.mock.calls.map(([info]) => [info.sequenceNumber, info.reason])).toEqual([
      [sequenceNumberAt(1), 'md5-mismatch'],
      [sequenceNumberAt(2), 'malformed-protobuf'],
    ]);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('passes the Lambda context through untouched', async () => {
    const context = lambdaContext();
    const seen: unknown[] = [];

    await kinesisHandler((_record, ctx) => void seen.push(ctx), { reportBatchItemFailures: false })(
      kinesisEvent([plain('k', '1'), plain('k', '2')]),
      context,
    );

    expect(seen).toEqual([context, context]);
    expect(seen[0]).toBe(context);
  });

  it('rejects with INVALID_EVENT when the event is not from Kinesis, without calling the function', async () => {
    const fn = vi.fn();
    const sqsEvent = { Records: [{ messageId: 'm1', body: '{}', eventSource: 'aws:sqs' }] } as unknown as KinesisStreamEvent;

    await expect(kinesisHandler(fn, { reportBatchItemFailures: true })(sqsEvent, lambdaContext())).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      retriable: false,
    });
    expect(fn).not.toHaveBeenCalled();
  });
});
