import { MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, testAccountId, waitFor, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { ShardEndNotCheckpointedError } from '../../src/errors.js';
import { SHARD_END } from '../../src/position.js';
import type { ConsumerRecord } from '../../src/processor.js';
import { MemoryLeaseHandle, RecordingProcessor, consume, putRecords, shardIds, text, userRecords } from '../support/processing.js';

const HALF = 2n ** 127n;

/** Consumes one shard from TRIM_HORIZON to its end; the records, the call log and the outcome. */
async function consumeToEnd(client: KinesisClient, streamName: string, shardId: string, processor = new RecordingProcessor([])) {
  const handle = new MemoryLeaseHandle(shardId, processor.log);
  const { consumer } = consume({ client, streamName, shardId, processor, handle, polling: { maxRecords: 15 } });
  const outcome = await consumer.finished;
  return { records: processor.records, log: processor.log, handle, outcome };
}

describe('shard consumer at shard end (kinesis-local resharding)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;
  let parent: string;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 1, 'reshard');
    [parent] = (await shardIds(client, stream.streamName)) as [string];
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('after SplitShard then MergeShards: children recorded before shardEnded, every record once, per-key order kept', async () => {
    const { streamName } = stream;
    const put = userRecords(40, 'p', 10);
    await putRecords(client, streamName, put);
    await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent, NewStartingHashKey: String(HALF) }));
    await waitForStreamActive(client, streamName);
    const children = (await shardIds(client, streamName)).filter((id) => id !== parent);
    const middle = userRecords(60, 'c', 10);
    await putRecords(client, streamName, middle);
    await client.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: children[0]!, AdjacentShardToMerge: children[1]! }));
    await waitForStreamActive(client, streamName);
    const [merged] = (await shardIds(client, streamName)).filter((id) => id !== parent && !children.includes(id));
    const last = userRecords(30, 'm', 10);
    await putRecords(client, streamName, last);

    const fromParent = await consumeToEnd(client, streamName, parent);
    expect(fromParent.outcome).toMatchObject({ kind: 'shardEnded' });
    const parentChildren = fromParent.outcome.kind === 'shardEnded' ? fromParent.outcome.childShards : [];
    expect(parentChildren.map((c) => c.shardId).sort()).toEqual([...children].sort());
    expect(parentChildren.every((c) => c.parentShardIds.length === 1 && c.parentShardIds[0] === parent)).toBe(true);
    expect(fromParent.handle.childShards).toEqual([parentChildren]);
    expect(fromParent.log.slice(-3)).toEqual([`lease.recordChildShards ${parentChildren.map((c) => c.shardId).join(',')}`, 'shardEnded', 'lease.checkpoint SHARD_END/0']);
    expect(fromParent.handle.lastCheckpoint).toEqual(SHARD_END);

    const fromChildren = await Promise.all(children.map((id) => consumeToEnd(client, streamName, id)));
    for (const child of fromChildren) {
      expect(child.outcome.kind).toBe('shardEnded');
      const grandChildren = child.outcome.kind === 'shardEnded' ? child.outcome.childShards : [];
      expect(grandChildren.map((c) => c.shardId)).toEqual([merged]);
      expect([...grandChildren[0]!.parentShardIds].sort()).toEqual([...children].sort());
    }
    const fromMerged = new RecordingProcessor();
    const mergedRun = consume({ client, streamName, shardId: merged!, processor: fromMerged });
    await waitFor(() => fromMerged.records.length >= last.length, { description: 'the merged shard records' });
    mergedRun.consumer.requestShutdown();
    await mergedRun.consumer.finished;

    // Parents before children, as the lease layer schedules them: per partition key, the put order.
    const inOrder: ConsumerRecord[] = [...fromParent.records, ...fromChildren.flatMap((c) => c.records), ...fromMerged.records];
    const everything = [...put, ...middle, ...last];
    expect(inOrder.map(text).sort()).toEqual(everything.map(text).sort());
    for (const key of new Set(everything.map((r) => r.partitionKey))) {
      const seen = inOrder.filter((r) => r.partitionKey === key).map(text);
      expect(seen).toEqual(everything.filter((r) => r.partitionKey === key).map(text));
    }
  });

  it('fails with SHARD_END_NOT_CHECKPOINTED when shardEnded does not checkpoint (children still recorded first)', async () => {
    const [child] = (await shardIds(client, stream.streamName)).filter((id) => id !== parent);
    const processor = new RecordingProcessor([], { checkpointAtShardEnd: false });
    const run = await consumeToEnd(client, stream.streamName, child!, processor);
    expect(run.outcome.kind).toBe('failed');
    const error = run.outcome.kind === 'failed' ? run.outcome.error : undefined;
    expect(error).toBeInstanceOf(ShardEndNotCheckpointedError);
    expect(error).toMatchObject({ code: 'SHARD_END_NOT_CHECKPOINTED', retriable: true, shardId: child });
    expect(run.handle.childShards).toHaveLength(1);
    expect(run.log.slice(-2)).toEqual([expect.stringMatching(/^lease.recordChildShards /), 'shardEnded']);
    await expect(processor.shardEndedCheckpointer!.checkpoint()).rejects.toMatchObject({ code: 'LEASE_LOST' });
  });

  it('recording the children failing: shutdownRequested (no shardEnded), outcome failed, the shard is retried later', async () => {
    const [child] = (await shardIds(client, stream.streamName)).filter((id) => id !== parent);
    const processor = new RecordingProcessor([]);
    const handle = new MemoryLeaseHandle(child!, processor.log);
    handle.recordChildShards = () => Promise.reject(new Error('DynamoDB unavailable'));
    const { consumer } = consume({ client, streamName: stream.streamName, shardId: child!, processor, handle });
    expect(await consumer.finished).toMatchObject({ kind: 'failed', error: { message: 'DynamoDB unavailable' } });
    expect(processor.log.slice(-2)).toEqual(['shutdownRequested', expect.stringMatching(/^lease.checkpoint \d+\/0$/)]);
    expect(processor.log).not.toContain('shardEnded');
  });

  it('finishes at once, without calling the processor, when the lease is already at SHARD_END', async () => {
    const processor = new RecordingProcessor();
    const { consumer, events } = consume({ client, streamName: stream.streamName, shardId: parent, processor, startingPosition: SHARD_END });
    expect(await consumer.finished).toEqual({ kind: 'shardEnded', childShards: [] });
    expect(processor.log).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['stateChanged', 'finished']);
  });
});
