import { MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisConsumer, type ConsumerTunables } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, listAllShards, testAccountId, uniqueName, waitFor, waitForStreamActive, type TestStream } from './harness/index.js';
import { deliveries, FAST_CONSUMER, putTexts, reportingProcessor, type Report } from './workers/fixtures.js';

describe('KinesisConsumer: several workers in one process (kinesis-local + dynalite)', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;
  const consumers: KinesisConsumer[] = [];
  const reports: Report[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await stream?.delete();
    reports.length = 0;
  });

  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  function worker(applicationName: string, workerId: string, tunables: ConsumerTunables = {}): KinesisConsumer {
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName,
      workerId,
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor(workerId, (r) => reports.push(r)),
      ...FAST_CONSUMER,
      ...tunables,
    });
    consumers.push(consumer);
    return consumer;
  }

  const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const delivered = (workerId?: string) => new Set(deliveries(reports).filter((r) => workerId === undefined || r.workerId === workerId).map((r) => r.data));
  const allDelivered = (expected: readonly string[], workerId?: string) => () => {
    const seen = delivered(workerId);
    return expected.every((t) => seen.has(t));
  };

  it('shares a stream evenly and processes every record, in order per key', async () => {
    stream = await createStream(kinesis, 4, 'fleet');
    const app = uniqueName('app');
    const [a, b] = [worker(app, 'worker-a'), worker(app, 'worker-b')];
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.stats().shardsRunning.length === 2 && b.stats().shardsRunning.length === 2, { description: 'two shards each' });
    const sent = texts('even', 200);
    await putTexts(kinesis, stream.streamName, sent, ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    await waitFor(allDelivered(sent), { description: 'every record processed' });
    for (const key of ['k0', 'k3', 'k7']) {
      const order = deliveries(reports)
        .filter((r) => r.partitionKey === key)
        .map((r) => Number(r.data.split('-')[1]));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect(new Set(deliveries(reports).map((r) => r.workerId))).toEqual(new Set(['worker-a', 'worker-b']));
  });

  it('stop() checkpoints and hands every lease over without waiting for expiry', async () => {
    stream = await createStream(kinesis, 4, 'handoff');
    const app = uniqueName('app');
    const a = worker(app, 'worker-a');
    await a.start();
    // b could not take an expired lease within this test: only released leases reach it.
    const b = worker(app, 'worker-b', { failoverTimeMillis: 120_000 });
    await b.start();
    await waitFor(() => a.stats().leasesHeld.length === 2 && b.stats().leasesHeld.length === 2, { description: 'two leases each' });
    const first = texts('before', 80);
    await putTexts(kinesis, stream.streamName, first, ['k0', 'k1', 'k2', 'k3']);
    await waitFor(allDelivered(first), { description: 'the first records processed' });
    const aShards = a.stats().leasesHeld;
    await a.stop();
    expect(reports.filter((r) => r.type === 'shutdownRequested' && r.workerId === 'worker-a').map((r) => r.shardId).sort()).toEqual([...aShards]);
    await waitFor(() => b.stats().shardsRunning.length === 4, { timeoutMs: 10_000, description: 'b to run all 4 shards' });
    const second = texts('after', 80);
    await putTexts(kinesis, stream.streamName, second, ['k0', 'k1', 'k2', 'k3']);
    await waitFor(allDelivered(second, 'worker-b'), { description: 'b to process the new records' });
    // b resumed from a's checkpoints: nothing a had processed was delivered again.
    const replayed = deliveries(reports).filter((r) => r.workerId === 'worker-b' && aShards.includes(r.shardId) && r.data.startsWith('before'));
    expect(replayed).toEqual([]);
  });

  it('two applications read the same stream independently', async () => {
    stream = await createStream(kinesis, 2, 'two-apps');
    const [one, two] = [worker(uniqueName('app-one'), 'one'), worker(uniqueName('app-two'), 'two')];
    await Promise.all([one.start(), two.start()]);
    const sent = texts('both', 60);
    await putTexts(kinesis, stream.streamName, sent, ['k0', 'k1', 'k2']);
    await waitFor(() => allDelivered(sent, 'one')() && allDelivered(sent, 'two')(), { description: 'both applications to see every record' });
    expect(one.stats().leasesHeld).toEqual(two.stats().leasesHeld);
  });

  it('split and merge mid-stream: every record processed, per-key order kept across parent and children', async () => {
    stream = await createStream(kinesis, 1, 'reshard');
    const app = uniqueName('app');
    const [a, b] = [worker(app, 'worker-a'), worker(app, 'worker-b')];
    await Promise.all([a.start(), b.start()]);
    const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const counters = new Map(keys.map((k) => [k, 0]));
    const put = async (count: number) => {
      const batch = Array.from({ length: count }, (_, i) => {
        const key = keys[i % keys.length]!;
        const n = counters.get(key)!;
        counters.set(key, n + 1);
        return { key, text: `${key}-${n}` };
      });
      await putTexts(kinesis, stream.streamName, batch.map((r) => r.text), batch.map((r) => r.key));
    };
    await put(60);
    const [parent] = await listAllShards(kinesis, stream.streamName);
    await kinesis.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: parent!.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(kinesis, stream.streamName);
    await put(60);
    const open = (await listAllShards(kinesis, stream.streamName)).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    expect(open).toHaveLength(2);
    await kinesis.send(new MergeShardsCommand({ StreamName: stream.streamName, ShardToMerge: open[0]!.ShardId!, AdjacentShardToMerge: open[1]!.ShardId! }));
    await waitForStreamActive(kinesis, stream.streamName);
    await put(60);

    const expected = keys.flatMap((k) => Array.from({ length: counters.get(k)! }, (_, n) => `${k}-${n}`));
    await waitFor(allDelivered(expected), { timeoutMs: 25_000, description: 'every record of parent, children and merged child' });
    for (const key of keys) {
      const firstSeen: number[] = [];
      for (const r of deliveries(reports)) {
        const n = Number(r.data.slice(key.length + 1));
        if (r.partitionKey === key && !firstSeen.includes(n)) firstSeen.push(n);
      }
      expect(firstSeen).toEqual(Array.from({ length: counters.get(key)! }, (_, n) => n));
    }
    expect(reports.filter((r) => r.type === 'shardEnded')).toHaveLength(3);
  });
});
