import { describe, expect, it, vi } from 'vitest';
import { KinesisKitError } from '@kinesis-kit/aggregation';
import { deaggregateEvent, LambdaHandlerError } from '../src/index.js';
import type { CorruptAggregateInfo, KinesisStreamEvent } from '../src/index.js';
import {
  GOLDEN_AGGREGATE,
  KPL_MAGIC,
  awsKinesisAggAggregate,
  malformedProtobuf,
  ourAggregate,
  plain,
  truncated,
  user,
  withBadMd5,
} from './fixtures/aggregates.js';
import { SHARD_ID, STREAM_ARN, kinesisEvent, sequenceNumberAt } from './fixtures/events.js';

const EHK = '170141183460469231731687303715884105728'; // 2^127: the middle of the hash key space

describe('deaggregateEvent', () => {
  it('expands the format reference vector into its three user records with every field set', () => {
    const event = kinesisEvent([{ partitionKey: 'a', data: GOLDEN_AGGREGATE }]);
    const parent = event.Records[0];
    const records = deaggregateEvent(event);

    const common = {
      sequenceNumber: sequenceNumberAt(0),
      aggregated: true,
      approximateArrivalTimestamp: new Date(1700000000123),
      eventID: `${SHARD_ID}:${sequenceNumberAt(0)}`,
      eventSourceARN: STREAM_ARN,
      shardId: SHARD_ID,
      parent,
    };
    expect(records).toEqual([
      { ...common, partitionKey: 'pk1', data: Buffer.from('hello'), subSequenceNumber: 0 },
      { ...common, partitionKey: 'pk2', data: Buffer.from('world'), subSequenceNumber: 1 },
      { ...common, partitionKey: 'pk1', data: Buffer.from('!'), subSequenceNumber: 2 },
    ]);
    expect(records.every((r) => Buffer.isBuffer(r.data) && r.parent === parent)).toBe(true);
  });

  it('reads aggregates from our encoder and from aws-kinesis-agg, mixed with plain records, in order', () => {
    const event = kinesisEvent([
      plain('order-1', 'plain before'),
      ourAggregate([user('order-2', 'ours 0'), user('order-3', 'ours 1'), user('order-2', 'ours 2')]),
      awsKinesisAggAggregate([user('order-4', 'agg 0'), user('order-5', 'agg 1')]),
      plain('order-6', 'plain after'),
    ]);

    const summary = deaggregateEvent(event).map((r) => [
      r.sequenceNumber,
      r.subSequenceNumber,
      r.aggregated,
      r.partitionKey,
      r.data.toString('utf8'),
    ]);

    expect(summary).toEqual([
      [sequenceNumberAt(0), 0, false, 'order-1', 'plain before'],
      [sequenceNumberAt(1), 0, true, 'order-2', 'ours 0'],
      [sequenceNumberAt(1), 1, true, 'order-3', 'ours 1'],
      [sequenceNumberAt(1), 2, true, 'order-2', 'ours 2'],
      [sequenceNumberAt(2), 0, true, 'order-4', 'agg 0'],
      [sequenceNumberAt(2), 1, true, 'order-5', 'agg 1'],
      [sequenceNumberAt(3), 0, false, 'order-6', 'plain after'],
    ]);
  });

  it.each([
    ['our encoder', ourAggregate],
    ['aws-kinesis-agg', awsKinesisAggAggregate],
  ])('sets explicitHashKey only on members that have one (%s)', (_name, encode) => {
    const event = kinesisEvent([encode([user('k1', 'with', EHK), user('k2', 'without'), user('k3', 'with again', EHK)])]);

    const records = deaggregateEvent(event);

    expect(records.map((r) => r.explicitHashKey)).toEqual([EHK, undefined, EHK]);
    expect('explicitHashKey' in (records[1] ?? {})).toBe(false);
  });

  it('returns every data byte exactly: all byte values, empty data, nested magic, multi-byte keys', () => {
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const nestedMagic = Buffer.concat([KPL_MAGIC, Buffer.alloc(40, 0xab)]);
    const members = [
      { partitionKey: 'bytes', data: allBytes },
      { partitionKey: 'empty', data: Buffer.alloc(0) },
      { partitionKey: 'nested', data: nestedMagic },
      { partitionKey: 'clé-ünïcödé-🔑', data: Buffer.from('ünïcödé ✓', 'utf8') },
    ];
    const event = kinesisEvent([awsKinesisAggAggregate(members), { partitionKey: 'raw', data: allBytes }]);

    const records = deaggregateEvent(event);

    expect(records.map((r) => r.partitionKey)).toEqual(['bytes', 'empty', 'nested', 'clé-ünïcödé-🔑', 'raw']);
    expect(records.map((r) => r.data.toString('hex'))).toEqual([
      allBytes.toString('hex'),
      '',
      nestedMagic.toString('hex'),
      Buffer.from('ünïcödé ✓', 'utf8').toString('hex'),
      allBytes.toString('hex'),
    ]);
    // A member whose data starts with the magic is data, not a nested aggregate.
    expect(records[2]?.aggregated).toBe(true);
  });

  it('numbers the members of a large aggregate 0..n-1 and keeps each one\'s bytes', () => {
    const members = Array.from({ length: 500 }, (_, i) => ({
      partitionKey: `device-${i % 7}`,
      data: Buffer.from(Array.from({ length: i % 50 }, (_, j) => (i * 31 + j) & 0xff)),
    }));

    const records = deaggregateEvent(kinesisEvent([awsKinesisAggAggregate(members)]));

    expect(records.map((r) => r.subSequenceNumber)).toEqual(members.map((_, i) => i));
    expect(records.map((r) => [r.partitionKey, r.data.toString('hex')])).toEqual(
      members.map((m) => [m.partitionKey, m.data.toString('hex')]),
    );
  });

  it('treats one user record from our encoder as a plain record (the KPL sends it unaggregated)', () => {
    const records = deaggregateEvent(kinesisEvent([ourAggregate([user('solo', 'alone')])]));

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ partitionKey: 'solo', aggregated: false, subSequenceNumber: 0 });
    expect(records[0]?.data.toString()).toBe('alone');
  });

  it('treats the magic followed by 16 bytes or fewer as a plain record, without reporting corruption', () => {
    const data = Buffer.concat([KPL_MAGIC, Buffer.alloc(16, 7)]);
    const onCorrupt = vi.fn();

    const records = deaggregateEvent(kinesisEvent([{ partitionKey: 'short', data }]), { onCorrupt });

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ partitionKey: 'short', aggregated: false });
    expect(records[0]?.data.equals(data)).toBe(true);
    expect(onCorrupt).not.toHaveBeenCalled();
  });

  describe('corrupt aggregates', () => {
    const good = ourAggregate([user('k1', 'one'), user('k2', 'two')]);
    const cases = [
      ['bad MD5', withBadMd5(good), 'md5-mismatch'],
      ['truncated', truncated(good), 'md5-mismatch'],
      ['malformed protobuf under a valid MD5', malformedProtobuf('a'), 'malformed-protobuf'],
    ] as const;

    it.each(cases)('passes a %s aggregate through as one plain record and reports it', (_name, corrupt, reason) => {
      const event = kinesisEvent([plain('before', 'ok 1'), corrupt, plain('after', 'ok 2')]);
      const reports: CorruptAggregateInfo[] = [];
      const logger = { warn: vi.fn() };

      const records = deaggregateEvent(event, { onCorrupt: (info) => reports.push(info), logger });

      expect(records.map((r) => [r.sequenceNumber, r.subSequenceNumber, r.aggregated])).toEqual([
        [sequenceNumberAt(0), 0, false],
        [sequenceNumberAt(1), 0, false],
        [sequenceNumberAt(2), 0, false],
      ]);
      expect(records[1]?.partitionKey).toBe(corrupt.partitionKey);
      expect(records[1]?.data.equals(Buffer.from(corrupt.data))).toBe(true);
      expect(reports).toEqual([
        {
          reason,
          detail: expect.any(String),
          sequenceNumber: sequenceNumberAt(1),
          shardId: SHARD_ID,
          eventID: `${SHARD_ID}:${sequenceNumberAt(1)}`,
          parent: event.Records[1],
        },
      ]);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('Corrupt KPL aggregate'), {
        reason,
        detail: reports[0]?.detail,
        sequenceNumber: sequenceNumberAt(1),
        shardId: SHARD_ID,
        eventID: `${SHARD_ID}:${sequenceNumberAt(1)}`,
      });
    });

    it('does not throw when nobody listens', () => {
      const records = deaggregateEvent(kinesisEvent([withBadMd5(good)]));

      expect(records).toHaveLength(1);
      expect(records[0]?.data.equals(Buffer.from(withBadMd5(good).data))).toBe(true);
    });
  });

  it('returns no records for an event without records', () => {
    expect(deaggregateEvent({ Records: [] })).toEqual([]);
  });

  it('converts the float-seconds arrival time to the exact millisecond', () => {
    const event = kinesisEvent([plain('k', 'v')], { approximateArrivalTimestamp: 1428537600.571 });
    const subMillisecond = kinesisEvent([plain('k', 'v')], { approximateArrivalTimestamp: 1428537600.5716 });

    expect(deaggregateEvent(event)[0]?.approximateArrivalTimestamp.getTime()).toBe(1428537600571);
    expect(deaggregateEvent(subMillisecond)[0]?.approximateArrivalTimestamp.getTime()).toBe(1428537600572);
  });

  it('parses the shard id from the event id of each record', () => {
    const event = kinesisEvent([plain('k', 'v')], { shardId: 'shardId-000000000017' });

    expect(deaggregateEvent(event)[0]?.shardId).toBe('shardId-000000000017');
  });

  describe('events that are not Lambda Kinesis events', () => {
    const valid = kinesisEvent([plain('k', 'v')]);
    const first = valid.Records[0];
    if (first === undefined) throw new Error('fixture has no record');
    const cases: [string, unknown][] = [
      ['no Records', {}],
      ['null', null],
      ['an SQS record', { Records: [{ messageId: '1', body: 'x', eventSource: 'aws:sqs' }] }],
      ['data that is not a string', { Records: [{ ...first, kinesis: { ...first.kinesis, data: 42 } }] }],
      ['an eventID without a shard id', { Records: [{ ...first, eventID: 'nonsense' }] }],
    ];

    it.each(cases)('throws INVALID_EVENT, not retriable, for %s', (_name, event) => {
      const call = (): unknown => deaggregateEvent(event as KinesisStreamEvent);

      expect(call).toThrow(LambdaHandlerError);
      expect(call).toThrow(expect.objectContaining({ code: 'INVALID_EVENT', retriable: false }));
      expect(call).toThrow(KinesisKitError);
    });
  });
});
