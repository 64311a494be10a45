// Regression: a graceful stop() aborted the GetRecords in flight, and the polling retrieval
// counted that abort as a failed read (GetRecords.Failures) and logged `warn read failed`
// (errorClass fatal) on every shard, every deploy: a false alarm for anyone alerting on either.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LogFields, Logger } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStream, dynamoClient, FaultProxy, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { FAST_CONSUMER, putTexts, reportingProcessor, type Report } from '../../../../test/workers/fixtures.js';
import { KinesisConsumer, RETRIEVAL_METRICS } from '../../src/index.js';
import { RecordingMetrics } from '../support/processing.js';

describe('polling retrieval and stop()', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;

  beforeAll(async () => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
    stream = await createStream(kinesis, 1, 'polling-stop');
  });

  afterAll(async () => {
    await stream.delete();
    kinesis.destroy();
    dynamo.destroy();
  });

  it('a graceful stop does not count the aborted GetRecords in flight as a failed read', async () => {
    // Every GetRecords takes 1 s, so one is in flight when stop() is called.
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) => (operation === 'GetRecords' ? { kind: 'delay', ms: 1_000 } : undefined));
    const slowKinesis = kinesisClient({ accountId, endpoint: proxy.endpoint });
    const metrics = new RecordingMetrics();
    const warnings: [string, LogFields | undefined][] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m, f) => void warnings.push([m, f]), error: (m, f) => void warnings.push([m, f]) };
    const reports: Report[] = [];
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: uniqueName('app'),
      kinesisClient: slowKinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('w', (r) => reports.push(r)),
      metrics,
      logger,
      ...FAST_CONSUMER,
    });
    try {
      await putTexts(kinesis, stream.streamName, ['r0'], ['k']);
      await consumer.start();
      await waitFor(() => reports.some((r) => r.type === 'checkpoint'), { description: 'the first batch checkpointed' });
      const calls = proxy.count('GetRecords');
      await waitFor(() => proxy.count('GetRecords') > calls, { description: 'the next GetRecords in flight' });
      await consumer.stop(); // aborts that GetRecords, then checkpoints and releases the lease
      expect(metrics.counter(RETRIEVAL_METRICS.failures)).toBe(0);
      expect(warnings.filter(([message]) => message === 'read failed')).toEqual([]);
    } finally {
      await consumer.stop();
      slowKinesis.destroy();
      await proxy.close();
    }
  });
});
