import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from './harness/index.js';
import { putTexts, type Report } from './workers/fixtures.js';
import { killAllWorkers, latestStats, startWorker, type WorkerProcess } from './workers/worker-process.js';

// Workers run as separate Node processes (test/workers/consumer-worker.ts through the TypeScript
// loader), sharing one lease table in the dynalite of this test run.
describe('KinesisConsumer workers in separate processes', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let stream: TestStream;

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
  });

  afterEach(async () => {
    await killAllWorkers();
    await stream?.delete();
  });

  afterAll(() => kinesis.destroy());

  const env = (applicationName: string) => ({
    KINESIS_ENDPOINT: inject('kinesisEndpoint'),
    DYNAMO_ENDPOINT: inject('dynamoEndpoint'),
    ACCOUNT_ID: accountId,
    STREAM_NAME: stream.streamName,
    APPLICATION_NAME: applicationName,
  });
  const records = (worker: WorkerProcess) => worker.lines.filter((l) => l.type === 'record') as unknown as Extract<Report, { type: 'record' }>[];
  const holds = (worker: WorkerProcess, count: number) => () => latestStats(worker)?.shardsRunning.length === count;
  const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  /** Enough partition keys that every one of 4 shards gets records. */
  const KEYS = Array.from({ length: 16 }, (_, i) => `key-${i}`);

  it('share a stream evenly; after a SIGKILL the survivor resumes the dead worker’s shards from their last checkpoints', async () => {
    stream = await createStream(kinesis, 4, 'processes');
    const app = uniqueName('app');
    // A 5 s failover: short enough for a quick takeover, long enough not to misjudge a busy run.
    const tunables = { CONSUMER_TUNABLES: JSON.stringify({ failoverTimeMillis: 5_000 }) };
    const a = startWorker('proc-a', { ...env(app), ...tunables });
    const b = startWorker('proc-b', { ...env(app), ...tunables });
    await waitFor(() => holds(a, 2)() && holds(b, 2)(), { timeoutMs: 20_000, description: `two shards each (a: ${a.stderr()} b: ${b.stderr()})` });

    const first = texts('first', 80);
    await putTexts(kinesis, stream.streamName, first, KEYS);
    const seen = () => new Set([...records(a), ...records(b)].map((r) => r.data));
    await waitFor(() => first.every((t) => seen().has(t)), { description: 'the first records processed by the two workers' });
    const aShards = latestStats(a)!.leasesHeld;
    // Records are reported before their checkpoint is written: under load the checkpoint can lag,
    // so wait until a has checkpointed the last record it delivered on each of its shards.
    const checkpointedUpTo = (shardId: string, sequenceNumber: string) =>
      a.lines.some((l) => l.type === 'checkpoint' && l.shardId === shardId && BigInt(l.sequenceNumber as string) >= BigInt(sequenceNumber));
    await waitFor(
      () => aShards.every((shardId) => {
        const last = records(a).filter((r) => r.shardId === shardId).at(-1);
        return last === undefined || checkpointedUpTo(shardId, last.sequenceNumber);
      }),
      { description: 'a to checkpoint every record it delivered' },
    );
    const checkpointsOfA = new Map(
      a.lines.filter((l) => l.type === 'checkpoint').map((l) => [l.shardId as string, BigInt(l.sequenceNumber as string)] as const),
    );

    const beforeKill = b.lines.length; // what b prints from here on happened after the kill
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor(holds(b, 4), { timeoutMs: 15_000, description: 'b to take over the dead worker’s shards after failover' });

    const second = texts('second', 80);
    await putTexts(kinesis, stream.streamName, second, KEYS);
    await waitFor(() => second.every((t) => records(b).some((r) => r.data === t)), { description: 'b to process the new records on every shard' });

    expect(first.every((t) => seen().has(t))).toBe(true);
    const afterKill = (b.lines.slice(beforeKill).filter((l) => l.type === 'record') as unknown as Extract<Report, { type: 'record' }>[]);
    const checked = aShards.filter((shardId) => checkpointsOfA.has(shardId));
    expect(checked.length).toBeGreaterThan(0); // a delivered records on at least one of its shards
    for (const shardId of checked) {
      const resumedAt = afterKill.find((r) => r.shardId === shardId);
      expect(resumedAt).toBeDefined();
      // b started after a's last checkpoint it reported (a later one may have been written just before the kill).
      expect(BigInt(resumedAt!.sequenceNumber)).toBeGreaterThan(checkpointsOfA.get(shardId)!);
    }
    // The fleet leader placed a's leases on b (a leaseTaken on b with no `from`: the leader moved them).
    const takenAfterKill = b.lines.slice(beforeKill).filter((l) => l.type === 'leaseTaken');
    expect(takenAfterKill.map((l) => l.shardId).sort()).toEqual([...aShards].sort());
  });

  it('SIGTERM (stop()) hands the leases to the other process without waiting for expiry', async () => {
    stream = await createStream(kinesis, 2, 'processes-stop');
    const app = uniqueName('app');
    const a = startWorker('proc-a', env(app));
    await waitFor(holds(a, 2), { timeoutMs: 20_000, description: `a to run both shards (${a.stderr()})` });
    const b = startWorker('proc-b', { ...env(app), CONSUMER_TUNABLES: JSON.stringify({ failoverTimeMillis: 120_000 }) });
    await waitFor(() => holds(a, 1)() && holds(b, 1)(), { timeoutMs: 20_000, description: 'one shard each' });
    // (a handed one lease to b when b joined: that was a release too.)
    const beforeStop = a.lines.length;
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.lines.slice(beforeStop).filter((l) => l.type === 'leaseReleased')).toHaveLength(1);
    await waitFor(holds(b, 2), { timeoutMs: 10_000, description: 'b to run both shards (it cannot see an expiry for 120 s)' });
  });
});
