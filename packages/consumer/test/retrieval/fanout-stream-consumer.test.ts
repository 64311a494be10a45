import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError, exponentialBackoff } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, seededRandom, testAccountId, uniqueName, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { StreamConsumerLimitError, StreamConsumerNotActiveError } from '../../src/retrieval/fanout-errors.js';
import { MAX_STREAM_CONSUMERS_PER_STREAM } from '../../src/retrieval/fanout-options.js';
import { kinesisFanOutPort, type FanOutPort } from '../../src/retrieval/fanout-port.js';
import { deregisterStreamConsumer, ensureStreamConsumer, limitRefusal } from '../../src/retrieval/stream-consumer.js';
import type { StreamConsumerDescription, StreamConsumerStatus } from '../../src/retrieval/fanout-port.js';

const consumersOf = (counts: Partial<Record<StreamConsumerStatus, number>>): StreamConsumerDescription[] =>
  Object.entries(counts).flatMap(([status, n]) =>
    Array.from({ length: n }, (_, i) => ({ consumerName: `${status}-${i}`, consumerARN: `arn-${status}-${i}`, status: status as StreamConsumerStatus, createdAt: undefined })),
  );

describe('limitRefusal: what a LimitExceededException on RegisterStreamConsumer means', () => {
  it.each([
    [{ ACTIVE: 3 }, 5, 'throttled'],
    [{ ACTIVE: 19, DELETING: 4 }, 5, 'throttled'],
    [{ ACTIVE: 15, CREATING: 5 }, 5, 'throttled'],
    [{ ACTIVE: 20 }, 1, 'throttled'],
    [{ ACTIVE: 20 }, 3, 'limit'],
    [{ ACTIVE: 18, CREATING: 2 }, 3, 'limit'],
    [{ ACTIVE: 30 }, 2, 'throttled'],
    [{ ACTIVE: 50 }, 1, 'limit'],
  ] as const)('%o consumers, refused %i times in a row: %s', (counts, refusals, expected) => {
    expect(limitRefusal(consumersOf(counts), refusals)).toBe(expected);
  });
});

const backoff = () => exponentialBackoff({ initialDelayMs: 20, maxDelayMs: 100, random: seededRandom(17) });

describe('ensureStreamConsumer / deregisterStreamConsumer against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let port: FanOutPort;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    port = kinesisFanOutPort(client);
    stream = await createStream(client, 1, 'stream-consumer');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('registers and waits until ACTIVE; again (or from several workers at once) it finds the same consumer', async () => {
    const consumerName = uniqueName('app');
    const first = await ensureStreamConsumer(port, { stream: { streamName: stream.streamName }, consumerName, backoff: backoff() });
    expect(first).toMatchObject({ streamARN: stream.streamARN, consumerName, created: true });
    expect(await port.describeStreamConsumer({ consumerARN: first.consumerARN })).toMatchObject({ kind: 'found', consumer: { status: 'ACTIVE' } });
    const again = await ensureStreamConsumer(port, { stream: { streamARN: stream.streamARN }, consumerName, backoff: backoff() });
    expect(again).toEqual({ ...first, created: false });

    const racing = uniqueName('fleet');
    const workers = await Promise.all(Array.from({ length: 3 }, () => ensureStreamConsumer(port, { stream: { streamName: stream.streamName }, consumerName: racing, backoff: backoff() })));
    expect(new Set(workers.map((w) => w.consumerARN)).size).toBe(1);
  });

  it('deregisters (DELETING counts as done), and a later start registers the consumer again', async () => {
    const consumerName = uniqueName('gone');
    const registered = await ensureStreamConsumer(port, { stream: { streamName: stream.streamName }, consumerName, backoff: backoff() });
    expect(await deregisterStreamConsumer(port, { consumerARN: registered.consumerARN }, { backoff: backoff() })).toBe('deregistered');
    expect(await deregisterStreamConsumer(port, { streamARN: stream.streamARN, consumerName }, { backoff: backoff() })).toMatch(/^(deregistered|notFound)$/);
    // Started again while the old one is still DELETING: waits it out, then registers anew (the
    // ARN ends in the creation time in seconds, so kinesis-local may give the same one back).
    const next = await ensureStreamConsumer(port, { stream: { streamName: stream.streamName }, consumerName, backoff: backoff() });
    expect(next).toMatchObject({ consumerName, created: true });
    await deregisterStreamConsumer(port, { consumerARN: next.consumerARN }, { backoff: backoff() });
    await waitFor(async () => (await port.describeStreamConsumer({ consumerARN: next.consumerARN })).kind === 'notFound');
    expect(await deregisterStreamConsumer(port, { consumerARN: next.consumerARN }, { backoff: backoff() })).toBe('notFound');
  });

  it('retries throttling and 5xx on every control call, and a LimitExceeded on registration below the consumer limit', async () => {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    const seen = new Map<string, number>();
    proxy.setPlan(({ operation }) => {
      const n = (seen.get(operation) ?? 0) + 1;
      seen.set(operation, n);
      if (n === 1) return { kind: 'error', status: 400, code: 'LimitExceededException', message: 'Rate exceeded' };
      if (n === 2 && operation === 'DescribeStreamConsumer') return { kind: 'error', status: 500, code: 'InternalFailure' };
      if (n === 3 && operation === 'DescribeStreamConsumer') return { kind: 'reset', when: 'before' };
      return undefined;
    });
    try {
      const consumer = await ensureStreamConsumer(kinesisFanOutPort(proxied), { stream: { streamName: stream.streamName }, consumerName: uniqueName('faults'), backoff: backoff() });
      expect(consumer.created).toBe(true);
      expect(proxy.count('RegisterStreamConsumer', 'error')).toBe(1);
      expect(proxy.count('RegisterStreamConsumer')).toBe(2);
      // The LimitExceeded was checked against the consumer limit (the listing itself throttled once).
      expect(proxy.count('ListStreamConsumers', 'error')).toBe(1);
      expect(proxy.count('ListStreamConsumers')).toBeGreaterThanOrEqual(2);
      expect(proxy.count('DescribeStreamConsumer', 'error')).toBe(2);
      expect(proxy.count('DescribeStreamConsumer', 'reset')).toBe(1);
      expect(proxy.count('DescribeStreamSummary', 'error')).toBe(1);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });

  it(`fails with STREAM_CONSUMER_LIMIT (not retriable) when the stream already has ${MAX_STREAM_CONSUMERS_PER_STREAM} consumers`, async () => {
    const full = await createStream(client, 1, 'consumer-limit');
    try {
      // kinesis-local lets 5 consumers be CREATING at once: register in waves of 5.
      for (let wave = 0; wave < MAX_STREAM_CONSUMERS_PER_STREAM / 5; wave++) {
        await Promise.all(
          Array.from({ length: 5 }, (_, i) => ensureStreamConsumer(port, { stream: { streamName: full.streamName }, consumerName: `c-${wave}-${i}`, backoff: backoff() })),
        );
      }
      const error = await ensureStreamConsumer(port, { stream: { streamName: full.streamName }, consumerName: 'one-too-many', backoff: backoff() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamConsumerLimitError);
      expect(error).toMatchObject({ code: 'STREAM_CONSUMER_LIMIT', retriable: false, limit: 20, consumerName: 'one-too-many', streamARN: full.streamARN });
      expect((error as StreamConsumerLimitError).registered).toHaveLength(20);
      expect((error as Error).message).toMatch(/already has 20 registered consumers \(the limit is 20 per stream, 50 for On-demand Advantage streams\)/);
    } finally {
      await full.delete();
    }
  });

  it('fails with STREAM_CONSUMER_NOT_ACTIVE (retriable) when the consumer stays CREATING past the deadline', async () => {
    const creating: FanOutPort = {
      ...port,
      describeStreamConsumer: async (ref) => {
        const found = await port.describeStreamConsumer(ref);
        return found.kind === 'found' ? { kind: 'found', consumer: { ...found.consumer, status: 'CREATING' } } : found;
      },
    };
    const error = await ensureStreamConsumer(creating, { stream: { streamName: stream.streamName }, consumerName: uniqueName('slow'), timeoutMs: 300, backoff: backoff() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamConsumerNotActiveError);
    expect(error).toMatchObject({ code: 'STREAM_CONSUMER_NOT_ACTIVE', retriable: true, lastStatus: 'CREATING' });
  });

  it('rejects a consumer name the API would refuse, before any call', async () => {
    const calls: string[] = [];
    const counting = new Proxy(port, { get: (target, key) => (calls.push(String(key)), target[key as keyof FanOutPort]) });
    await expect(ensureStreamConsumer(counting, { stream: { streamName: stream.streamName }, consumerName: 'has space' })).rejects.toThrow(ConfigurationError);
    await expect(ensureStreamConsumer(counting, { stream: { streamName: stream.streamName }, consumerName: 'x'.repeat(129) })).rejects.toThrow(/streamConsumerName/);
    expect(calls).toEqual([]);
  });
});
