// A worker paused with SIGSTOP (a GC pause, a frozen container, a laptop lid) wakes after its
// leases moved to another worker. It must not checkpoint over the new owner, and it must stop
// processing those shards promptly. The test reports how many records it processed after waking.
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from './harness/index.js';
import { putTexts, type Report } from './workers/fixtures.js';
import { killAllWorkers, latestStats, startWorker, type WorkerLine, type WorkerProcess } from './workers/worker-process.js';

type RecordLine = Extract<Report, { type: 'record' }>;
type CheckpointLine = Extract<Report, { type: 'checkpoint' }>;

describe('a worker paused (SIGSTOP) past its failover time', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream | undefined;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });
  afterEach(async () => {
    await killAllWorkers();
    await stream?.delete();
  });
  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  const KEYS = Array.from({ length: 16 }, (_, i) => `key-${i}`);
  const ofType = <T>(worker: WorkerProcess, type: string, from = 0) => worker.lines.slice(from).filter((l) => l.type === type) as unknown as T[];
  const holds = (worker: WorkerProcess, count: number) => () => latestStats(worker)?.shardsRunning.length === count;

  it('wakes after its leases moved: never checkpoints over the new owner and stops processing those shards', async () => {
    const created = await createStream(kinesis, 2, 'pause');
    stream = created;
    const app = uniqueName('app');
    const env = {
      KINESIS_ENDPOINT: inject('kinesisEndpoint'),
      DYNAMO_ENDPOINT: inject('dynamoEndpoint'),
      ACCOUNT_ID: accountId,
      STREAM_NAME: created.streamName,
      APPLICATION_NAME: app,
      CONSUMER_TUNABLES: JSON.stringify({ failoverTimeMillis: 3_000 }),
    };
    const a = startWorker('paused-a', env);
    await waitFor(holds(a, 2), { timeoutMs: 20_000, description: `a to run both shards (${a.stderr()})` });
    let batch = 0;
    const putBatch = () => putTexts(kinesis, created.streamName, Array.from({ length: 40 }, (_, i) => `b${batch}-${i}`), KEYS).then(() => void (batch += 1));
    await putBatch();
    await waitFor(() => ofType<CheckpointLine>(a, 'checkpoint').length >= 2, { description: 'a to checkpoint on both shards' });

    a.child.kill('SIGSTOP');
    const b = startWorker('taker-b', env);
    await waitFor(holds(b, 2), { timeoutMs: 30_000, description: `b to take both shards of the paused worker (${b.stderr()})` });
    await putBatch();
    await waitFor(() => ofType<RecordLine>(b, 'record').some((r) => r.data.startsWith(`b${batch - 1}-`)), { description: 'b to process new records' });

    const wokeAt = a.lines.length; // a printed nothing while stopped: everything after this is after waking
    const pausedShards = latestStats(b)!.shardsRunning;
    a.child.kill('SIGCONT');
    await putBatch();
    // Once awake, a is a live worker again and may take a lease back (a new session). What
    // matters is the old sessions: each must end (leaseLost) without a checkpoint.
    const lostAfterWaking = (shardId: string) => a.lines.slice(wokeAt).findIndex((l) => l.type === 'leaseLost' && l.shardId === shardId);
    await waitFor(() => pausedShards.every((s) => lostAfterWaking(s) >= 0), { timeoutMs: 20_000, description: `the woken worker to give up its old sessions (${a.stderr()})` });
    await putBatch();
    const everyText = Array.from({ length: batch }, (_, n) => Array.from({ length: 40 }, (_, i) => `b${n}-${i}`)).flat();
    const delivered = () => new Set([...ofType<RecordLine>(a, 'record'), ...ofType<RecordLine>(b, 'record')].map((r) => r.data));
    await waitFor(() => everyText.every((t) => delivered().has(t)), { description: 'every record to be processed' });

    const staleSession = (line: WorkerLine, index: number) => {
      const lost = lostAfterWaking(String(line.shardId));
      return lost < 0 || index < lost;
    };
    const afterWaking = a.lines.slice(wokeAt);
    const recordsAfterWaking = afterWaking.filter((l, i) => l.type === 'record' && staleSession(l, i)) as unknown as RecordLine[];
    const checkpointsAfterWaking = afterWaking.filter((l, i) => l.type === 'checkpoint' && staleSession(l, i));
    if (process.env.PAUSE_REPORT === '1') console.log(`pause: records processed in the old sessions after waking: ${recordsAfterWaking.length}`);
    expect(checkpointsAfterWaking).toEqual([]);
    // Nothing put after a was paused reaches its old sessions: it stopped before reading on.
    expect(recordsAfterWaking.filter((r) => Number(r.data.slice(1, r.data.indexOf('-'))) >= 1)).toEqual([]);

    // The table: every checkpoint is at or past b's latest on that shard, never rewound by a's old session.
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: app, ConsistentRead: true }));
    const leases = Items.filter((i) => i.leaseKey?.S?.startsWith('shardId-'));
    expect(leases).toHaveLength(2);
    for (const lease of leases) {
      const shardId = lease.leaseKey!.S!;
      const newest = ofType<CheckpointLine>(b, 'checkpoint').filter((c) => c.shardId === shardId).at(-1);
      expect(newest).toBeDefined();
      expect(BigInt(lease.checkpoint!.S!)).toBeGreaterThanOrEqual(BigInt(newest!.sequenceNumber));
    }
  });
});
