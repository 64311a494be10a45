import { PutItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetShardIteratorCommand, PutRecordsCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  FaultProxy,
  createStream,
  dynamoClient,
  kinesisClient,
  partialFailure,
  randomFaults,
  readAllRecords,
  testAccountId,
  uniqueName,
  waitFor,
  type TestStream,
} from './harness/index.js';

describe('fault proxy in front of kinesis-local', () => {
  const accountId = testAccountId();
  let direct: KinesisClient;
  let proxied: KinesisClient;
  let proxy: FaultProxy;
  let stream: TestStream;

  beforeAll(async () => {
    direct = kinesisClient({ accountId });
    proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    stream = await createStream(direct, 2, 'proxy');
  });

  afterAll(async () => {
    await stream.delete();
    direct.destroy();
    proxied.destroy();
    await proxy.close();
  });

  const put = (n: number, tag: string) =>
    proxied.send(
      new PutRecordsCommand({
        StreamName: stream.streamName,
        Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: `${tag}-${i}`, Data: Buffer.from(`${tag}-${i}`) })),
      }),
    );

  it('forwards untouched requests', async () => {
    proxy.setPlan(() => undefined);
    const result = await proxied.send(new ListShardsCommand({ StreamName: stream.streamName }));
    expect(result.Shards).toHaveLength(2);
  });

  it('fails chosen PutRecords entries without storing them', async () => {
    proxy.setPlan(() => ({ kind: 'partial', indices: [1, 3], code: 'InternalFailure' }));
    const result = await put(5, 'partial');
    expect(result.FailedRecordCount).toBe(2);
    expect(result.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'InternalFailure', 'ok', 'InternalFailure', 'ok']);
    expect(result.Records?.[0]?.SequenceNumber).toMatch(/^\d+$/);
    const stored = (await readAllRecords(direct, stream.streamName)).map((r) => r.PartitionKey).filter((k) => k?.startsWith('partial'));
    expect(stored.sort()).toEqual(['partial-0', 'partial-2', 'partial-4']);
  });

  it('answers with typed AWS errors the SDK recognises', async () => {
    proxy.setPlan(() => ({ kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' }));
    await expect(put(1, 'throttled')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    proxy.setPlan(() => ({ kind: 'error', status: 503, code: 'ServiceUnavailable' }));
    await expect(put(1, 'unavailable')).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
  });

  it('resets connections before or after the emulator stored the request', async () => {
    proxy.setPlan(() => ({ kind: 'reset', when: 'after' }));
    await expect(put(1, 'reset-after')).rejects.toThrow();
    proxy.setPlan(() => ({ kind: 'reset', when: 'before' }));
    await expect(put(1, 'reset-before')).rejects.toThrow();
    const keys = (await readAllRecords(direct, stream.streamName)).map((r) => r.PartitionKey);
    expect(keys).toContain('reset-after-0');
    expect(keys).not.toContain('reset-before-0');
  });

  it('black hole: accepts a request and never answers; with forward the write is stored all the same', async () => {
    proxy.setPlan(() => ({ kind: 'blackHole', forward: true }));
    const attempt = new AbortController();
    const pending = proxied.send(
      new PutRecordsCommand({ StreamName: stream.streamName, Records: [{ PartitionKey: 'hole-0', Data: Buffer.from('x') }] }),
      { abortSignal: attempt.signal },
    );
    const outcome = pending.then(
      () => 'answered',
      () => 'gave up',
    );
    await waitFor(() => proxy.blackHoled === 1, { timeoutMs: 10_000 });
    const keys = (await readAllRecords(direct, stream.streamName)).map((r) => r.PartitionKey);
    expect(keys).toContain('hole-0');
    attempt.abort();
    expect(await outcome).toBe('gave up');
    await waitFor(() => proxy.blackHoled === 0, { timeoutMs: 10_000 });
    expect(proxy.count('PutRecords', 'blackHole')).toBe(1);
  });

  it('gone resource: answers ResourceNotFoundException as Kinesis does', async () => {
    proxy.setPlan(({ operation }) => (operation === 'GetShardIterator' ? { kind: 'gone' } : undefined));
    await expect(
      proxied.send(new GetShardIteratorCommand({ StreamName: stream.streamName, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: expect.stringContaining('shardId-000000000000') as unknown });
  });

  it('draws the same decisions from the same seed', () => {
    const rules = [{ operation: 'PutRecords', probability: 0.5, fault: partialFailure(0.3) }];
    const request = { operation: 'PutRecords', body: { Records: new Array(20).fill({}) }, index: 0 };
    const a = randomFaults(42, rules);
    const b = randomFaults(42, rules);
    const draws = Array.from({ length: 50 }, () => [a(request), b(request)]);
    for (const [x, y] of draws) expect(x).toEqual(y);
    expect(draws.filter(([x]) => x !== undefined).length).toBeGreaterThan(10);
  });
});

describe('fault proxy in front of dynalite', () => {
  it('injects DynamoDB conditional conflicts and throttling', async () => {
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    const client = dynamoClient({ accountId: testAccountId(), endpoint: proxy.endpoint });
    try {
      const TableName = uniqueName('proxy');
      await client.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      proxy.setPlan(({ operation }) =>
        operation === 'PutItem' ? { kind: 'error', status: 400, code: 'ConditionalCheckFailedException' } : undefined,
      );
      await expect(client.send(new PutItemCommand({ TableName, Item: { k: { S: 'a' } } }))).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
      });
      proxy.setPlan(() => ({ kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' }));
      await expect(client.send(new PutItemCommand({ TableName, Item: { k: { S: 'a' } } }))).rejects.toMatchObject({
        name: 'ProvisionedThroughputExceededException',
      });
      expect(proxy.count('PutItem', 'error')).toBe(2);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});
