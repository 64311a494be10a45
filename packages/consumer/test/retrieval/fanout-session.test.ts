import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError, exponentialBackoff, noopLogger } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, seededRandom, testAccountId, uniqueName, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { kinesisFanOutPort, type FanOutPort } from '../../src/retrieval/fanout-port.js';
import { FanOutSession, type FanOutSessionOptions } from '../../src/retrieval/fanout-session.js';
import { testSubscribeBackoff } from '../support/fanout.js';
import { RecordingMetrics, drain, putRecords, shardIds, text, userRecords } from '../support/processing.js';

describe('FanOutSession (the KinesisConsumer seam) against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let port: FanOutPort;
  let stream: TestStream;

  const session = (options: Partial<FanOutSessionOptions> = {}) =>
    new FanOutSession(port, {
      stream: { streamName: stream.streamName },
      applicationName: uniqueName('app'),
      minTimeBetweenSubscribesMillis: 0,
      subscribeBackoff: testSubscribeBackoff(),
      controlBackoff: exponentialBackoff({ initialDelayMs: 20, maxDelayMs: 100, random: seededRandom(23) }),
      ...options,
    });

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    port = kinesisFanOutPort(client);
    stream = await createStream(client, 1, 'fanout-session');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('registers the consumer under the application name at start, reads through it, deregisters it at stop when asked', async () => {
    const applicationName = uniqueName('billing');
    const fanOut = session({ applicationName, deregisterStreamConsumerOnShutdown: true });
    expect(() => fanOut.retrieval.open({ shardId: 'shardId-000000000000', start: { type: 'LATEST' }, metrics: new RecordingMetrics(), logger: noopLogger })).toThrow(
      expect.objectContaining({ code: 'FAN_OUT_NOT_STARTED' }),
    );
    const consumer = await fanOut.start();
    expect(consumer).toMatchObject({ consumerName: applicationName, streamARN: stream.streamARN, created: true });

    const [shardId] = (await shardIds(client, stream.streamName)) as [string];
    const put = userRecords(5, 'session');
    await putRecords(client, stream.streamName, put);
    const source = fanOut.retrieval.open({ shardId, start: { type: 'TRIM_HORIZON' }, metrics: new RecordingMetrics(), logger: noopLogger });
    try {
      expect((await drain(source, 5)).flatMap((b) => b.records.map(text))).toEqual(put.map(text));
    } finally {
      source.close();
    }
    expect(await fanOut.stop()).toBe('deregistered');
    await waitFor(async () => (await port.describeStreamConsumer({ consumerARN: consumer.consumerARN })).kind === 'notFound', { description: 'the consumer to be gone' });
  });

  it('keeps the consumer at stop by default, and a second worker finds it', async () => {
    const applicationName = uniqueName('fleet');
    const first = session({ applicationName, streamConsumerName: `${applicationName}-efo` });
    const consumer = await first.start();
    expect(consumer.consumerName).toBe(`${applicationName}-efo`);
    expect(await first.stop()).toBe('kept');
    const second = await session({ applicationName, streamConsumerName: `${applicationName}-efo` }).start();
    expect(second).toEqual({ ...consumer, created: false });
  });

  it('validates at construction: a name the API would refuse, a misspelt option, a bad prefetch bound', () => {
    expect(() => session({ applicationName: 'x'.repeat(200) })).toThrow(/set streamConsumerName/);
    expect(() => session({ applicationName: 'x'.repeat(200), streamConsumerName: 'short' })).not.toThrow();
    expect(() => session({ stallTimeoutMs: 1 } as never)).toThrow(ConfigurationError);
    expect(() => session({ maxPrefetchBatches: -1 })).toThrow(/maxPrefetchBatches/);
  });
});
