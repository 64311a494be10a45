import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type ShardRecordProcessorFactory, type StreamSpec } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStream, dynamoClient, kinesisClient, testAccountId, uniqueName, waitFor, waitForStreamActive, type TestStream } from './harness/index.js';
import { FAST_CONSUMER, putTexts } from './workers/fixtures.js';

/** What the multi-stream test processor saw: the stream and shard it was created for, per record. */
interface Seen {
  readonly type: 'record' | 'shutdownRequested' | 'shardEnded';
  readonly workerId: string;
  readonly streamName: string;
  readonly streamIdentifier: string | undefined;
  readonly shardId: string;
  readonly partitionKey?: string;
  readonly data?: string;
}

function seeingProcessor(workerId: string, seen: Seen[]): ShardRecordProcessorFactory {
  return ({ shardId, streamName, streamIdentifier }) => {
    const info = { workerId, streamName, streamIdentifier, shardId };
    return {
      async processRecords({ records, checkpointer }) {
        for (const r of records) seen.push({ ...info, type: 'record', partitionKey: r.partitionKey, data: new TextDecoder().decode(r.data) });
        if (records.length > 0) await checkpointer.checkpoint();
      },
      async shardEnded({ checkpointer }) {
        await checkpointer.checkpoint();
        seen.push({ ...info, type: 'shardEnded' });
      },
      async shutdownRequested({ checkpointer }) {
        await checkpointer.checkpoint().catch(() => undefined);
        seen.push({ ...info, type: 'shutdownRequested' });
      },
    };
  };
}

describe('KinesisConsumer: several streams, one lease table (kinesis-local + dynalite)', () => {
  const accountId = testAccountId();
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const streams: TestStream[] = [];
  const consumers: KinesisConsumer[] = [];
  const seen: Seen[] = [];

  beforeAll(() => {
    kinesis = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await Promise.all(streams.splice(0).map((s) => s.delete()));
    seen.length = 0;
  });

  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  async function stream(shards: number, prefix: string): Promise<TestStream> {
    const created = await createStream(kinesis, shards, prefix);
    streams.push(created);
    return created;
  }

  function worker(applicationName: string, workerId: string, specs: readonly StreamSpec[]): KinesisConsumer {
    const consumer = new KinesisConsumer({
      streams: specs,
      applicationName,
      workerId,
      kinesisClient: kinesis,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: seeingProcessor(workerId, seen),
      ...FAST_CONSUMER,
    });
    consumers.push(consumer);
    return consumer;
  }

  const records = () => seen.filter((s) => s.type === 'record');
  const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}/${i}`);
  const allProcessed = (expected: readonly string[]) => () => {
    const data = new Set(records().map((r) => r.data));
    return expected.every((t) => data.has(t));
  };
  /** The lease items of the table (the fleet item and worker items beside them are not leases). */
  const scan = async (tableName: string) =>
    ((await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []).filter((item) => item.entityType?.S === undefined || item.entityType.S === 'LEASE');

  it('two workers consume two streams: every record, per-key order, the right stream per shard, KCL multi-stream lease items', async () => {
    const [one, two] = await Promise.all([stream(2, 'multi-one'), stream(2, 'multi-two')]);
    const app = uniqueName('app');
    const specs = [{ streamName: one.streamName }, { streamARN: two.streamARN }];
    const [a, b] = [worker(app, 'worker-a', specs), worker(app, 'worker-b', specs)];
    await Promise.all([a.start(), b.start()]);
    expect(a.stats().streams).toEqual([one.streamName, two.streamName].sort());
    await waitFor(() => a.stats().shardsRunning.length === 2 && b.stats().shardsRunning.length === 2, { description: 'two of the four shards each' });

    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    const sent = [...texts(one.streamName, 120), ...texts(two.streamName, 120)];
    await Promise.all([putTexts(kinesis, one.streamName, texts(one.streamName, 120), keys), putTexts(kinesis, two.streamName, texts(two.streamName, 120), keys)]);
    await waitFor(allProcessed(sent), { description: 'every record of both streams processed' });

    const epochs = new Map<string, number>();
    for (const s of [one, two]) {
      const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: s.streamName }));
      epochs.set(s.streamName, Math.floor(summary!.StreamCreationTimestamp!.getTime() / 1000));
    }
    for (const r of records()) {
      expect(r.data!.split('/')[0]).toBe(r.streamName); // each stream's records reach processors of that stream only
      expect(r.streamIdentifier).toBe(`${accountId}:${r.streamName}:${epochs.get(r.streamName)}`);
      expect(r.shardId).toMatch(/^shardId-\d+$/);
    }
    for (const s of [one, two]) {
      for (const key of keys) {
        const order = records()
          .filter((r) => r.streamName === s.streamName && r.partitionKey === key)
          .map((r) => Number(r.data!.split('/')[1]));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }
    }

    const items = await scan(app);
    expect(items).toHaveLength(4);
    for (const item of items) {
      const { leaseKey, streamName, shardId } = stringsOf(item);
      const name = [one.streamName, two.streamName].find((n) => leaseKey.includes(`:${n}:`))!;
      expect(streamName).toBe(`${accountId}:${name}:${epochs.get(name)}`);
      expect(leaseKey).toBe(`${streamName}:${shardId}`);
      expect(shardId).toMatch(/^shardId-\d+$/);
    }
    expect(new Set(items.map((i) => i.leaseOwner?.S))).toEqual(new Set(['worker-a', 'worker-b']));
  });

  it('a stream added while running is consumed; a stream removed has its shards stopped and its leases released', async () => {
    const [first, second] = await Promise.all([stream(2, 'multi-first'), stream(1, 'multi-second')]);
    const app = uniqueName('app');
    const [a, b] = [worker(app, 'worker-a', [{ streamName: first.streamName }]), worker(app, 'worker-b', [{ streamName: first.streamName }])];
    await Promise.all([a.start(), b.start()]);
    const before = texts(first.streamName, 40);
    await putTexts(kinesis, first.streamName, before, ['k0', 'k1', 'k2']);
    await waitFor(allProcessed(before), { description: "the first stream's records" });

    expect(await Promise.all([a.addStream({ streamName: second.streamName }), b.addStream({ streamName: second.streamName })])).toEqual(['added', 'added']);
    expect(await a.addStream({ streamARN: second.streamARN })).toBe('alreadyConsumed');
    const added = texts(second.streamName, 40);
    await putTexts(kinesis, second.streamName, added, ['k0', 'k1', 'k2']);
    await waitFor(allProcessed(added), { description: "the added stream's records" });
    expect(new Set(records().filter((r) => r.data!.startsWith(second.streamName)).map((r) => r.streamName))).toEqual(new Set([second.streamName]));

    const firstShards = [...a.stats().shardsRunning, ...b.stats().shardsRunning].filter((key) => key.includes(`:${first.streamName}:`));
    expect(firstShards).toHaveLength(2);
    // (The leader may have moved a lease between a and b before this, for balance: a shutdownRequested too.)
    const beforeRemoval = seen.length;
    expect(await Promise.all([a.removeStream(first.streamName), b.removeStream(first.streamARN)])).toEqual(['removed', 'removed']);
    expect(await a.removeStream(first.streamName)).toBe('notConsumed');
    const stopped = seen.slice(beforeRemoval).filter((s) => s.type === 'shutdownRequested' && s.streamName === first.streamName);
    expect(stopped.map((s) => s.shardId).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    for (const c of [a, b]) {
      expect(c.stats().streams).toEqual([second.streamName]);
      expect(c.stats().shardsRunning.every((key) => key.includes(`:${second.streamName}:`))).toBe(true);
    }
    const firstLeases = (await scan(app)).map(stringsOf).filter((l) => l.leaseKey.includes(`:${first.streamName}:`));
    expect(firstLeases).toHaveLength(2);
    expect(firstLeases.map((l) => l.leaseOwner)).toEqual([undefined, undefined]); // released, checkpoints kept

    // Records written to the removed stream now stay unread while the remaining stream goes on.
    await putTexts(kinesis, first.streamName, texts(`${first.streamName}-late`, 10), ['k0']);
    const later = texts(`${second.streamName}-later`, 10);
    await putTexts(kinesis, second.streamName, later, ['k0']);
    await waitFor(allProcessed(later), { description: "the remaining stream's later records" });
    expect(records().filter((r) => r.data!.startsWith(`${first.streamName}-late`))).toEqual([]);
  });

  it('a split in one of the streams: children leased under that stream, parent before children, the parent cleaned up', async () => {
    const [split, other] = await Promise.all([stream(1, 'multi-split'), stream(1, 'multi-other')]);
    const app = uniqueName('app');
    const a = worker(app, 'worker-a', [{ streamName: split.streamName }, { streamName: other.streamName }]);
    await a.start();
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const before = texts(split.streamName, 60);
    await putTexts(kinesis, split.streamName, before, keys);
    await kinesis.send(new SplitShardCommand({ StreamName: split.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(kinesis, split.streamName);
    const after = texts(split.streamName, 120).slice(60);
    await putTexts(kinesis, split.streamName, after, keys);
    const others = texts(other.streamName, 20);
    await putTexts(kinesis, other.streamName, others, keys);
    await waitFor(allProcessed([...before, ...after, ...others]), { description: 'every record of parent, children and the other stream' });

    for (const key of keys) {
      const order = records()
        .filter((r) => r.streamName === split.streamName && r.partitionKey === key)
        .map((r) => Number(r.data!.split('/')[1]));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect(seen.filter((s) => s.type === 'shardEnded').map((s) => `${s.streamName}/${s.shardId}`)).toEqual([`${split.streamName}/shardId-000000000000`]);
    const children = (await scan(app)).filter((item) => item.parentShardId !== undefined);
    expect(children.map((item) => item.shardId?.S).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    for (const child of children) {
      expect(child.parentShardId?.SS).toEqual(['shardId-000000000000']); // bare shard ids, as the Java KCL writes them
      expect(child.leaseKey?.S).toBe(`${child.streamName?.S}:${child.shardId?.S}`);
    }
    const parentKey = `${children[0]!.streamName!.S}:shardId-000000000000`;
    await waitFor(async () => !(await scan(app)).some((item) => item.leaseKey?.S === parentKey), { description: 'the finished parent lease to be cleaned up' });
  });
});

function stringsOf(item: Record<string, AttributeValue>): { leaseKey: string; streamName: string | undefined; shardId: string | undefined; leaseOwner: string | undefined } {
  return { leaseKey: item.leaseKey?.S ?? '', streamName: item.streamName?.S, shardId: item.shardId?.S, leaseOwner: item.leaseOwner?.S };
}
