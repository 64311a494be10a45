import { describe, expect, it, vi } from 'vitest';
import { kinesisHandler, kinesisWindowHandler, LambdaHandlerError, WINDOW_STATE_LIMIT_BYTES } from '../src/index.js';
import type { KinesisStreamTumblingWindowEvent, KinesisUserRecord, TumblingWindow, WindowResult } from '../src/index.js';
import { awsKinesisAggAggregate, ourAggregate, plain, user } from './fixtures/aggregates.js';
import type { PutRecord } from './fixtures/events.js';
import { STREAM_ARN, SHARD_ID, WINDOW, lambdaContext, sequenceNumberAt, windowEvent } from './fixtures/events.js';

/** Records per partition key, the aggregation of the AWS developer guide's tumbling-window example. */
type Counts = Record<string, number>;

const texts = (records: readonly KinesisUserRecord[]): string[] => records.map((r) => r.data.toString('utf8'));

/**
 * Counts user records per partition key, as docs/lambda.md advises: the state is committed only
 * at the end of each Kinesis record, so a failure inside an aggregate returns the state from
 * before the aggregate, which is where Lambda resumes.
 */
function countPerKey(failOn?: string) {
  return (records: readonly KinesisUserRecord[], window: TumblingWindow<Counts>): WindowResult<Counts> => {
    let committed = window.state;
    let pending = committed;
    for (const [index, record] of records.entries()) {
      if (record.data.toString('utf8') === failOn) return { state: committed, failures: [{ record, error: new Error(`cannot count ${failOn}`) }] };
      pending = { ...pending, [record.partitionKey]: (pending[record.partitionKey] ?? 0) + 1 };
      if (records[index + 1]?.sequenceNumber !== record.sequenceNumber) committed = pending;
    }
    return { state: committed };
  };
}

// Kinesis record 0: plain; 1: our aggregate of three; 2: aws-kinesis-agg aggregate of two.
const PUT: readonly PutRecord[] = [
  plain('pk-a', 'A'),
  ourAggregate([user('pk-b', 'B0'), user('pk-a', 'B1'), user('pk-b', 'B2')]),
  awsKinesisAggAggregate([user('pk-c', 'C0'), user('pk-a', 'C1')]),
];

describe('kinesisWindowHandler', () => {
  it('gives the function de-aggregated records, the window and its state, and answers { state, batchItemFailures }', async () => {
    let seen: { texts: string[]; window: TumblingWindow<Counts> } | undefined;
    const handler = kinesisWindowHandler<Counts>(
      (records, window) => {
        seen = { texts: texts(records), window };
        return countPerKey()(records, window);
      },
      { reportBatchItemFailures: true, initialState: () => ({}) },
    );

    const response = await handler(windowEvent(PUT, { state: { 'pk-a': 10 } }), lambdaContext());

    expect(seen?.texts).toEqual(['A', 'B0', 'B1', 'B2', 'C0', 'C1']);
    expect(seen?.window).toEqual({
      start: WINDOW.start,
      end: WINDOW.end,
      state: { 'pk-a': 10 },
      isFinalInvokeForWindow: false,
      isWindowTerminatedEarly: false,
      shardId: SHARD_ID,
      eventSourceARN: STREAM_ARN,
    });
    expect(response).toEqual({ state: { 'pk-a': 13, 'pk-b': 2, 'pk-c': 1 }, batchItemFailures: [] });
  });

  it('carries the state from one invocation of a window to the next, as Lambda does, and delivers it on the final one', async () => {
    const finals: Counts[] = [];
    const handler = kinesisWindowHandler<Counts>(
      (records, window) => {
        if (window.isFinalInvokeForWindow) finals.push(window.state);
        return countPerKey()(records, window);
      },
      { reportBatchItemFailures: false, initialState: () => ({}) },
    );

    const first = await handler(windowEvent(PUT.slice(0, 2)), lambdaContext());
    const second = await handler(windowEvent(PUT.slice(2), { state: first.state, firstSequenceNumber: 100n }), lambdaContext());
    // The final invocation of a window may come with no records.
    const last = await handler(windowEvent([], { state: second.state, isFinalInvokeForWindow: true }), lambdaContext());

    expect(finals).toEqual([{ 'pk-a': 3, 'pk-b': 2, 'pk-c': 1 }]);
    expect(last).toEqual({ state: { 'pk-a': 3, 'pk-b': 2, 'pk-c': 1 }, batchItemFailures: [] });
  });

  it.each([
    ['no state', undefined],
    ['an empty state', {}],
  ])('starts a window from initialState() when Lambda sends %s', async (_name, state) => {
    const fn = vi.fn((_records: readonly KinesisUserRecord[], window: TumblingWindow<{ total: number }>) => ({ state: window.state }));
    const event: KinesisStreamTumblingWindowEvent = { ...windowEvent([plain('k', 'x')]), state };

    const response = await kinesisWindowHandler(fn, { reportBatchItemFailures: true, initialState: () => ({ total: 0 }) })(event, lambdaContext());

    expect(fn.mock.calls[0]?.[1].state).toEqual({ total: 0 });
    expect(response.state).toEqual({ total: 0 });
  });

  it('passes isWindowTerminatedEarly through', async () => {
    let early: boolean | undefined;
    const handler = kinesisWindowHandler<Counts>(
      (_records, window) => {
        early = window.isWindowTerminatedEarly;
        return { state: window.state };
      },
      { reportBatchItemFailures: true, initialState: () => ({}) },
    );

    await handler(windowEvent([], { isFinalInvokeForWindow: true, isWindowTerminatedEarly: true }), lambdaContext());

    expect(early).toBe(true);
  });

  it('reports the parent of a failed aggregate member next to the state from before it; the retry counts every record once', async () => {
    const onFailure = vi.fn();
    const failing = kinesisWindowHandler(countPerKey('B1'), { reportBatchItemFailures: true, initialState: () => ({}), onFailure });

    const response = await failing(windowEvent(PUT), lambdaContext());

    expect(response).toEqual({ state: { 'pk-a': 1 }, batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
    expect(onFailure).toHaveBeenCalledWith(expect.objectContaining({ record: expect.objectContaining({ subSequenceNumber: 1 }) }));
    // Lambda resumes from the reported Kinesis record, with the state the response carried.
    const retried = windowEvent(PUT.slice(1), { state: response.state, firstSequenceNumber: BigInt(sequenceNumberAt(1)) });
    const healed = kinesisWindowHandler(countPerKey(), { reportBatchItemFailures: true, initialState: () => ({}) });
    await expect(healed(retried, lambdaContext())).resolves.toEqual({ state: { 'pk-a': 3, 'pk-b': 2, 'pk-c': 1 }, batchItemFailures: [] });
  });

  it('reports the earliest failure, whatever order the failures are listed in', async () => {
    const handler = kinesisWindowHandler<Counts>(
      (records, window) => ({ state: window.state, failures: [...records].reverse().slice(0, 4).map((record) => ({ record })) }),
      { reportBatchItemFailures: true, initialState: () => ({}) },
    );

    const response = await handler(windowEvent(PUT), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: sequenceNumberAt(1) }]);
  });

  it('without reportBatchItemFailures, turns a reported failure into a retriable BATCH_ITEM_FAILED error', async () => {
    const handler = kinesisWindowHandler(countPerKey('C0'), { reportBatchItemFailures: false, initialState: () => ({}) });

    await expect(handler(windowEvent(PUT), lambdaContext())).rejects.toMatchObject({ code: 'BATCH_ITEM_FAILED', retriable: true });
  });

  it('rethrows an error thrown by the function unchanged', async () => {
    const thrown = new Error('state store unavailable');
    const handler = kinesisWindowHandler<Counts>(
      () => {
        throw thrown;
      },
      { reportBatchItemFailures: true, initialState: () => ({}) },
    );

    await expect(handler(windowEvent(PUT), lambdaContext())).rejects.toBe(thrown);
  });

  it.each<[string, unknown]>([
    ['nothing', undefined],
    ['no state', { failures: [] }],
    ['an array state', { state: [1, 2] }],
    ['a string state', { state: 'count=3' }],
    ['a state JSON cannot carry', { state: { total: 1n } }],
    ['failures that are not a list', { state: {}, failures: 'B1' }],
  ])('rejects with INVALID_BATCH_RESULT when the function returns %s', async (_name, result) => {
    const handler = kinesisWindowHandler<Counts>(() => result as WindowResult<Counts>, { reportBatchItemFailures: true, initialState: () => ({}) });

    await expect(handler(windowEvent(PUT), lambdaContext())).rejects.toMatchObject({ code: 'INVALID_BATCH_RESULT', retriable: false });
  });

  it('warns, and still answers, when the state is over the 1 MB Lambda keeps', async () => {
    const logger = { warn: vi.fn(), error: vi.fn() };
    const big = { blob: 'x'.repeat(WINDOW_STATE_LIMIT_BYTES) };
    const handler = kinesisWindowHandler<{ blob: string }>(() => ({ state: big }), {
      reportBatchItemFailures: true,
      initialState: () => ({ blob: '' }),
      logger,
    });

    await expect(handler(windowEvent(PUT), lambdaContext())).resolves.toEqual({ state: big, batchItemFailures: [] });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('1 MB'), expect.objectContaining({ limitBytes: WINDOW_STATE_LIMIT_BYTES }));
  });

  it.each<[string, unknown]>([
    ['no window (no TumblingWindowInSeconds on the mapping)', { Records: [] }],
    ['a window without an end', { ...windowEvent([]), window: { start: WINDOW.start } }],
    ['a non-boolean isFinalInvokeForWindow', { ...windowEvent([]), isFinalInvokeForWindow: 'true' }],
    ['an array state', { ...windowEvent([]), state: [1] }],
  ])('rejects with INVALID_EVENT an event with %s', async (_name, event) => {
    const fn = vi.fn();
    const handler = kinesisWindowHandler(fn, { reportBatchItemFailures: true, initialState: () => ({}) });

    await expect(handler(event as KinesisStreamTumblingWindowEvent, lambdaContext())).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      retriable: false,
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it.each<[string, unknown]>([
    ['no initialState', { reportBatchItemFailures: true }],
    ['an initialState that is not a function', { reportBatchItemFailures: true, initialState: {} }],
    ['no reportBatchItemFailures', { initialState: () => ({}) }],
  ])('throws INVALID_OPTIONS at construction for %s', (_name, options) => {
    const create = (): unknown => kinesisWindowHandler(() => ({ state: {} }), options as never);

    expect(create).toThrow(LambdaHandlerError);
    expect(create).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', retriable: false }));
  });
});

describe('kinesisHandler given a tumbling-window event', () => {
  // Issue 9: it answered { batchItemFailures: [] } without `state`, which Lambda counts as a
  // failed invocation, so every batch was retried until it was discarded, with no word why.
  it('rejects it with INVALID_EVENT naming kinesisWindowHandler instead of answering without state', async () => {
    const fn = vi.fn();
    const handler = kinesisHandler(fn, { reportBatchItemFailures: true });

    const error: unknown = await handler(windowEvent(PUT), lambdaContext()).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'INVALID_EVENT', retriable: false });
    expect((error as Error).message).toContain('kinesisWindowHandler');
    expect(fn).not.toHaveBeenCalled();
  });
});
