import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, kinesisClient, testAccountId, waitFor, type TestStream } from '../../../../test/harness/index.js';
import { LeaseLostError, ProcessorFailedError } from '../../src/errors.js';
import type { ProcessRecordsInput } from '../../src/processor.js';
import { PROCESSING_METRICS } from '../../src/processing/metric-names.js';
import { RecordingProcessor, consume, putRecords, shardIds, text, userRecords } from '../support/processing.js';

/** A promise with its resolve function, to hold a processor call until the test releases it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('shard consumer lifecycle against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;
  let shardId: string;
  const records = userRecords(200, 'life');

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 1, 'lifecycle');
    [shardId] = (await shardIds(client, stream.streamName)) as [string];
    await putRecords(client, stream.streamName, records);
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  const base = () => ({ client, streamName: stream.streamName, shardId, polling: { maxRecords: 50 } });

  it('a lease lost mid-batch: signal aborted, no further batch, leaseLost called, later checkpoints reject LEASE_LOST', async () => {
    const held = gate();
    let inFlight: ProcessRecordsInput | undefined;
    const processor = new RecordingProcessor([], {
      onBatch: async (input, index) => {
        if (index !== 1) return;
        inFlight = input;
        await held.promise;
      },
    });
    const { consumer, handle, events } = consume({ ...base(), processor });
    await waitFor(() => inFlight !== undefined, { description: 'the second batch to be in the processor' });
    consumer.leaseLost();
    expect(inFlight!.signal.aborted).toBe(true);
    expect(inFlight!.signal.reason).toBeInstanceOf(LeaseLostError);
    handle.lose();
    held.open();
    expect(await consumer.finished).toEqual({ kind: 'leaseLost' });
    expect(processor.log).toEqual(['initialize TRIM_HORIZON/0', 'processRecords 50', 'processRecords 50', 'leaseLost']);
    // The held batch ran to its end; its own checkpoint was refused (LeaseLostError), so only the first one was written.
    expect(processor.records).toHaveLength(100);
    await expect(inFlight!.checkpointer.checkpoint()).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(handle.checkpoints).toHaveLength(1);
    expect(events.filter((e) => e.type === 'stateChanged').map((e) => e.type === 'stateChanged' && e.to)).toEqual([
      'initializing',
      'processing',
      'losingLease',
      'finished',
    ]);
  });

  it('a lease lost found by a checkpoint: LeaseLostError to the processor, then leaseLost, outcome leaseLost', async () => {
    const caught: unknown[] = [];
    const processor = new RecordingProcessor([], {
      checkpointEveryBatch: false,
      onBatch: async (input, index) => {
        if (index === 1) handle.lose();
        await input.checkpointer.checkpoint().catch((error: unknown) => caught.push(error));
      },
    });
    const { consumer, handle, metrics } = consume({ ...base(), processor });
    expect(await consumer.finished).toEqual({ kind: 'leaseLost' });
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(LeaseLostError);
    expect(processor.log.slice(-2)).toEqual(['processRecords 50', 'leaseLost']);
    expect(processor.signals[1]!.aborted).toBe(true);
    expect(metrics.counter(PROCESSING_METRICS.checkpointLeaseLost)).toBe(1);
  });

  it('graceful shutdown: the batch in hand finishes, shutdownRequested gets a working checkpointer, later ones are refused', async () => {
    const held = gate();
    const processor = new RecordingProcessor([], {
      checkpointEveryBatch: false,
      onBatch: async (_input, index) => {
        if (index === 0) await held.promise;
      },
    });
    const { consumer, handle } = consume({ ...base(), processor });
    await waitFor(() => processor.batches.length === 1, { description: 'the first batch' });
    consumer.requestShutdown();
    held.open();
    expect(await consumer.finished).toEqual({ kind: 'shutdown' });
    expect(processor.log).toEqual(['initialize TRIM_HORIZON/0', 'processRecords 50', 'shutdownRequested']);
    expect(processor.errors).toEqual([]);
    expect(handle.checkpoints).toEqual([{ sequenceNumber: processor.records[49]!.sequenceNumber, subSequenceNumber: 0 }]);
    expect(processor.signals[0]!.aborted).toBe(false);
    await expect(processor.lastCheckpointer!.checkpoint()).rejects.toMatchObject({ code: 'LEASE_LOST' });
  });

  it("processRecords throwing (policy 'retry'): the batch's un-checkpointed records come again, nothing skipped or repeated after the checkpoint", async () => {
    let failures = 0;
    const processor = new RecordingProcessor([], {
      checkpointEveryBatch: true,
      onBatch: async (input) => {
        if (failures >= 2 || input.records.length < 50) return;
        failures += 1;
        // Checkpoint part of the batch, then fail: only the rest is delivered again.
        await input.checkpointer.checkpoint(input.records[9]!);
        processor.records.push(...input.records.slice(0, 10));
        throw new Error('downstream unavailable');
      },
    });
    const { consumer, events, metrics } = consume({ ...base(), processor });
    await waitFor(() => processor.records.length >= records.length, { description: 'every record' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual(records.map(text));
    expect(processor.batches.slice(0, 5)).toEqual([50, 40, 50, 40, 50]);
    expect(metrics.counter(PROCESSING_METRICS.processRecordsErrors)).toBe(2);
    expect(events.filter((e) => e.type === 'processorError').map((e) => e.type === 'processorError' && e.willRetry)).toEqual([true, true]);
  });

  it("a batch still failing at shutdown (policy 'retry') is not marked processed by checkpoint() in shutdownRequested", async () => {
    const processor = new RecordingProcessor([], {
      onBatch: (_input, index) => {
        if (index >= 1) throw new Error('still failing');
      },
    });
    const { consumer, handle, events } = consume({ ...base(), processor });
    await waitFor(() => events.filter((e) => e.type === 'processorError').length >= 2, { description: 'two failed deliveries' });
    consumer.requestShutdown();
    expect(await consumer.finished).toEqual({ kind: 'shutdown' });
    expect(processor.log.at(-1)).toBe('shutdownRequested');
    expect(processor.errors).toEqual([]);
    const endOfFirstBatch = { sequenceNumber: processor.records[49]!.sequenceNumber, subSequenceNumber: 0 };
    expect(handle.checkpoints).toEqual([endOfFirstBatch, endOfFirstBatch]);
  });

  it("processRecords throwing (policy 'skip'): logged, the next batch follows, the failed one is not checkpointed", async () => {
    const processor = new RecordingProcessor([], {
      checkpointAtShutdown: false,
      onBatch: (_input, index) => {
        if (index === 1) throw new Error('poison');
      },
    });
    const { consumer, handle } = consume({ ...base(), processor, overrides: { processRecordsErrorPolicy: 'skip' } });
    await waitFor(() => processor.batches.length >= 4, { description: 'four batches' });
    consumer.requestShutdown();
    await consumer.finished;
    expect(processor.records.map(text)).toEqual([...records.slice(0, 50), ...records.slice(100)].map(text));
    expect(handle.checkpoints).toHaveLength(processor.batches.length - 1);
  });

  it('initialize throwing: outcome failed PROCESSOR_FAILED, no other processor call', async () => {
    const processor = new RecordingProcessor();
    processor.initialize = () => {
      throw new Error('no database');
    };
    const { consumer } = consume({ ...base(), processor });
    const outcome = await consumer.finished;
    expect(outcome.kind === 'failed' && outcome.error).toBeInstanceOf(ProcessorFailedError);
    expect(processor.log).toEqual([]);
  });
});
