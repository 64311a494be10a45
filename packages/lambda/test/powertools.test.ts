// End to end with the real @aws-lambda-powertools/batch: processPartialResponse drives our
// processor exactly as it drives its own BatchProcessor in a Lambda function.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BatchProcessor, EventType, FullBatchFailureError, processPartialResponse, processPartialResponseSync } from '@aws-lambda-powertools/batch';
import type { Context, KinesisStreamEvent as AwsKinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { KplBatchProcessor } from '../src/powertools.js';
import type { KplBatchProcessorOptions, KplRecordHandler } from '../src/powertools.js';
import type { KinesisUserRecord } from '../src/index.js';
import { awsKinesisAggAggregate, ourAggregate, plain, user, withBadMd5 } from './fixtures/aggregates.js';
import { kinesisEvent, lambdaContext, sequenceNumberAt } from './fixtures/events.js';

// Kinesis record 0: plain "A"; 1: our aggregate B0..B3; 2: aws-kinesis-agg aggregate C0..C1; 3: plain "D".
function mixedEvent(): AwsKinesisStreamEvent {
  return kinesisEvent([
    plain('pk-a', 'A'),
    ourAggregate([user('pk-b', 'B0'), user('pk-b', 'B1'), user('pk-c', 'B2'), user('pk-d', 'B3')]),
    awsKinesisAggAggregate([user('pk-e', 'C0'), user('pk-e', 'C1')]),
    plain('pk-a', 'D'),
  ]) as AwsKinesisStreamEvent;
}

const context = lambdaContext() as unknown as Context;

/** A record handler that records what it saw, one record at a time, and fails on `failOn`. */
function recorder(failOn: readonly string[] = []): { handler: KplRecordHandler<Context>; timeline: string[] } {
  const timeline: string[] = [];
  const handler: KplRecordHandler<Context> = async (record) => {
    const text = record.data.toString('utf8');
    timeline.push(`start ${text}`);
    await new Promise((resolve) => setImmediate(resolve));
    timeline.push(`end ${text}`);
    if (failOn.includes(text)) throw new Error(`cannot process ${text}`);
  };
  return { handler, timeline };
}

const run = (event: AwsKinesisStreamEvent, handler: KplRecordHandler<Context>, options: KplBatchProcessorOptions = {}) =>
  processPartialResponse(event, handler, new KplBatchProcessor(options), { context });

describe('KplBatchProcessor with processPartialResponse', () => {
  it('hands every user record to the record handler, one at a time, in stream order', async () => {
    const { handler, timeline } = recorder();

    const response = await run(mixedEvent(), handler);

    const texts = ['A', 'B0', 'B1', 'B2', 'B3', 'C0', 'C1', 'D'];
    expect(timeline).toEqual(texts.flatMap((text) => [`start ${text}`, `end ${text}`]));
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('stops at the first failure and reports only its parent sequence number', async () => {
    const { handler, timeline } = recorder(['B1', 'C0']);
    const onFailure = vi.fn();
    const logger = { warn: vi.fn(), error: vi.fn() };

    const response = await run(mixedEvent(), handler, { onFailure, logger });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
    expect(timeline.filter((entry) => entry.startsWith('start'))).toEqual(['start A', 'start B0', 'start B1']);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(onFailure.mock.calls[0]?.[0]).toMatchObject({ record: { sequenceNumber: sequenceNumberAt(1), subSequenceNumber: 1 } });
    expect(logger.error).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ subSequenceNumber: 1 }));
  });

  it('hands the record handler KinesisUserRecords with their parent, and the context given to processPartialResponse', async () => {
    const seen: { record: KinesisUserRecord; context: unknown }[] = [];
    const event = mixedEvent();

    await run(event, (record, ctx) => {
      seen.push({ record, context: ctx });
    });

    expect(seen[2]?.record).toMatchObject({ partitionKey: 'pk-b', aggregated: true, subSequenceNumber: 1, parent: event.Records[1] });
    expect(seen.every((entry) => entry.context === context)).toBe(true);
  });

  it('passes a corrupt aggregate through as one plain record and reports it', async () => {
    const onCorrupt = vi.fn();
    const corrupt = withBadMd5(ourAggregate([user('k', 'x'), user('k', 'y')]));
    const seen: KinesisUserRecord[] = [];

    const response = await run(kinesisEvent([plain('k', 'before'), corrupt]) as AwsKinesisStreamEvent, (record) => {
      seen.push(record);
    }, { onCorrupt });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen.map((r) => [r.aggregated, r.data.length])).toEqual([[false, 6], [false, corrupt.data.length]]);
    expect(onCorrupt).toHaveBeenCalledWith(expect.objectContaining({ reason: 'md5-mismatch', sequenceNumber: sequenceNumberAt(1) }));
  });

  it('keeps no state between invocations: one processor serves every invocation of a container', async () => {
    const processor = new KplBatchProcessor();
    const failing = recorder(['A']);
    const healthy = recorder();

    const first = await processPartialResponse(mixedEvent(), failing.handler, processor, { context });
    const second = await processPartialResponse(mixedEvent(), healthy.handler, processor, { context });

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(0) }] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(healthy.timeline.filter((entry) => entry.startsWith('start'))).toHaveLength(8);
  });

  it('like every Powertools processor, throws FullBatchFailureError when the only Kinesis record fails, unless told not to', async () => {
    const event = kinesisEvent([ourAggregate([user('k', 'ok'), user('k', 'bad'), user('k', 'never')])]) as AwsKinesisStreamEvent;
    const { handler } = recorder(['bad']);

    await expect(run(event, handler)).rejects.toBeInstanceOf(FullBatchFailureError);
    await expect(
      processPartialResponse(event, handler, new KplBatchProcessor(), { context, throwOnFullBatchFailure: false }),
    ).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(0) }] });
  });

  it('refuses processPartialResponseSync with a typed error', () => {
    expect(() => processPartialResponseSync(mixedEvent(), () => undefined, new KplBatchProcessor())).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', retriable: false }),
    );
  });

  it('rejects with INVALID_EVENT an event whose records are not Kinesis records', async () => {
    const sqsEvent = { Records: [{ messageId: '1', body: 'hello', eventSource: 'aws:sqs' }] } as unknown as AwsKinesisStreamEvent;

    await expect(run(sqsEvent, () => undefined)).rejects.toMatchObject({ code: 'INVALID_EVENT', retriable: false });
  });

  it.each<[string, unknown]>([
    ['options that are not an object', 'verbose'],
    ['an onCorrupt that is not a function', { onCorrupt: 'log' }],
    ['a logger without error()', { logger: { warn: () => undefined } }],
  ])('throws INVALID_OPTIONS at construction for %s', (_name, options) => {
    expect(() => new KplBatchProcessor(options as KplBatchProcessorOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', retriable: false }),
    );
  });

  // Why the processor exists: the stock one, on the same event, runs the records concurrently,
  // carries on after a failure, and hands the handler an aggregate's raw bytes.
  it('differs from the stock BatchProcessor, which runs records concurrently and carries on after a failure', async () => {
    const started: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const stock = new BatchProcessor(EventType.KinesisDataStreams);

    const response = await processPartialResponse(
      mixedEvent(),
      async (record: { kinesis: { sequenceNumber: string } }) => {
        started.push(record.kinesis.sequenceNumber);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        if (record.kinesis.sequenceNumber === sequenceNumberAt(1)) throw new Error('aggregate failed');
      },
      stock,
      { context },
    );

    expect(started).toHaveLength(4); // one call per Kinesis record: aggregates are not opened
    expect(maxInFlight).toBeGreaterThan(1);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberAt(1) }] });
  });
});

describe('the main entry point', () => {
  it('never imports Powertools: only src/powertools.ts does', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const importers = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => /from '@aws-lambda-powertools\//.test(readFileSync(`${src}${file}`, 'utf8')));

    expect(importers).toEqual(['powertools.ts']);
  });
});

