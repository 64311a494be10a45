import { describe, expect, it, vi } from 'vitest';
import { aggregate } from '@kinesis-kit/aggregation';
import { deaggregateEvent, deaggregateRecord } from '../src/index.js';
import type { KinesisStreamRecord } from '../src/index.js';
import { awsKinesisAggAggregate, ourAggregate, plain, user, withBadMd5 } from './fixtures/aggregates.js';
import { kinesisEvent, sequenceNumberAt } from './fixtures/events.js';

function onlyRecord(records: readonly KinesisStreamRecord[]): KinesisStreamRecord {
  const [record] = records;
  if (record === undefined) throw new Error('the event has no record');
  return record;
}

describe('deaggregateRecord', () => {
  it('gives the members of one event record, exactly as deaggregateEvent gives them', () => {
    const event = kinesisEvent([
      plain('pk-a', 'A'),
      ourAggregate([user('pk-b', 'B0'), user('pk-c', 'B1', '42')]),
      awsKinesisAggAggregate([user('pk-d', 'C0'), user('pk-d', 'C1')]),
    ]);

    const perRecord = event.Records.flatMap((record) => deaggregateRecord(record));

    expect(perRecord).toEqual(deaggregateEvent(event));
    expect(perRecord.map((r) => [r.data.toString(), r.sequenceNumber, r.subSequenceNumber])).toEqual([
      ['A', sequenceNumberAt(0), 0],
      ['B0', sequenceNumberAt(1), 0],
      ['B1', sequenceNumberAt(1), 1],
      ['C0', sequenceNumberAt(2), 0],
      ['C1', sequenceNumberAt(2), 1],
    ]);
  });

  it('passes a corrupt aggregate through as one plain record and reports it', () => {
    const corrupt = withBadMd5(ourAggregate([user('k', 'x'), user('k', 'y')]));
    const record = onlyRecord(kinesisEvent([corrupt]).Records);
    const onCorrupt = vi.fn();
    const logger = { warn: vi.fn() };

    const records = deaggregateRecord(record, { onCorrupt, logger });

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ aggregated: false, subSequenceNumber: 0, data: Buffer.from(corrupt.data) });
    expect(onCorrupt).toHaveBeenCalledWith(expect.objectContaining({ reason: 'md5-mismatch', parent: record }));
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('throws INVALID_EVENT, not retriable, for a record that is not a Kinesis event record', () => {
    const sqsLike = { messageId: '1', body: 'hello', eventSource: 'aws:sqs' } as unknown as KinesisStreamRecord;

    expect(() => deaggregateRecord(sqsLike)).toThrow(expect.objectContaining({ code: 'INVALID_EVENT', retriable: false }));
  });
});

describe('deaggregateRecord with large records (streams raised to 10 MiB)', () => {
  const MiB = 1024 * 1024;

  it('gives back every member of an aggregate just under 10 MiB, and a plain 10 MiB record, byte for byte', () => {
    const pattern = (size: number, seed: number): Buffer => {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1024) data[i] = (seed + i / 1024) & 0xff;
      return data;
    };
    const members = [pattern(3 * MiB, 1), pattern(3 * MiB, 2), pattern(3 * MiB, 3), pattern(100, 4)].map((data, i) => ({ partitionKey: `pk-${i}`, data }));
    const outer = aggregate(members, { maxSize: 10 * MiB });
    expect(outer).toHaveLength(1);
    expect(outer[0]!.data.length).toBeGreaterThan(9 * MiB);
    const plainRecord = { partitionKey: 'big', data: pattern(10 * MiB - 3, 5) };
    const event = kinesisEvent([outer[0]!, plainRecord]);

    const records = event.Records.flatMap((record) => deaggregateRecord(record));

    expect(records.map((r) => [r.partitionKey, r.subSequenceNumber, r.data.length])).toEqual([
      ['pk-0', 0, 3 * MiB],
      ['pk-1', 1, 3 * MiB],
      ['pk-2', 2, 3 * MiB],
      ['pk-3', 3, 100],
      ['big', 0, 10 * MiB - 3],
    ]);
    records.slice(0, 4).forEach((r, i) => expect(Buffer.from(r.data).equals(members[i]!.data)).toBe(true));
    expect(Buffer.from(records[4]!.data).equals(plainRecord.data)).toBe(true);
  });
});
