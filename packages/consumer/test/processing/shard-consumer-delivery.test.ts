import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, readAllRecords, testAccountId, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { AT_TIMESTAMP, LATEST, type Position } from '../../src/position.js';
import { PROCESSING_METRICS } from '../../src/processing/metric-names.js';
import { RETRIEVAL_METRICS } from '../../src/retrieval/metric-names.js';
import { RecordingProcessor, aggregates, consume, putRecords, shardIds, text, userRecords } from '../support/processing.js';


describe('shard consumer delivery against kinesis-local', () => {
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

  it('delivers every record in order from TRIM_HORIZON and checkpoints each batch', async () => {
    const { streamName, shardId } = await stream('trim');
    const records = userRecords(400, 'trim');
    await putRecords(client, streamName, records);
    const processor = new RecordingProcessor();
    const { consumer, handle, metrics, events } = consume({ client, streamName, shardId, processor, polling: { maxRecords: 60 } });
    await waitFor(() => processor.records.length >= 400, { description: 'every record' });
    await waitFor(() => metrics.gauges.get(PROCESSING_METRICS.millisBehindLatest) === 0, { description: 'millisBehindLatest 0' });
    expect(metrics.counter(PROCESSING_METRICS.recordsProcessed)).toBe(400);
    expect(events.filter((e) => e.type === 'recordsProcessed').length).toBe(processor.batches.length);
    expect(events.filter((e) => e.type === 'checkpointed').length).toBe(processor.batches.length);
    consumer.requestShutdown();
    expect(await consumer.finished).toEqual({ kind: 'shutdown' });
    expect(processor.records.map(text)).toEqual(records.map(text));
    const stored = await readAllRecords(client, streamName);
    expect(processor.records.map((r) => r.sequenceNumber)).toEqual(stored.map((r) => r.SequenceNumber));
    expect(handle.lastCheckpoint).toEqual({ sequenceNumber: stored.at(-1)!.SequenceNumber, subSequenceNumber: 0 });
    expect(processor.log[0]).toBe('initialize TRIM_HORIZON/0');
    expect(processor.log.at(-1)).toBe('shutdownRequested');
  });

  it('starts at LATEST: only records put after the iterator was taken', async () => {
    const { streamName, shardId } = await stream('latest');
    await putRecords(client, streamName, userRecords(20, 'old'));
    const processor = new RecordingProcessor();
    const { consumer, metrics } = consume({ client, streamName, shardId, processor, startingPosition: LATEST });
    await waitFor(() => metrics.counter(RETRIEVAL_METRICS.getRecordsCalls) > 0, { description: 'the first GetRecords' });
    const fresh = userRecords(30, 'new');
    await putRecords(client, streamName, fresh);
    await waitFor(() => processor.records.length >= 30, { description: 'the new records' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual(fresh.map(text));
  });

  it('starts AT_TIMESTAMP: records that arrived at or after the configured timestamp', async () => {
    const { streamName, shardId } = await stream('timestamp');
    await putRecords(client, streamName, userRecords(20, 'before'));
    const lastArrival = (await readAllRecords(client, streamName)).at(-1)!.ApproximateArrivalTimestamp!.getTime();
    await waitFor(() => Date.now() > lastArrival + 1, { description: 'the clock to pass the last arrival' });
    const timestamp = new Date(lastArrival + 1);
    const after = userRecords(25, 'after');
    await putRecords(client, streamName, after);
    const processor = new RecordingProcessor();
    const { consumer, handle } = consume({ client, streamName, shardId, processor, startingPosition: AT_TIMESTAMP, timestamp });
    await waitFor(() => processor.records.length >= 25, { description: 'the records after the timestamp' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual(after.map(text));
    expect(handle.checkpoints.every((c) => /^\d+$/.test(c.sequenceNumber))).toBe(true);
  });

  it('fails at once when the lease is at AT_TIMESTAMP and no timestamp is configured', async () => {
    const processor = new RecordingProcessor();
    const { consumer } = consume({ client, streamName: 'unused', shardId: 'shardId-000000000000', processor, startingPosition: AT_TIMESTAMP });
    expect(await consumer.finished).toMatchObject({ kind: 'failed', error: { code: 'INVALID_OPTION' } });
    expect(processor.log).toEqual([]);
  });

  it('de-aggregates KPL aggregates into user records with sub-sequence numbers', async () => {
    const { streamName, shardId } = await stream('agg');
    const { users, outer } = aggregates(20, 25, 'agg');
    await putRecords(client, streamName, outer);
    const processor = new RecordingProcessor();
    const { consumer } = consume({ client, streamName, shardId, processor, polling: { maxRecords: 3 } });
    await waitFor(() => processor.records.length >= users.length, { description: 'every user record' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual(users.map(text));
    expect(processor.records.every((r) => r.aggregated)).toBe(true);
    const stored = await readAllRecords(client, streamName);
    expect(processor.records.slice(0, 25).map((r) => [r.sequenceNumber, r.subSequenceNumber])).toEqual(
      Array.from({ length: 25 }, (_, sub) => [stored[0]!.SequenceNumber, sub]),
    );
  });

  it('restart inside an aggregate resumes at the next sub-record', async () => {
    const { streamName, shardId } = await stream('restart');
    const { users, outer } = aggregates(4, 10, 'r');
    await putRecords(client, streamName, outer);
    const stored = await readAllRecords(client, streamName);
    // The first owner processes up to sub-record 6 of the second aggregate, checkpoints there, then stops.
    const checkpoint: Position = { sequenceNumber: stored[1]!.SequenceNumber!, subSequenceNumber: 6 };
    const first = new RecordingProcessor([], {
      checkpointEveryBatch: false,
      checkpointAtShutdown: false,
      onBatch: async (input) => {
        if (input.records.some((r) => r.sequenceNumber === checkpoint.sequenceNumber)) await input.checkpointer.checkpoint(checkpoint);
      },
    });
    const one = consume({ client, streamName, shardId, processor: first });
    await waitFor(() => one.handle.lastCheckpoint !== undefined, { description: 'the mid-aggregate checkpoint' });
    one.consumer.requestShutdown();
    await one.consumer.finished;
    expect(one.handle.lastCheckpoint).toEqual(checkpoint);

    const second = new RecordingProcessor();
    const two = consume({ client, streamName, shardId, processor: second, startingPosition: one.handle.lastCheckpoint! });
    await waitFor(() => second.records.length >= users.length - 17, { description: 'the rest of the records' });
    two.consumer.requestShutdown();
    await two.consumer.finished;
    expect(second.records[0]).toMatchObject({ sequenceNumber: checkpoint.sequenceNumber, subSequenceNumber: 7 });
    expect(second.records.map(text)).toEqual(users.slice(17).map(text));
    expect(second.log[0]).toBe(`initialize ${checkpoint.sequenceNumber}/6`);
  });
});
