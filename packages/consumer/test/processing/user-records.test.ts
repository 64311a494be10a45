import { aggregate, hashKeyOf, type StreamRecord } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { LATEST, TRIM_HORIZON, type Position } from '../../src/position.js';
import { PROCESSING_METRICS } from '../../src/processing/metric-names.js';
import { UserRecordStream } from '../../src/processing/user-records.js';
import { RecordingMetrics, recordingLogger, text, userRecords } from '../support/processing.js';

/** Stream records as GetRecords would return them: `aggregates` KPL aggregates of `perAggregate` user records. */
function stream(aggregates: number, perAggregate: number, firstSequence = 1000n): StreamRecord[] {
  const users = userRecords(aggregates * perAggregate, 'u', 16);
  const outer = Array.from({ length: aggregates }, (_, i) => aggregate(users.slice(i * perAggregate, (i + 1) * perAggregate))).flat();
  expect(outer).toHaveLength(aggregates);
  return outer.map((o, i) => ({ data: o.data, partitionKey: o.partitionKey, sequenceNumber: String(firstSequence + BigInt(i) * 10n) }));
}

function expand(records: readonly StreamRecord[], start: Position, metrics = new RecordingMetrics()) {
  return new UserRecordStream({ shardId: 's', startingPosition: start, metrics, logger: recordingLogger() }).expand(records);
}

describe('UserRecordStream', () => {
  it('expands KPL aggregates with sub-sequence numbers 0..n-1 and passes plain records through', () => {
    const records = stream(3, 5);
    const plain: StreamRecord = { data: new TextEncoder().encode('plain'), partitionKey: 'p', sequenceNumber: '5000' };
    const users = expand([...records, plain], TRIM_HORIZON);
    expect(users.map(text)).toEqual([...userRecords(15, 'u').map(text), 'plain']);
    expect(users.slice(0, 5).map((u) => [u.sequenceNumber, u.subSequenceNumber, u.aggregated])).toEqual(
      [0, 1, 2, 3, 4].map((sub) => [records[0]!.sequenceNumber, sub, true]),
    );
    expect(users.at(-1)).toMatchObject({ sequenceNumber: '5000', subSequenceNumber: 0, aggregated: false });
  });

  it('drops user records at or before a sequence-number start, inside an aggregate too', () => {
    const records = stream(3, 5);
    const metrics = new RecordingMetrics();
    const users = expand(records, { sequenceNumber: records[1]!.sequenceNumber, subSequenceNumber: 2 }, metrics);
    expect(users[0]).toMatchObject({ sequenceNumber: records[1]!.sequenceNumber, subSequenceNumber: 3 });
    expect(users).toHaveLength(15 - 8);
    expect(metrics.counter(PROCESSING_METRICS.restartFiltered)).toBe(8);
  });

  it('keeps filtering across batches until a record past the start appears', () => {
    const records = stream(3, 5);
    const filter = new UserRecordStream({
      shardId: 's',
      startingPosition: { sequenceNumber: records[1]!.sequenceNumber, subSequenceNumber: 4 },
      metrics: new RecordingMetrics(),
      logger: recordingLogger(),
    });
    expect(filter.expand(records.slice(0, 1))).toEqual([]);
    expect(filter.expand(records.slice(1, 2))).toEqual([]);
    expect(filter.expand(records.slice(2)).map((u) => u.subSequenceNumber)).toEqual([0, 1, 2, 3, 4]);
  });

  it('filters nothing after a sentinel start', () => {
    expect(expand(stream(2, 3), LATEST)).toHaveLength(6);
  });

  it('drops aggregate members outside the shard hash key range and counts them', () => {
    const records = stream(1, 8);
    const all = expand(records, TRIM_HORIZON);
    const hashKeys = all.map((u) => hashKeyOf(u)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const middle = hashKeys[4]!;
    const metrics = new RecordingMetrics();
    const kept = new UserRecordStream({
      shardId: 's',
      startingPosition: TRIM_HORIZON,
      hashKeyRange: { startingHashKey: 0n, endingHashKey: middle - 1n },
      metrics,
      logger: recordingLogger(),
    }).expand(records);
    expect(kept.every((u) => hashKeyOf(u) < middle)).toBe(true);
    expect(kept.length + metrics.counter(PROCESSING_METRICS.discardedSubRecords)).toBe(8);
    expect(kept.map((u) => u.subSequenceNumber)).toEqual(all.filter((u) => hashKeyOf(u) < middle).map((u) => u.subSequenceNumber));
  });

  it('reports a corrupt aggregate through metrics, logger and hook, and delivers it as one plain record', () => {
    const [record] = stream(1, 4);
    const data = new Uint8Array(record!.data);
    data[data.length - 1]! ^= 0xff;
    const metrics = new RecordingMetrics();
    const logger = recordingLogger();
    const reasons: string[] = [];
    const users = new UserRecordStream({ shardId: 's', startingPosition: TRIM_HORIZON, metrics, logger, onCorrupt: (info) => reasons.push(info.reason) }).expand([
      { ...record!, data },
    ]);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ aggregated: false, subSequenceNumber: 0 });
    expect(metrics.counter(PROCESSING_METRICS.corruptAggregates)).toBe(1);
    expect(logger.lines).toEqual(['warn corrupt KPL aggregate delivered as one plain record']);
    expect(reasons).toEqual(['md5-mismatch']);
  });
});
