import { randomBytes } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate, deaggregate, type UserRecord } from '@kinesis-kit/aggregation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, type TestStream } from './harness/index.js';

describe('emulator smoke test: our encoder -> kinesis-local -> our decoder', () => {
  let client: KinesisClient;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId: testAccountId() });
    stream = await createStream(client, 1, 'smoke');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('round-trips aggregated and plain records byte for byte', async () => {
    const users: UserRecord[] = Array.from({ length: 300 }, (_, i) => ({
      partitionKey: `key-${i % 17}-ключ`,
      data: new Uint8Array(randomBytes(i % 5 === 0 ? 0 : 1 + (i % 700))),
    }));
    const outer = [...aggregate(users.slice(0, 299), { maxSize: 16_384 }), ...aggregate(users.slice(299))];
    expect(outer.length).toBeGreaterThan(2);

    const response = await client.send(
      new PutRecordsCommand({
        StreamName: stream.streamName,
        Records: outer.map((r) => ({ PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey, Data: r.data })),
      }),
    );
    expect(response.FailedRecordCount).toBe(0);

    const read = await readAllRecords(client, stream.streamName);
    expect(read).toHaveLength(outer.length);
    const decoded = read.flatMap((record) => deaggregate(record));
    expect(decoded.map((r) => r.partitionKey)).toEqual(users.map((u) => u.partitionKey));
    decoded.forEach((r, i) => expect(Buffer.from(r.data).equals(Buffer.from(users[i]!.data))).toBe(true));
    expect(decoded.at(-1)).toMatchObject({ aggregated: false, subSequenceNumber: 0 });
    expect(decoded[1]).toMatchObject({ aggregated: true, subSequenceNumber: 1 });
  });
});
