import { CreateTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { KinesisConsumer } from '@kinesis-kit/consumer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStream,
  dynamoClient,
  kinesisClient,
  listAllShards,
  readAllRecords,
  testAccountId,
  uniqueName,
  waitFor,
  waitForStreamActive,
  type TestStream,
} from './harness/index.js';
import { deliveries, FAST_CONSUMER, reportingProcessor, type Report } from './workers/fixtures.js';

/** Attribute name -> DynamoDB type, as the Java KCL's DynamoDBLeaseSerializer writes them (entityType: 3.5). */
const KCL_TYPES: Readonly<Record<string, keyof AttributeValue>> = {
  leaseKey: 'S',
  leaseOwner: 'S',
  leaseCounter: 'N',
  ownerSwitchesSinceCheckpoint: 'N',
  checkpoint: 'S',
  checkpointSubSequenceNumber: 'N',
  pendingCheckpoint: 'S',
  pendingCheckpointSubSequenceNumber: 'N',
  pendingCheckpointState: 'B',
  parentShardId: 'SS',
  childShardIds: 'SS',
  startingHashKey: 'S',
  endingHashKey: 'S',
  checkpointOwner: 'S',
  throughputKBps: 'N',
  entityType: 'S',
};

const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);

describe('a lease table written by the Java KCL is picked up where it left off', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterAll(async () => {
    await stream?.delete();
    kinesis.destroy();
    dynamo.destroy();
  });

  const put = async (records: { data: Uint8Array; partitionKey: string; explicitHashKey: string }[]) => {
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream.streamName,
        Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey })),
      }),
    );
    expect(result.FailedRecordCount).toBe(0);
  };
  const plain = (texts: string[], explicitHashKey: string) =>
    texts.map((t) => ({ data: new TextEncoder().encode(t), partitionKey: `pk-${t}`, explicitHashKey }));

  it('mid-stream checkpoints, a checkpoint inside an aggregate, a SHARD_END parent with children', async () => {
    stream = await createStream(kinesis, 2, 'kcl-table');
    const [s0, s1] = (await listAllShards(kinesis, stream.streamName)).sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    );
    const low = '1';
    const high = (2n ** 126n + 1n).toString();
    const inS1 = (2n ** 127n + 5n).toString();

    await put(plain(['p0', 'p1', 'p2'], low));
    const [outer] = aggregate(['A0', 'A1', 'A2', 'A3', 'A4'].map((t) => ({ partitionKey: `pk-${t}`, explicitHashKey: inS1, data: new TextEncoder().encode(t) })));
    await put([{ data: outer!.data, partitionKey: outer!.partitionKey, explicitHashKey: inS1 }, ...plain(['B0'], inS1)]);
    await kinesis.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: s0!.ShardId!, NewStartingHashKey: (2n ** 126n).toString() }));
    await waitForStreamActive(kinesis, stream.streamName);
    const [c2, c3] = (await listAllShards(kinesis, stream.streamName))
      .filter((s) => s.ParentShardId === s0!.ShardId)
      .sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    await put(plain(['q0', 'q1', 'q2', 'q3'], low));
    await put(plain(['r0', 'r1', 'r2'], high));

    const written = await readAllRecords(kinesis, stream.streamName);
    const seqOf = (t: string) => written.find((r) => text(r.Data) === t)!.SequenceNumber!;
    const aggregateSeq = written.find((r) => r.shardId === s1!.ShardId && text(r.Data) !== 'B0')!.SequenceNumber!;

    // The table as Java KCL 2.x workers (now gone) left it.
    const tableName = uniqueName('java-app');
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      }),
    );
    await waitFor(async () => (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE', {
      description: 'the Java application\'s table to be ACTIVE',
    });
    const range = (shard: typeof s0) => ({ startingHashKey: { S: shard!.HashKeyRange!.StartingHashKey! }, endingHashKey: { S: shard!.HashKeyRange!.EndingHashKey! } });
    const javaItems: Record<string, AttributeValue>[] = [
      {
        leaseKey: { S: s0!.ShardId! },
        leaseOwner: { S: 'java-worker-1' },
        leaseCounter: { N: '231' },
        ownerSwitchesSinceCheckpoint: { N: '0' },
        checkpoint: { S: 'SHARD_END' },
        checkpointSubSequenceNumber: { N: '0' },
        childShardIds: { SS: [c2!.ShardId!, c3!.ShardId!] },
        ...range(s0),
      },
      {
        leaseKey: { S: c2!.ShardId! },
        leaseOwner: { S: 'java-worker-1' },
        leaseCounter: { N: '17' },
        ownerSwitchesSinceCheckpoint: { N: '1' },
        checkpoint: { S: seqOf('q1') },
        checkpointSubSequenceNumber: { N: '0' },
        parentShardId: { SS: [s0!.ShardId!] },
        ...range(c2),
      },
      {
        leaseKey: { S: c3!.ShardId! },
        leaseOwner: { S: 'java-worker-2' },
        leaseCounter: { N: '3' },
        ownerSwitchesSinceCheckpoint: { N: '0' },
        checkpoint: { S: 'TRIM_HORIZON' },
        checkpointSubSequenceNumber: { N: '0' },
        parentShardId: { SS: [s0!.ShardId!] },
        ...range(c3),
      },
      {
        leaseKey: { S: s1!.ShardId! },
        leaseOwner: { S: 'java-worker-2' },
        leaseCounter: { N: '99' },
        ownerSwitchesSinceCheckpoint: { N: '0' },
        checkpoint: { S: aggregateSeq },
        checkpointSubSequenceNumber: { N: '2' },
        ...range(s1),
      },
    ];
    for (const item of javaItems) await dynamo.send(new PutItemCommand({ TableName: tableName, Item: item }));

    const reports: Report[] = [];
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: tableName,
      workerId: 'ts-worker',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'LATEST', // the table's checkpoints win over the initial position
      processor: reportingProcessor('ts-worker', (r) => reports.push(r)),
      ...FAST_CONSUMER,
      failoverTimeMillis: 3_000, // the Java workers are gone: their leases expire 3 s after we first see them
    });
    try {
      await consumer.start();
      const expected = ['q2', 'q3', 'r0', 'r1', 'r2', 'A3', 'A4', 'B0'];
      await waitFor(() => expected.every((t) => deliveries(reports).some((r) => r.data === t)), { timeoutMs: 15_000, description: 'the rest of every shard' });
      // The parent is finished and its children are under way: cleanup deletes it.
      await waitFor(async () => !(await scanItems(dynamo, tableName)).some((i) => i.leaseKey?.S === s0!.ShardId), {
        timeoutMs: 10_000,
        description: 'the finished parent to be cleaned up',
      });
      expect(deliveries(reports).map((r) => r.data).sort()).toEqual([...expected].sort());
      const a3 = deliveries(reports).find((r) => r.data === 'A3')!;
      expect(a3).toMatchObject({ sequenceNumber: aggregateSeq, subSequenceNumber: 3 });

      // Every lease, as we rewrote it, still has exactly the KCL's attribute names and types (the
      // fleet item and worker items beside them are checked by kcl35-table-format.test.ts).
      const leases = (await scanItems(dynamo, tableName)).filter((item) => item.entityType?.S === undefined || item.entityType.S === 'LEASE');
      expect(leases.length).toBeGreaterThan(0);
      for (const item of leases) {
        for (const [name, value] of Object.entries(item)) {
          expect(Object.keys(value), `${name} of ${item.leaseKey?.S}`).toEqual([KCL_TYPES[name]]);
        }
        expect(item.leaseOwner).toEqual({ S: 'ts-worker' });
      }
    } finally {
      await consumer.stop();
    }
  });
});

async function scanItems(dynamo: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  return (await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
}
