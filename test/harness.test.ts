import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, inject, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, listAllShards, testAccountId } from './harness/index.js';

describe('emulator harness', () => {
  it('isolates kinesis-local accounts by access key id', async () => {
    const [a, b] = [kinesisClient({ accountId: testAccountId() }), kinesisClient({ accountId: testAccountId() })];
    const stream = await createStream(a, 3, 'harness');
    try {
      expect(await listAllShards(a, stream.streamName)).toHaveLength(3);
      expect((await b.send(new ListStreamsCommand({}))).StreamNames).not.toContain(stream.streamName);
      expect(stream.streamARN).toContain(stream.streamName);
    } finally {
      await stream.delete();
      a.destroy();
      b.destroy();
    }
  });

  it.each(['dynamoEndpoint', 'dynamoDBLocalEndpoint'] as const)('reaches %s', async (name) => {
    const client = dynamoClient({ accountId: testAccountId(), endpoint: inject(name) });
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(expect.any(Array));
    client.destroy();
  });
});
