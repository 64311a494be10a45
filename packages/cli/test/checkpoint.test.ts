import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, dynamoClient, FaultProxy, kinesisClient, listAllShards, readAllRecords, testAccountId, uniqueName, waitFor, type TestStream } from '../../../test/harness/index.js';
import { FAST_CONSUMER, reportingProcessor, type Report } from '../../../test/workers/fixtures.js';
import { createLeaseTable } from './support/lease-table.js';
import { emulatorEnv, endpointArgs, killAllClis, runCli, type CliEnvironment } from './support/cli.js';

const SHARD = 'shardId-000000000000';
const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';

describe('kinesis-kit checkpoint', () => {
  const accountId = testAccountId();
  const cli: CliEnvironment = { kinesisEndpoint: inject('kinesisEndpoint'), dynamoEndpoint: inject('dynamoEndpoint'), accountId };
  const env = emulatorEnv(cli);
  const streams: TestStream[] = [];
  const consumers: KinesisConsumer[] = [];
  const proxies: FaultProxy[] = [];
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });
  afterEach(async () => {
    await killAllClis();
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    kinesis.destroy();
    dynamo.destroy();
  });

  const checkpoint = (args: string[], connection: CliEnvironment = cli) => runCli(['checkpoint', ...args, ...endpointArgs(connection)], env);
  const item = async (table: string, key = SHARD) => (await dynamo.send(new GetItemCommand({ TableName: table, Key: { leaseKey: { S: key } }, ConsistentRead: true }))).Item;
  /** A lease table holding `items` (written as the KCL writes them). */
  const table = async (...items: Record<string, AttributeValue>[]) => {
    const name = uniqueName('cli-cp');
    await createLeaseTable(dynamo, name, items);
    return name;
  };
  const lease = (fields: { key?: string; owner?: string; counter?: number } = {}): Record<string, AttributeValue> => ({
    leaseKey: { S: fields.key ?? SHARD },
    leaseCounter: { N: String(fields.counter ?? 5) },
    ownerSwitchesSinceCheckpoint: { N: '2' },
    checkpoint: { S: SEQUENCE },
    checkpointSubSequenceNumber: { N: '4' },
    pendingCheckpoint: { S: '49590338271490256608559692540925702759324208523137515618' },
    pendingCheckpointSubSequenceNumber: { N: '0' },
    ...(fields.owner === undefined ? {} : { leaseOwner: { S: fields.owner } }),
  });

  it.each([
    { coordination: 'fleet', sign: "its owner's heartbeat in the fleet item changed" },
    { coordination: 'kcl2', sign: 'its counter moved' },
  ] as const)('refuses while a live worker holds the lease (coordination $coordination); --force writes it anyway', async ({ coordination, sign }) => {
    const stream = await createStream(kinesis, 1, 'cli-cp');
    streams.push(stream);
    const app = uniqueName('cli-cp-app');
    const texts = ['r0', 'r1', 'r2', 'r3'];
    await kinesis.send(new PutRecordsCommand({ StreamName: stream.streamName, Records: texts.map((t) => ({ PartitionKey: 'k', Data: new TextEncoder().encode(t) })) }));
    const sequence = Object.fromEntries((await readAllRecords(kinesis, stream.streamName)).map((r) => [new TextDecoder().decode(r.Data), r.SequenceNumber!]));
    const reports: Report[] = [];
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: app,
      workerId: 'worker-1',
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('worker-1', (r) => reports.push(r)),
      ...FAST_CONSUMER,
      coordination,
      failoverTimeMillis: 3_000, // kcl2: renewals about every second; fleet: no renewals, a heartbeat every second
    });
    consumers.push(consumer);
    await consumer.start();
    await waitFor(() => reports.some((r) => r.type === 'checkpoint' && r.sequenceNumber === sequence.r3), { timeoutMs: 30_000, description: 'r3 checkpointed' });

    const refused = await checkpoint(['set', app, SHARD, sequence.r1!, '--failover-time', '3000']);

    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('worker worker-1 holds lease shardId-000000000000');
    expect(refused.stderr).toContain(sign);
    expect(refused.stderr).toContain('[LEASE_HELD]');
    expect((await item(app))?.checkpoint?.S).toBe(sequence.r3);

    const forced = await checkpoint(['set', app, SHARD, sequence.r1!, '--force', '--stream', stream.streamName]);

    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^${SHARD}: checkpoint ${sequence.r3}:0 -> ${sequence.r1}:0 \\(lease counter \\d+ -> \\d+, owner worker-1 removed\\)\\n$`));
    // Not asserted: that the running worker re-reads from r1. A kinesis-kit worker may re-take the
    // released lease in its next taking round before its renewal notices the change, and go on from
    // its in-memory position (see docs/cli.md, checkpoint); stopping the application is the reliable way.
  }, 120_000);

  it('writes a lease with no owner at once: reset to TRIM_HORIZON clears the pending checkpoint, bumps the counter', async () => {
    const app = await table(lease());

    const run = await checkpoint(['reset', app, SHARD, 'TRIM_HORIZON']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${SHARD}: checkpoint ${SEQUENCE}:4 -> TRIM_HORIZON (lease counter 5 -> 6, no owner)\n`);
    expect(await item(app)).toEqual({
      leaseKey: { S: SHARD },
      leaseCounter: { N: '6' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      checkpointSubSequenceNumber: { N: '0' },
    });
  });

  it("a dead worker's lease (its counter does not move within --failover-time) is written and released", async () => {
    const app = await table(lease({ owner: 'gone-worker', counter: 7 }));

    const run = await checkpoint(['set', app, SHARD, `${SEQUENCE}:9`, '--failover-time', '1000']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(lease counter 7 -> 8, owner gone-worker removed)');
    const after = await item(app);
    expect(after?.leaseOwner).toBeUndefined();
    expect(after?.checkpointSubSequenceNumber?.N).toBe('9');
  });

  it("a dead fleet worker's lease (its heartbeat in the fleet item does not change within --failover-time) is written", async () => {
    const fleetItem = { leaseKey: { S: 'kinesis-kit:fleet' }, entityType: { S: 'LEADER' }, ldr: { S: 'other-worker' }, h1: { N: '42' }, h2: { N: '7' } };
    const workerItem = { leaseKey: { S: 'gone-worker' }, entityType: { S: 'WORKER_METRIC_STATS' }, lut: { N: '1700000000' }, properties: { M: { 'kinesis-kit.slot': { S: '1' } } } };
    const app = await table(lease({ owner: 'gone-worker', counter: 7 }), fleetItem, workerItem);

    const run = await checkpoint(['set', app, SHARD, `${SEQUENCE}:9`, '--failover-time', '1000']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(lease counter 7 -> 8, owner gone-worker removed)');
    expect(await item(app, 'kinesis-kit:fleet')).toMatchObject({ h1: { N: '42' } }); // the fleet item and the worker item are left alone
    expect(await item(app, 'gone-worker')).toBeDefined();
  });

  it('is conditional: a lease changed during the write is refused (exit 5); a write whose answer was lost is confirmed', async () => {
    const app = await table(lease());
    let plan: 'conflict' | 'lostAnswer' = 'conflict';
    const proxy = await FaultProxy.start(cli.dynamoEndpoint, ({ operation }) => {
      if (operation !== 'UpdateItem' || proxy.count('UpdateItem') > 0) return undefined;
      return plan === 'conflict' ? { kind: 'error', status: 400, code: 'ConditionalCheckFailedException', message: 'The conditional request failed' } : { kind: 'reset', when: 'after' };
    });
    proxies.push(proxy);
    const viaProxy = { ...cli, dynamoEndpoint: proxy.endpoint };

    const conflict = await checkpoint(['reset', app, SHARD, 'LATEST'], viaProxy);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain('[LEASE_CHANGED]');
    expect((await item(app))?.checkpoint?.S).toBe(SEQUENCE);

    plan = 'lostAnswer';
    proxy.log.length = 0;
    const lost = await checkpoint(['reset', app, SHARD, 'LATEST'], viaProxy);
    expect(lost.stderr).toBe('');
    expect(lost.code).toBe(0);
    expect(proxy.count('UpdateItem')).toBe(2); // the reset attempt (applied) and its retry (condition failed)
    expect(await item(app)).toMatchObject({ checkpoint: { S: 'LATEST' }, leaseCounter: { N: '6' } });
  });

  it('multi-stream tables: a bare shard id is found when only one stream has it, refused as ambiguous otherwise', async () => {
    const keyA = `123456789012:orders:1700000000:${SHARD}`;
    const keyB = `123456789012:refunds:1700000001:${SHARD}`;
    const one = await table(lease({ key: keyA }));
    const single = await checkpoint(['reset', one, SHARD, 'TRIM_HORIZON']);
    expect(single.code).toBe(0);
    expect((await item(one, keyA))?.checkpoint?.S).toBe('TRIM_HORIZON');
    const two = await table(lease({ key: keyA }), lease({ key: keyB }));
    const ambiguous = await checkpoint(['reset', two, SHARD, 'TRIM_HORIZON']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`give the whole lease key: ${keyA}, ${keyB}`);
  });

  it('bad positions are usage errors (2); a missing lease or table is not found (3)', async () => {
    const stream = await createStream(kinesis, 1, 'cli-cp');
    streams.push(stream);
    const [s0] = (await listAllShards(kinesis, stream.streamName)).map((s) => s.ShardId!);
    const app = await table(lease({ key: s0 }));

    const cases: [string[], number, string][] = [
      [['set', app, s0!, 'TRIM_HORIZON'], 2, 'INVALID_POSITION'],
      [['set', app, s0!, '12x'], 2, 'INVALID_POSITION'],
      [['set', app, s0!, `${SEQUENCE}:1:2`], 2, 'INVALID_POSITION'],
      [['reset', app, s0!, SEQUENCE], 2, 'INVALID_POSITION'],
      [['move', app, s0!, 'LATEST'], 2, 'USAGE'],
      // Below the shard's first sequence number. (A number of another shard inside the range is refused by
      // Kinesis's GetShardIterator, which kinesis-local does not check.)
      [['set', app, s0!, '1', '--stream', stream.streamName], 2, `sequence number 1 is not in shard ${s0} of stream ${stream.streamName}`],
      [['set', app, 'shardId-000000000042', SEQUENCE, '--stream', stream.streamName], 3, 'LEASE_NOT_FOUND'],
      [['reset', app, 'shardId-000000000042', 'LATEST'], 3, 'LEASE_NOT_FOUND'],
      [['reset', 'no-such-app', s0!, 'LATEST'], 3, 'TABLE_NOT_FOUND'],
    ];
    for (const [args, code, message] of cases) {
      const run = await checkpoint(args);
      expect({ args, code: run.code }).toEqual({ args, code });
      expect(run.stderr).toContain(message);
    }
    expect((await item(app, s0))?.leaseCounter?.N).toBe('5');
  }, 120_000);
});
