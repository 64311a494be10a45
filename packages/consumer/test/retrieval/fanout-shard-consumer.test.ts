// The shard consumer's delivery scenarios (processor contract, checkpoints, de-aggregation, the
// restart filter, shard end) run with both retrievals: the shard consumer must not be able to
// tell which one feeds it. Polling is the reference; fan-out runs the same assertions over
// SubscribeToShard on kinesis-local, with shard end injected at the port (kinesis-local never
// sends ChildShards on a subscription).
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { AT_TIMESTAMP, LATEST, SHARD_END, type Position } from '../../src/position.js';
import { PROCESSING_METRICS } from '../../src/processing/metric-names.js';
import type { ChildShard } from '../../src/processing/contracts.js';
import { FAN_OUT_METRICS } from '../../src/retrieval/fanout-metric-names.js';
import { kinesisFanOutPort } from '../../src/retrieval/fanout-port.js';
import { RETRIEVAL_METRICS } from '../../src/retrieval/metric-names.js';
import type { Retrieval } from '../../src/retrieval/retrieval.js';
import { childShardsOf, registerTestConsumer, shardEndAfter, testFanOut, wrapPort } from '../support/fanout.js';
import { MemoryLeaseHandle, RecordingProcessor, aggregates, consume, putRecords, shardIds, testPolling, testPort, text, userRecords, type RecordingMetrics } from '../support/processing.js';

interface ShardEndFacts {
  readonly lastSequenceNumber: string;
  readonly childShards: readonly ChildShard[];
}

interface RetrievalVariant {
  readonly name: string;
  /** The retrieval for one shard consumer on `streamName`; `shardEnd` when the test reads a closed shard to its end. */
  create(client: KinesisClient, streamName: string, shardEnd?: ShardEndFacts): Promise<Retrieval>;
  /** True once the first read happened (a LATEST start is then fixed). */
  reading(metrics: RecordingMetrics): boolean;
}

const polling: RetrievalVariant = {
  name: 'polling',
  create: async (client, streamName) => testPolling(testPort(client, streamName), { maxRecords: 60 }),
  reading: (metrics) => metrics.counter(RETRIEVAL_METRICS.getRecordsCalls) > 0,
};

/** Stream consumers, one per stream, reused by every shard consumer of the stream (as a worker does). */
const consumers = new Map<string, Promise<string>>();

const fanOut: RetrievalVariant = {
  name: 'fan-out',
  async create(client, streamName, shardEnd) {
    if (!consumers.has(streamName)) consumers.set(streamName, registerTestConsumer(client, streamName));
    const consumerARN = await consumers.get(streamName)!;
    const port = kinesisFanOutPort(client);
    const wrapped = shardEnd === undefined ? port : wrapPort(port, { transform: shardEndAfter(shardEnd.lastSequenceNumber, shardEnd.childShards) });
    return testFanOut(wrapped, { consumerARN });
  },
  reading: (metrics) => metrics.counter(FAN_OUT_METRICS.events) > 0,
};


describe.each([polling, fanOut])('shard consumer fed by $name retrieval (kinesis-local)', (variant) => {
  const accountId = testAccountId();
  let client: KinesisClient;
  const streams: TestStream[] = [];

  async function stream(prefix: string): Promise<{ streamName: string; shardId: string }> {
    const created = await createStream(client, 1, prefix);
    streams.push(created);
    return { streamName: created.streamName, shardId: (await shardIds(client, created.streamName))[0]! };
  }

  beforeAll(() => {
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    client.destroy();
  });

  describe.concurrent('delivery', () => {
    it('delivers every record in order from TRIM_HORIZON and checkpoints each batch', async ({ expect }) => {
      const { streamName, shardId } = await stream('trim');
      const records = userRecords(300, 'trim');
      await putRecords(client, streamName, records);
      const processor = new RecordingProcessor();
      const retrieval = await variant.create(client, streamName);
      const { consumer, handle, metrics, events } = consume({ client, streamName, shardId, processor, overrides: { retrieval } });
      const stored = await readAllRecords(client, streamName);
      await waitFor(() => handle.lastCheckpoint?.sequenceNumber === stored.at(-1)!.SequenceNumber, { description: 'the last record checkpointed' });
      await waitFor(() => metrics.gauges.get(PROCESSING_METRICS.millisBehindLatest) === 0, { description: 'millisBehindLatest 0' });
      expect(events.filter((e) => e.type === 'checkpointed').length).toBe(processor.batches.length);
      consumer.requestShutdown();
      expect(await consumer.finished).toEqual({ kind: 'shutdown' });
      expect(processor.records.map(text)).toEqual(records.map(text));
      expect(processor.records.map((r) => r.sequenceNumber)).toEqual(stored.map((r) => r.SequenceNumber));
      expect(handle.lastCheckpoint).toEqual({ sequenceNumber: stored.at(-1)!.SequenceNumber, subSequenceNumber: 0 });
      expect([processor.log[0], processor.log.at(-1)]).toEqual(['initialize TRIM_HORIZON/0', 'shutdownRequested']);
    });

    it('starts at LATEST: only records put after reading started', async ({ expect }) => {
      const { streamName, shardId } = await stream('latest');
      await putRecords(client, streamName, userRecords(20, 'old'));
      const processor = new RecordingProcessor();
      const retrieval = await variant.create(client, streamName);
      const { consumer, metrics } = consume({ client, streamName, shardId, processor, startingPosition: LATEST, overrides: { retrieval } });
      await waitFor(() => variant.reading(metrics), { description: 'the first read' });
      const fresh = userRecords(30, 'new');
      await putRecords(client, streamName, fresh);
      await waitFor(() => processor.records.length >= 30, { description: 'the new records' });
      consumer.requestShutdown();
      await consumer.finished;
      expect(processor.records.map(text)).toEqual(fresh.map(text));
    });

    it('starts AT_TIMESTAMP: records that arrived at or after the configured timestamp', async ({ expect }) => {
      const { streamName, shardId } = await stream('timestamp');
      await putRecords(client, streamName, userRecords(20, 'before'));
      const lastArrival = (await readAllRecords(client, streamName)).at(-1)!.ApproximateArrivalTimestamp!.getTime();
      await waitFor(() => Date.now() > lastArrival + 1, { description: 'the clock to pass the last arrival' });
      const after = userRecords(25, 'after');
      await putRecords(client, streamName, after);
      const processor = new RecordingProcessor();
      const retrieval = await variant.create(client, streamName);
      const { consumer } = consume({ client, streamName, shardId, processor, startingPosition: AT_TIMESTAMP, timestamp: new Date(lastArrival + 1), overrides: { retrieval } });
      await waitFor(() => processor.records.length >= 25, { description: 'the records after the timestamp' });
      consumer.requestShutdown();
      await consumer.finished;
      expect(processor.records.map(text)).toEqual(after.map(text));
    });

    it('de-aggregates KPL aggregates into user records with sub-sequence numbers', async ({ expect }) => {
      const { streamName, shardId } = await stream('agg');
      const { users, outer } = aggregates(20, 25, 'agg');
      await putRecords(client, streamName, outer);
      const processor = new RecordingProcessor();
      const retrieval = await variant.create(client, streamName);
      const { consumer } = consume({ client, streamName, shardId, processor, overrides: { retrieval } });
      await waitFor(() => processor.records.length >= users.length, { description: 'every user record' });
      consumer.requestShutdown();
      await consumer.finished;
      expect(processor.records.map(text)).toEqual(users.map(text));
      const stored = await readAllRecords(client, streamName);
      expect(processor.records.slice(0, 25).map((r) => [r.sequenceNumber, r.subSequenceNumber])).toEqual(Array.from({ length: 25 }, (_, sub) => [stored[0]!.SequenceNumber, sub]));
    });

    it('restart inside an aggregate resumes at the next sub-record', async ({ expect }) => {
      const { streamName, shardId } = await stream('restart');
      const { users, outer } = aggregates(4, 10, 'r');
      await putRecords(client, streamName, outer);
      const stored = await readAllRecords(client, streamName);
      const checkpoint: Position = { sequenceNumber: stored[1]!.SequenceNumber!, subSequenceNumber: 6 };
      const first = new RecordingProcessor([], {
        checkpointEveryBatch: false,
        checkpointAtShutdown: false,
        onBatch: async (input) => {
          if (input.records.some((r) => r.sequenceNumber === checkpoint.sequenceNumber)) await input.checkpointer.checkpoint(checkpoint);
        },
      });
      const one = consume({ client, streamName, shardId, processor: first, overrides: { retrieval: await variant.create(client, streamName) } });
      await waitFor(() => one.handle.lastCheckpoint !== undefined, { description: 'the mid-aggregate checkpoint' });
      one.consumer.requestShutdown();
      await one.consumer.finished;

      // The next owner (same stream consumer, as another worker of the application would be).
      const second = new RecordingProcessor();
      const two = consume({ client, streamName, shardId, processor: second, startingPosition: checkpoint, overrides: { retrieval: await variant.create(client, streamName) } });
      await waitFor(() => second.records.length >= users.length - 17, { description: 'the rest of the records' });
      two.consumer.requestShutdown();
      await two.consumer.finished;
      expect(second.records[0]).toMatchObject({ sequenceNumber: checkpoint.sequenceNumber, subSequenceNumber: 7 });
      expect(second.records.map(text)).toEqual(users.slice(17).map(text));
    });

    it('at shard end: every record, then the children recorded before shardEnded, which checkpoints SHARD_END', async ({ expect }) => {
      const { streamName, shardId: parent } = await stream('split');
      const put = userRecords(40, 'p', 10);
      await putRecords(client, streamName, put);
      const lastSequenceNumber = (await readAllRecords(client, streamName)).at(-1)!.SequenceNumber!;
      await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent, NewStartingHashKey: String(2n ** 127n) }));
      await waitForStreamActive(client, streamName);
      const children = await childShardsOf(client, streamName, parent);
      const processor = new RecordingProcessor([]);
      const handle = new MemoryLeaseHandle(parent, processor.log);
      const retrieval = await variant.create(client, streamName, { lastSequenceNumber, childShards: children });
      const { consumer } = consume({ client, streamName, shardId: parent, processor, handle, overrides: { retrieval } });
      const outcome = await consumer.finished;
      expect(outcome.kind).toBe('shardEnded');
      const reported = outcome.kind === 'shardEnded' ? outcome.childShards : [];
      expect(reported.map((c) => [c.shardId, c.parentShardIds])).toEqual(children.map((c) => [c.shardId, [parent]]));
      expect(handle.childShards).toEqual([reported]);
      expect(processor.records.map(text)).toEqual(put.map(text));
      expect(processor.log.slice(-3)).toEqual([`lease.recordChildShards ${children.map((c) => c.shardId).join(',')}`, 'shardEnded', 'lease.checkpoint SHARD_END/0']);
      expect(handle.lastCheckpoint).toEqual(SHARD_END);
    });
  });
});
