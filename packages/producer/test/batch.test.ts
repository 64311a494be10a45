import { describe, expect, it } from 'vitest';
import { PutRecordsBatch } from '../src/batch.js';
import { PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_RECORDS } from '../src/limits.js';
import type { OutgoingRecord } from '../src/lane.js';

const record = (size: number, sendBy = 0): OutgoingRecord => ({ size, sendBy }) as OutgoingRecord;

describe('PutRecordsBatch', () => {
  it('takes at most maxCount records', () => {
    const batch = new PutRecordsBatch(PUT_RECORDS_MAX_RECORDS, PUT_RECORDS_MAX_BYTES);
    for (let i = 0; i < PUT_RECORDS_MAX_RECORDS; i++) expect(batch.tryAdd(record(1))).toBe(true);
    expect(batch.full).toBe(true);
    expect(batch.tryAdd(record(1))).toBe(false);
    expect(batch.count).toBe(PUT_RECORDS_MAX_RECORDS);
  });

  it('keeps exact byte bookkeeping up to and including maxBytes', () => {
    const batch = new PutRecordsBatch(500, 1_000);
    expect(batch.tryAdd(record(600))).toBe(true);
    expect(batch.fits(record(401))).toBe(false);
    expect(batch.tryAdd(record(400))).toBe(true);
    expect(batch.bytes).toBe(1_000);
    expect(batch.full).toBe(false);
    expect(batch.tryAdd(record(1))).toBe(false);
    expect(batch.full).toBe(true);
  });

  it('accepts any one record when empty (a large record goes alone) and tracks the earliest sendBy', () => {
    const batch = new PutRecordsBatch(500, 1_000);
    expect(batch.tryAdd(record(10_000, 50))).toBe(true);
    expect(batch.tryAdd(record(1, 40))).toBe(false);
    const other = new PutRecordsBatch(500, 1_000);
    other.tryAdd(record(1, 50));
    other.tryAdd(record(1, 40));
    other.tryAdd(record(1, 60));
    expect(other.sendBy).toBe(40);
  });
});
