import { keySlot } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { PutRecordError } from '../src/errors.js';
import { Intake, PendingRecord, type WrittenAt } from '../src/records.js';

// A PendingRecord is a value: these tests settle it directly, no stream involved.
function pending(): PendingRecord {
  const input = { partitionKey: 'key-é', data: new Uint8Array(10) };
  const intake = new Intake(500, 30_000);
  return new PendingRecord(input, keySlot(input.partitionKey), undefined, input.data, intake, 1_000, 1);
}

const at: WrittenAt = { shardId: 'shardId-1', sequenceNumber: '42', firstTry: Object.freeze([{ startedAt: 5, durationMs: 1 }]) };

describe('PendingRecord', () => {
  it('reads its size and partition key through its key slot', () => {
    const record = pending();
    expect(record.partitionKey).toBe('key-é');
    expect(record.size).toBe(10 + 6); // 'key-é' is 6 UTF-8 bytes
    expect(record.acceptedAt).toBe(1_000);
    expect(record.expiresAt).toBe(31_000);
  });

  it('keeps its acceptance time as whole milliseconds after its intake epoch, and an intake renews before offsets grow large', () => {
    const start = 1_764_000_000_123.75; // a system clock reading
    const intake = new Intake(start, 30_000);
    const input = { partitionKey: 'k', data: new Uint8Array(1) };
    const record = new PendingRecord(input, keySlot('k'), undefined, input.data, intake, start + 10.6, 1);
    expect(record.acceptedAt).toBe(1_764_000_000_134); // never later than the real time: deadlines only come earlier
    expect(record.expiresAt).toBe(1_764_000_030_134);
    expect(intake.at(start + 1_000)).toBe(intake);
    const renewed = intake.at(start + 2 ** 30);
    expect(renewed).not.toBe(intake);
    expect(renewed.epoch).toBe(Math.floor(start + 2 ** 30));
    expect(record.acceptedAt).toBe(1_764_000_000_134); // a record keeps the intake it was accepted under
  });

  it('resolves a result asked for before it was written with the shared location and its own subsequence number', async () => {
    const record = pending();
    const result = record.result;
    record.written(at, 7);
    expect(record.settled).toBe(true);
    await expect(result).resolves.toEqual({ shardId: 'shardId-1', sequenceNumber: '42', subSequenceNumber: 7, attempts: at.firstTry });
    expect(record.result).toBe(result);
  });

  it('builds the result on demand when it is asked for after it was written, with its own attempts if it had failed before', async () => {
    const record = pending();
    record.addAttempt({ startedAt: 1, durationMs: 1, errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'slow down' });
    record.attempts!.push({ startedAt: 5, durationMs: 1 });
    record.written(at, 3);
    const result = await record.result;
    expect(result.subSequenceNumber).toBe(3);
    expect(result.attempts.map((a) => a.errorCode)).toEqual(['ProvisionedThroughputExceededException', undefined]);
  });

  it('rejects with the error whether the result was asked for before or after it failed, never unhandled', async () => {
    const error = new PutRecordError('EXPIRED', 'too late', { record: pending().input });
    const before = pending();
    const early = before.result;
    before.failed(error);
    await expect(early).rejects.toBe(error);
    const after = pending();
    after.failed(error);
    await expect(after.result).rejects.toBe(error);
  });

  it('tells its listener once it settles, with the PutResult available to it', () => {
    const record = pending();
    const seen: unknown[] = [];
    record.listener = { recordSettled: (settled, error) => seen.push(error ?? settled.putResult()) };
    record.written(at, 0);
    expect(seen).toEqual([{ shardId: 'shardId-1', sequenceNumber: '42', subSequenceNumber: 0, attempts: at.firstTry }]);
  });
});
