import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { KinesisConsumer } from '../../src/index.js';
import { kinesisFanOutPort } from '../../src/retrieval/fanout-port.js';
import { kinesisReadPort } from '../../src/retrieval/kinesis-port.js';
import { pollingRetrieval } from '../../src/retrieval/polling.js';
import { describeStream } from '../../src/streams/stream-identifier.js';
import { testPort } from '../support/processing.js';

const TIMEOUT = { name: 'TimeoutError' };

describe('every Kinesis request attempt has a deadline (kinesis-local behind a black hole)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let proxy: FaultProxy;
  let blackHoled: KinesisClient;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 1, 'timeouts');
    proxy = await FaultProxy.start(inject('kinesisEndpoint'), () => ({ kind: 'blackHole' }));
    blackHoled = kinesisClient({ accountId, endpoint: proxy.endpoint });
  });

  afterAll(async () => {
    blackHoled.destroy();
    await proxy.close();
    await stream.delete();
    client.destroy();
  });

  /** The call rejected with a TimeoutError, and the abandoned request was closed (nothing left hanging). */
  async function expectTimedOut(call: Promise<unknown>): Promise<void> {
    await expect(call).rejects.toMatchObject(TIMEOUT);
    await waitFor(() => proxy.blackHoled === 0, { description: 'the abandoned request to be closed' });
  }

  it('the read port: each ListShards page, GetShardIterator and GetRecords', async () => {
    const port = kinesisReadPort(blackHoled, { streamName: stream.streamName }, { requestTimeoutMillis: 500 });
    const [shard] = await testPort(client, stream.streamName).listShards();
    await expectTimedOut(port.listShards());
    await expectTimedOut(port.getShardIterator(shard!.shardId, { type: 'TRIM_HORIZON' }));
    await expectTimedOut(port.getRecords('any-iterator', { limit: 1 }));
  });

  it('the fan-out port: DescribeStreamSummary, Register/Describe/Deregister/ListStreamConsumers, ListShards', async () => {
    const port = kinesisFanOutPort(blackHoled, { requestTimeoutMillis: 500 });
    const consumerARN = `${stream.streamARN}/consumer/app:1700000000`;
    await expectTimedOut(port.describeStreamARN({ streamName: stream.streamName }));
    await expectTimedOut(port.registerStreamConsumer(stream.streamARN, 'app'));
    await expectTimedOut(port.describeStreamConsumer({ consumerARN }));
    await expectTimedOut(port.deregisterStreamConsumer({ consumerARN }));
    await expectTimedOut(port.listStreamConsumers(stream.streamARN));
    await expectTimedOut(port.listShards({ streamName: stream.streamName }));
  });

  it("multi-stream: a stream's DescribeStreamSummary", async () => {
    await expectTimedOut(describeStream(blackHoled, { streamName: stream.streamName }, undefined, { requestTimeoutMillis: 500 }));
  });

  it('the timeouts are validated options', () => {
    const base = { streamName: 'orders', applicationName: 'app', initialPosition: 'LATEST', processor: () => ({ processRecords: () => undefined, shardEnded: () => undefined }) } as const;
    expect(() => new KinesisConsumer({ ...base, kinesisRequestTimeoutMillis: 50 })).toThrow(/kinesisRequestTimeoutMillis/);
    expect(() => new KinesisConsumer({ ...base, pollingStallTimeoutMillis: 0 })).toThrow(/pollingStallTimeoutMillis/);
    expect(() => pollingRetrieval(testPort(client, stream.streamName), { pollingStallTimeoutMillis: -1 })).toThrow(ConfigurationError);
    const consumer = new KinesisConsumer(base);
    expect(consumer.settings).toMatchObject({ kinesisRequestTimeoutMillis: 10_000, pollingStallTimeoutMillis: 35_000 });
  });
});
