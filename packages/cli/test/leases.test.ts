import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate } from '@kinesis-kit/aggregation';
import { DynamoDBLeaseStore, KinesisConsumer } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
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
} from '../../../test/harness/index.js';
import { FAST_CONSUMER, reportingProcessor } from '../../../test/workers/fixtures.js';
import type { LeaseRow } from '../src/leases/rows.js';
import { createLeaseTable } from './support/lease-table.js';
import { putRecords, type RecordToPut } from './support/records.js';
import { emulatorEnv, endpointArgs, killAllClis, runCli, type CliEnvironment } from './support/cli.js';

const encode = (text: string) => new TextEncoder().encode(text);
const LOW = '1';
const HIGH = (2n ** 127n + 1n).toString();

describe('kinesis-kit leases', () => {
  const accountId = testAccountId();
  const cli: CliEnvironment = { kinesisEndpoint: inject('kinesisEndpoint'), dynamoEndpoint: inject('dynamoEndpoint'), accountId };
  const env = emulatorEnv(cli);
  const streams: TestStream[] = [];
  const consumers: KinesisConsumer[] = [];
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });
  afterEach(async () => {
    await killAllClis();
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
    dynamo.destroy();
  });

  const newStream = async (shards: number) => {
    const stream = await createStream(kinesis, shards, 'cli-leases');
    streams.push(stream);
    return stream.streamName;
  };
  const put = (streamName: string, records: RecordToPut[]) => putRecords(kinesis, streamName, records);
  const leases = (app: string, ...options: string[]) => runCli(['leases', app, ...endpointArgs(cli), ...options], env);

  it('shows owner, checkpoint inside an aggregate, counter moves, parents, children and lag of a running consumer', async () => {
    const streamName = await newStream(1);
    const app = uniqueName('cli-app');
    await put(streamName, [{ partitionKey: 'p', data: encode('in-parent'), explicitHashKey: LOW }]);
    const [parent] = await listAllShards(kinesis, streamName);
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent!.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(kinesis, streamName);
    const [outer] = aggregate(['a0', 'a1', 'a2'].map((t) => ({ partitionKey: `k-${t}`, explicitHashKey: LOW, data: encode(t) })));
    await put(streamName, [{ partitionKey: outer!.partitionKey, data: outer!.data, explicitHashKey: outer!.explicitHashKey }]);
    await put(streamName, [{ partitionKey: 'h', data: encode('in-high-child'), explicitHashKey: HIGH }]);
    const children = (await listAllShards(kinesis, streamName)).filter((s) => s.ParentShardId === parent!.ShardId).map((s) => s.ShardId!).sort();
    const consumer = new KinesisConsumer({
      streamName,
      applicationName: app,
      workerId: 'worker-1',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('worker-1', () => undefined),
      ...FAST_CONSUMER,
      // Fleet coordination (the default): no lease renewals; the worker heartbeats into the fleet item every second.
      failoverTimeMillis: 3_000,
      leaseCleanupIntervalMillis: 3_600_000, // keep the finished parent's lease to show it
    });
    consumers.push(consumer);
    await consumer.start();
    const store = new DynamoDBLeaseStore({ client: dynamo, tableName: app });
    await waitFor(
      async () => {
        const all = await store.listLeases();
        return all.length === 3 && all.every((l) => l.checkpoint.sequenceNumber !== 'TRIM_HORIZON') && all.filter((l) => l.leaseOwner === 'worker-1').length === 2;
      },
      { timeoutMs: 30_000, description: 'the consumer to finish the parent and checkpoint both children' },
    );

    const run = await leases(app, '--stream', streamName, '--sample', '3000', '--json');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as LeaseRow[];
    expect(rows.map((r) => r.shardId)).toEqual([parent!.ShardId, ...children]);
    const [parentRow, low, high] = rows as [LeaseRow, LeaseRow, LeaseRow];
    expect(parentRow).toMatchObject({ owner: null, checkpoint: 'SHARD_END', childShardIds: children, parentShardIds: [], millisBehindLatest: null, lagNote: 'finished', stream: null });
    const aggregateSequence = (await readAllRecords(kinesis, streamName)).find((r) => r.shardId === children[0])!.SequenceNumber;
    expect(low).toMatchObject({ owner: 'worker-1', checkpoint: aggregateSequence, checkpointSubSequenceNumber: 2, parentShardIds: [parent!.ShardId], millisBehindLatest: 0, unreadRecords: false });
    expect(high).toMatchObject({ owner: 'worker-1', checkpointSubSequenceNumber: 0, parentShardIds: [parent!.ShardId], millisBehindLatest: 0, unreadRecords: false });
    expect(parentRow).toMatchObject({ livenessSignal: null, ownerHeartbeatMsAgo: null });
    for (const row of [low, high]) {
      expect(row.sampledMs).toBeGreaterThanOrEqual(3_000);
      // An idle fleet worker's leases do not move; its heartbeat does.
      expect(row.livenessSignal).toBe('heartbeat');
      expect(row.ownerHeartbeatMsAgo).not.toBeNull();
    }
    const sampled = await leases(app, '--stream', streamName, '--sample', '3000');
    expect(sampled.stdout).toMatch(/worker-1 .*heartbeat \S+ ago/);
    expect(sampled.stdout.trimEnd().split('\n').at(-1)).toBe('fleet leader: worker-1');

    const table = await leases(app, '--stream', streamName);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(/none in/); // read once: no sampling window, LAST CHANGE is -
    const [header, ...lines] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^SHARD\s+OWNER\s+CHECKPOINT\s+COUNTER\s+LAST CHANGE\s+PARENTS\s+CHILDREN\s+LAG$/);
    expect(lines[0]).toContain(`${parent!.ShardId}  (none)`);
    expect(lines[0]).toContain(children.join(','));
    expect(lines[1]).toContain(`worker-1  ${aggregateSequence}:2`);
    expect(lines[1]).toContain('caught up');
    expect(lines).toHaveLength(4); // three leases and the leader line: the fleet item and the worker item are not leases
  }, 120_000);

  it("coordination 'kcl2': a live holder's lease counter moves (no fleet item, no heartbeat)", async () => {
    const streamName = await newStream(1);
    const app = uniqueName('cli-kcl2');
    const consumer = new KinesisConsumer({
      streamName,
      applicationName: app,
      workerId: 'worker-1',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('worker-1', () => undefined),
      ...FAST_CONSUMER,
      coordination: 'kcl2',
      failoverTimeMillis: 3_000, // renewals about every second, so a short --sample sees the counter move
    });
    consumers.push(consumer);
    await consumer.start();
    const store = new DynamoDBLeaseStore({ client: dynamo, tableName: app });
    await waitFor(async () => (await store.listLeases()).some((l) => l.leaseOwner === 'worker-1'), { timeoutMs: 30_000, description: 'worker-1 to take the lease' });

    const run = await leases(app, '--no-lag', '--sample', '3000', '--json');

    expect(run.code).toBe(0);
    const [row] = JSON.parse(run.stdout) as LeaseRow[];
    expect(row).toMatchObject({ owner: 'worker-1', livenessSignal: 'counter', ownerHeartbeatMsAgo: null });
    expect(row!.counterMovedMsAgo).not.toBeNull();
    const table = await leases(app, '--no-lag', '--sample', '3000');
    expect(table.stdout).toMatch(/worker-1 .* \d\S* ago/);
    expect(table.stdout).not.toContain('heartbeat');
    expect(table.stdout).not.toContain('fleet leader');
  }, 60_000);

  it('lag is MillisBehindLatest of the first record after the checkpoint', async () => {
    const streamName = await newStream(1);
    const app = uniqueName('cli-lag');
    const [shard] = await listAllShards(kinesis, streamName);
    for (const text of ['r1', 'r2', 'r3']) {
      const before = Date.now();
      await put(streamName, [{ partitionKey: 'k', data: encode(text) }]);
      await waitFor(() => Date.now() > before + 50, { description: 'records to arrive apart' });
    }
    const [r1, , r3] = await readAllRecords(kinesis, streamName);
    await createLeaseTable(dynamo, app);
    const lease = (checkpoint: string): Record<string, AttributeValue> => ({
      leaseKey: { S: shard!.ShardId! },
      leaseCounter: { N: '1' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: checkpoint },
      checkpointSubSequenceNumber: { N: '0' },
    });
    await dynamo.send(new PutItemCommand({ TableName: app, Item: lease(r1!.SequenceNumber!) }));
    const behind = JSON.parse((await leases(app, '--stream', streamName, '--json')).stdout) as LeaseRow[];
    expect(behind[0]!.millisBehindLatest).toBeGreaterThan(0);
    await dynamo.send(new PutItemCommand({ TableName: app, Item: lease(r3!.SequenceNumber!) }));
    const caughtUp = JSON.parse((await leases(app, '--stream', streamName, '--json')).stdout) as LeaseRow[];
    expect(caughtUp[0]).toMatchObject({ millisBehindLatest: 0, unreadRecords: false });
    await dynamo.send(new PutItemCommand({ TableName: app, Item: lease('TRIM_HORIZON') }));
    const fromStart = JSON.parse((await leases(app, '--stream', streamName, '--json')).stdout) as LeaseRow[];
    expect(fromStart[0]).toMatchObject({ unreadRecords: true });
    expect(fromStart[0]!.millisBehindLatest).toBeGreaterThan(0);
  });

  it('a checkpoint inside the newest aggregate is not caught up: its later members are unread', async () => {
    const streamName = await newStream(1);
    const app = uniqueName('cli-lag-agg');
    const [shard] = await listAllShards(kinesis, streamName);
    const [outer] = aggregate(['m0', 'm1', 'm2'].map((t) => ({ partitionKey: `k-${t}`, data: encode(t) })));
    await put(streamName, [{ partitionKey: outer!.partitionKey, data: outer!.data, explicitHashKey: outer!.explicitHashKey }]);
    const [record] = await readAllRecords(kinesis, streamName);
    const at = (sub: number): Record<string, AttributeValue> => ({
      leaseKey: { S: shard!.ShardId! },
      leaseCounter: { N: '1' },
      checkpoint: { S: record!.SequenceNumber! },
      checkpointSubSequenceNumber: { N: String(sub) },
    });
    await createLeaseTable(dynamo, app, [at(1)]);
    const inside = await leases(app, '--stream', streamName);
    expect(inside.stdout).toContain(`${record!.SequenceNumber}:1`);
    expect(inside.stdout).toContain('newest record unread');
    await dynamo.send(new PutItemCommand({ TableName: app, Item: at(2) }));
    const done = await leases(app, '--stream', streamName);
    expect(done.stdout).toContain('caught up');
  });

  it('reads a table written by the Java KCL 3.x (DynamoDB Local): lease items only, multi-stream keys by stream', async () => {
    const local = { ...cli, dynamoEndpoint: inject('dynamoDBLocalEndpoint') };
    const localDynamo = dynamoClient({ accountId, endpoint: local.dynamoEndpoint });
    const app = uniqueName('kcl3');
    try {
      await createLeaseTable(localDynamo, app, kcl3Items());
    } finally {
      localDynamo.destroy();
    }

    const run = await runCli(['leases', app, ...endpointArgs(local), '--no-lag', '--json'], env);

    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as LeaseRow[];
    expect(rows).toEqual([
      expect.objectContaining({
        leaseKey: 'shardId-000000000002',
        stream: null,
        owner: 'worker-b',
        checkpointOwner: 'worker-a',
        checkpoint: '49590338271490256608559692538361571095921575989136588898',
        checkpointSubSequenceNumber: 3,
        pendingCheckpoint: { sequenceNumber: '49590338271490256608559692540925702759324208523137515618', subSequenceNumber: 0 },
        leaseCounter: 1042,
        ownerSwitchesSinceCheckpoint: 1,
        parentShardIds: ['shardId-000000000000', 'shardId-000000000001'],
        childShardIds: [],
      }),
      expect.objectContaining({
        leaseKey: '123456789012:orders:1700000000:shardId-000000000007',
        stream: { accountId: '123456789012', streamName: 'orders', creationEpochSeconds: 1700000000 },
        shardId: 'shardId-000000000007',
        owner: null,
        checkpoint: 'TRIM_HORIZON',
        parentShardIds: ['shardId-000000000003'],
      }),
    ]);
    const table = await runCli(['leases', app, ...endpointArgs(local), '--no-lag'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^STREAM\s+SHARD\s+OWNER/);
    expect(table.stdout).toContain('worker-b (handoff from worker-a)');
    expect(table.stdout).not.toMatch(/none in/); // read once, not sampled: LAST CHANGE is -
  });

  it('a missing table is exit code 3; a missing --stream too', async () => {
    const missing = await leases('no-such-app');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('lease table no-such-app does not exist');
    const app = uniqueName('cli-empty');
    await createLeaseTable(dynamo, app);
    const empty = await leases(app);
    expect(empty).toMatchObject({ code: 0, stdout: `lease table ${app} has no leases\n` });
    const noStream = await leases(app, '--stream', 'no-such-stream');
    expect(noStream.code).toBe(3);
    expect(noStream.stderr).toContain('stream no-such-stream does not exist');
  });
});

/** Items as the Java KCL 3.5 writes them in single-table mode (kcl-leases.md): two leases and three other entities. */
function kcl3Items(): Record<string, AttributeValue>[] {
  return [
    {
      leaseKey: { S: 'shardId-000000000002' },
      entityType: { S: 'LEASE' },
      leaseOwner: { S: 'worker-b' },
      checkpointOwner: { S: 'worker-a' },
      leaseCounter: { N: '1042' },
      ownerSwitchesSinceCheckpoint: { N: '1' },
      checkpoint: { S: '49590338271490256608559692538361571095921575989136588898' },
      checkpointSubSequenceNumber: { N: '3' },
      pendingCheckpoint: { S: '49590338271490256608559692540925702759324208523137515618' },
      pendingCheckpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: ['shardId-000000000000', 'shardId-000000000001'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '340282366920938463463374607431768211455' },
      throughputKBps: { N: '12.5' },
    },
    {
      leaseKey: { S: '123456789012:orders:1700000000:shardId-000000000007' },
      streamName: { S: '123456789012:orders:1700000000' },
      shardId: { S: 'shardId-000000000007' },
      leaseCounter: { N: '0' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      checkpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: ['shardId-000000000003'] },
    },
    { leaseKey: { S: 'Leader' }, entityType: { S: 'LEADER' }, ownerName: { S: 'worker-b' }, leaseDuration: { N: '120000' }, recordVersionNumber: { S: 'a1b2' }, isReleased: { BOOL: false } },
    { leaseKey: { S: 'Migration3.0' }, entityType: { S: 'CLIENT_VERSION_MIGRATION' }, cv: { S: 'CLIENT_VERSION_3X' }, mb: { S: 'worker-b' }, mts: { N: '1700000000' } },
    { leaseKey: { S: 'worker-b' }, entityType: { S: 'WORKER_METRIC_STATS' }, wid: { S: 'worker-b' }, lut: { N: '1700000000' } },
  ];
}
