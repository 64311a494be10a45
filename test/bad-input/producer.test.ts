// Bad input to the producer: every row of docs/errors.md whose component is the producer. Each
// test puts good records before and after the bad one and checks both landed in the stream.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '@kinesis-kit/aggregation';
import { ConfigurationError } from '@kinesis-kit/core';
import { KinesisProducer, PutRecordError, type PutRecordInput } from '@kinesis-kit/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, FaultProxy, kinesisClient, readAllRecords, testAccountId, uniqueName, type TestStream } from '../harness/index.js';

const encoder = new TextEncoder();
const good = (text: string): PutRecordInput => ({ partitionKey: text, data: encoder.encode(text) });

describe('bad input: producer', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let stream: TestStream;
  let producer: KinesisProducer;

  beforeAll(async () => {
    kinesis = kinesisClient({ accountId });
    stream = await createStream(kinesis, 2, 'bad-input');
    producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: kinesis, recordMaxBufferedTime: 20 });
  });

  afterAll(async () => {
    await producer.close();
    await stream.delete();
    kinesis.destroy();
  });

  async function storedTexts(): Promise<Set<string>> {
    const records = await readAllRecords(kinesis, stream.streamName);
    return new Set(records.flatMap((r) => deaggregate(r)).map((u) => new TextDecoder().decode(u.data)));
  }

  /**
   * Accepts a good record, puts the bad one (expecting `expected`), accepts another good record,
   * and checks that both good ones were written and are in the stream.
   */
  async function sandwich(tag: string, bad: PutRecordInput, expected: { code: string }): Promise<PutRecordError> {
    const before = await producer.enqueue(good(`${tag}-before`));
    const error = await producer.put(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    const after = await producer.enqueue(good(`${tag}-after`));
    await Promise.all([before.result, after.result]);
    expect(error).toBeInstanceOf(PutRecordError);
    expect(error).toMatchObject({ ...expected, retriable: false });
    // The record handed back is the caller's object itself. Identity, not toMatchObject: a deep
    // comparison walks a 1 MiB Uint8Array element by element (10-25 s, the cause of this file's
    // timeouts under load).
    expect((error as PutRecordError).record).toBe(bad);
    const stored = await storedTexts();
    expect(stored.has(`${tag}-before`) && stored.has(`${tag}-after`)).toBe(true);
    return error as PutRecordError;
  }

  it('oversized record', async () => {
    await sandwich('oversized', { partitionKey: 'k', data: new Uint8Array(1024 * 1024) }, { code: 'RECORD_TOO_LARGE' });
  });

  it('record above the stream limit with maxRecordSize auto', async () => {
    // The stream was never raised (DescribeStreamSummary has no MaxRecordSizeInKiB: 1 MiB).
    const auto = new KinesisProducer({ streamName: stream.streamName, kinesisClient: kinesis, maxRecordSize: 'auto', recordMaxBufferedTime: 20 });
    try {
      const bad = { partitionKey: 'k', data: new Uint8Array(1024 * 1024) };
      const [before, error, after] = await Promise.all([
        auto.put(good('auto-before')),
        auto.put(bad).then(
          () => undefined,
          (e: unknown) => e,
        ),
        auto.put(good('auto-after')),
      ]);
      expect(before).toHaveProperty('sequenceNumber');
      expect(after).toHaveProperty('sequenceNumber');
      expect(error).toBeInstanceOf(PutRecordError);
      expect(error).toMatchObject({ code: 'RECORD_TOO_LARGE', retriable: false, attempts: [] });
      expect((error as PutRecordError).record).toBe(bad);
      const stored = await storedTexts();
      expect(stored.has('auto-before') && stored.has('auto-after')).toBe(true);
    } finally {
      await auto.close();
    }
  });

  it('empty partition key', async () => {
    await sandwich('empty-key', { partitionKey: '', data: encoder.encode('x') }, { code: 'INVALID_PARTITION_KEY' });
  });

  it('257-character partition key', async () => {
    await sandwich('long-key', { partitionKey: 'k'.repeat(257), data: encoder.encode('x') }, { code: 'INVALID_PARTITION_KEY' });
  });

  it('257-code-point partition key of astral characters (514 UTF-16 units)', async () => {
    await sandwich('long-astral-key', { partitionKey: '\u{1F600}'.repeat(257), data: encoder.encode('x') }, { code: 'INVALID_PARTITION_KEY' });
  });

  it('256-code-point partition key of astral characters (512 UTF-16 units): accepted, as the service model counts; kinesis-local refuses it alone', async () => {
    // The service counts Unicode scalar values (its Smithy model's length trait; see
    // docs/errors.md), so the producer accepts this key. kinesis-local counts UTF-16 units and
    // refuses the whole PutRecords request (InvalidArgumentException); the producer bisects the
    // request, so only this record fails and the records around it are written.
    const unaggregated = new KinesisProducer({ streamName: stream.streamName, kinesisClient: kinesis, aggregation: false, recordMaxBufferedTime: 50 });
    try {
      const key = '\u{1F600}'.repeat(256);
      const [before, astral, after] = await Promise.all([good('astral-before'), { partitionKey: key, data: encoder.encode('astral') }, good('astral-after')].map((r) => unaggregated.enqueue(r)));
      await expect(Promise.all([before!.result, after!.result])).resolves.toHaveLength(2);
      await expect(astral!.result).rejects.toMatchObject({ code: 'NON_RETRIABLE', causeCode: 'InvalidArgumentException', retriable: false });
      const stored = await storedTexts();
      expect(['astral-before', 'astral-after', 'astral'].map((t) => stored.has(t))).toEqual([true, true, false]);
    } finally {
      await unaggregated.close();
    }
  });

  it('malformed explicit hash key', async () => {
    await sandwich('malformed-ehk', { partitionKey: 'k', explicitHashKey: '12ab', data: encoder.encode('x') }, { code: 'INVALID_EXPLICIT_HASH_KEY' });
  });

  it('out-of-range explicit hash key (2^128)', async () => {
    await sandwich('range-ehk', { partitionKey: 'k', explicitHashKey: (2n ** 128n).toString(), data: encoder.encode('x') }, { code: 'INVALID_EXPLICIT_HASH_KEY' });
  });

  it('non-binary data: string, number, null', async () => {
    for (const data of ['text', 42, null]) {
      await sandwich(`non-binary-${String(data)}`, { partitionKey: 'k', data: data as unknown as Uint8Array }, { code: 'INVALID_DATA' });
    }
  });

  it('put and enqueue with an already-aborted signal', async () => {
    const before = await producer.enqueue(good('aborted-before'));
    const signal = AbortSignal.abort(new Error('caller gave up'));
    const refused = [await producer.put(good('aborted-put'), { signal }).catch((e: unknown) => e), await producer.enqueue(good('aborted-enqueue'), { signal }).catch((e: unknown) => e)];
    const after = await producer.enqueue(good('aborted-after'));
    await Promise.all([before.result, after.result]);
    for (const error of refused) {
      expect(error).toBeInstanceOf(PutRecordError);
      expect(error).toMatchObject({ code: 'ABORTED', retriable: false, cause: signal.reason as Error });
    }
    const stored = await storedTexts();
    expect([...['aborted-before', 'aborted-after'].map((t) => stored.has(t)), ...['aborted-put', 'aborted-enqueue'].map((t) => stored.has(t))]).toEqual([true, true, false, false]);
  });

  it('put after close', async () => {
    const closing = new KinesisProducer({ streamName: stream.streamName, kinesisClient: kinesis });
    const accepted = await closing.enqueue(good('closed-before'));
    await closing.close();
    await expect(accepted.result).resolves.toMatchObject({ shardId: expect.stringMatching(/^shardId-/) as string });
    await expect(closing.put(good('closed-after'))).rejects.toMatchObject({ name: 'PutRecordError', code: 'PRODUCER_CLOSED', retriable: false });
    const stored = await storedTexts();
    expect(stored.has('closed-before')).toBe(true);
    expect(stored.has('closed-after')).toBe(false);
  });

  it('bad options at construction (producer)', () => {
    const attempt = () => new KinesisProducer({ streamName: stream.streamName, kinesisClient: kinesis, recordTtl: -1, collectionMaxCount: 501, recordMaxBuferedTime: 5 } as never);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', retriable: false }) as Error);
    expect(attempt).toThrow(/recordTtl/);
    expect(attempt).toThrow(/collectionMaxCount/);
    expect(attempt).toThrow(/recordMaxBuferedTime/);
  });

  it('missing stream (producer)', async () => {
    const missing = new KinesisProducer({ streamName: uniqueName('missing'), kinesisClient: kinesis });
    const results = await Promise.allSettled([missing.put(good('m-1')), missing.put(good('m-2'))]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        name: 'PutRecordError',
        code: 'NON_RETRIABLE',
        causeCode: 'ResourceNotFoundException',
        retriable: false,
      });
    }
    await missing.close();
    expect(missing.outstandingRecords).toBe(0);
  });

  it('wrong credentials (producer)', async () => {
    // kinesis-local accepts any signature and key (see the row), so the proxy answers what AWS does.
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), () => ({
      kind: 'error',
      status: 400,
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    }));
    const badClient = kinesisClient({ accountId, endpoint: proxy.endpoint });
    try {
      const denied = new KinesisProducer({ streamName: stream.streamName, kinesisClient: badClient });
      await expect(denied.put(good('denied'))).rejects.toMatchObject({
        name: 'PutRecordError',
        code: 'NON_RETRIABLE',
        causeCode: 'UnrecognizedClientException',
        retriable: false,
      });
      await denied.close();
      expect(proxy.count('ListShards')).toBeGreaterThan(0);
      expect(proxy.count('PutRecords')).toBe(0);
    } finally {
      badClient.destroy();
      await proxy.close();
    }
  });
});
