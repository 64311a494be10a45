import { systemClock } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { InvalidCheckpointError, LeaseLostError } from '../../src/errors.js';
import { SHARD_END, TRIM_HORIZON, type Position } from '../../src/position.js';
import { ShardCheckpointer } from '../../src/processing/checkpointer.js';
import { PROCESSING_METRICS } from '../../src/processing/metric-names.js';
import { MemoryLeaseHandle, RecordingMetrics } from '../support/processing.js';

const at = (sequenceNumber: string, subSequenceNumber = 0): Position => ({ sequenceNumber, subSequenceNumber });

function setup(start: Position = TRIM_HORIZON) {
  const handle = new MemoryLeaseHandle('shardId-000000000000');
  const metrics = new RecordingMetrics();
  const lost: string[] = [];
  const checkpointed: Position[] = [];
  const checkpointer = new ShardCheckpointer(handle, start, {
    clock: systemClock,
    metrics,
    onLeaseLost: () => lost.push('lost'),
    onCheckpointed: (position) => checkpointed.push(position),
  });
  return { handle, metrics, lost, checkpointed, checkpointer };
}

describe('ShardCheckpointer', () => {
  it('checkpoint() writes the largest delivered position, checkpoint(record) and (seq, sub) write that position', async () => {
    const { handle, checkpointer, checkpointed, metrics } = setup();
    checkpointer.delivered(at('100', 2));
    await checkpointer.checkpoint(at('100', 0));
    await checkpointer.checkpoint('100', 1);
    await checkpointer.checkpoint();
    expect(handle.checkpoints).toEqual([at('100', 0), at('100', 1), at('100', 2)]);
    expect(checkpointed).toEqual(handle.checkpoints);
    expect(checkpointer.lastCheckpoint).toEqual(at('100', 2));
    expect(metrics.timings.get(PROCESSING_METRICS.checkpointTime)).toHaveLength(3);
  });

  it('checkpoint(seq) without a sub-sequence number means sub-record 0', async () => {
    const { handle, checkpointer } = setup();
    checkpointer.delivered(at('100', 5));
    await checkpointer.checkpoint('100');
    expect(handle.lastCheckpoint).toEqual(at('100', 0));
  });

  it('compares sequence numbers as integers, not strings', async () => {
    const { handle, checkpointer } = setup(at('99'));
    checkpointer.delivered(at('100'));
    await checkpointer.checkpoint('100');
    expect(handle.lastCheckpoint).toEqual(at('100'));
  });

  it.each([
    ['after the last delivered record', () => ['101'] as const],
    ['after the last delivered sub-record', () => ['100', 3] as const],
    ['before the last checkpoint', () => ['50'] as const],
    ['not a sequence number', () => ['SHARD_END'] as const],
    ['not a decimal', () => ['0x10'] as const],
    ['with a negative sub-sequence number', () => ['100', -1] as const],
  ])('rejects a target %s with INVALID_CHECKPOINT and writes nothing', async (_name, target) => {
    const { handle, checkpointer } = setup(at('60'));
    checkpointer.delivered(at('100', 2));
    const [sequenceNumber, sub] = target();
    const error = await checkpointer.checkpoint(sequenceNumber, sub).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCheckpointError);
    expect(error).toMatchObject({ code: 'INVALID_CHECKPOINT', retriable: false });
    expect(handle.checkpoints).toEqual([]);
  });

  it('rejects going back after a later checkpoint', async () => {
    const { checkpointer } = setup();
    checkpointer.delivered(at('200'));
    await checkpointer.checkpoint('200');
    await expect(checkpointer.checkpoint('150')).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT' });
  });

  it('writes SHARD_END for checkpoint() once the shard has ended, and still accepts a delivered record', async () => {
    const { handle, checkpointer } = setup();
    checkpointer.delivered(at('300'));
    checkpointer.shardEnded();
    await checkpointer.checkpoint('300');
    await checkpointer.checkpoint();
    expect(handle.checkpoints).toEqual([at('300'), SHARD_END]);
    await expect(checkpointer.checkpoint('300')).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT' });
  });

  it('writes in call order even when the caller does not wait', async () => {
    const { handle, checkpointer } = setup();
    checkpointer.delivered(at('10', 3));
    await Promise.all([checkpointer.checkpoint('10', 1), checkpointer.checkpoint('10', 2), checkpointer.checkpoint()]);
    expect(handle.checkpoints).toEqual([at('10', 1), at('10', 2), at('10', 3)]);
  });

  it('rejects with LEASE_LOST when the lease is gone, tells the consumer, and refuses every later call', async () => {
    const { handle, checkpointer, lost, metrics } = setup();
    checkpointer.delivered(at('10'));
    handle.lose();
    const error = await checkpointer.checkpoint().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({ code: 'LEASE_LOST', retriable: false, shardId: 'shardId-000000000000' });
    expect(lost).toEqual(['lost']);
    expect(metrics.counter(PROCESSING_METRICS.checkpointLeaseLost)).toBe(1);
    handle.lost = false;
    await expect(checkpointer.checkpoint()).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(handle.checkpoints).toEqual([]);
  });

  it('withdrawDeliveredAfter: checkpoint() falls back to the earlier delivered position, never before the last checkpoint', async () => {
    const { handle, checkpointer } = setup();
    checkpointer.delivered(at('10'));
    await checkpointer.checkpoint();
    checkpointer.delivered(at('20', 4));
    await checkpointer.checkpoint('20', 1);
    checkpointer.withdrawDeliveredAfter(at('10'));
    expect(checkpointer.largestDelivered).toEqual(at('20', 1));
    await checkpointer.checkpoint();
    await expect(checkpointer.checkpoint('20', 2)).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT' });
    expect(handle.checkpoints).toEqual([at('10'), at('20', 1), at('20', 1)]);
  });

  it('refuses after refuse() without calling the lease layer', async () => {
    const { handle, checkpointer } = setup();
    checkpointer.refuse('the shard consumer has finished');
    await expect(checkpointer.checkpoint()).rejects.toThrow(/has finished/);
    expect(handle.checkpoints).toEqual([]);
  });
});
