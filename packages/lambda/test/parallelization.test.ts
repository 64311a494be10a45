// The facts behind docs/lambda.md "ParallelizationFactor": with a factor above 1, Lambda keeps
// order per partition key of the Kinesis records it reads (the outer records), and what the
// outer key is depends on the producer. No emulator runs Lambda's event source mapping; these
// tests show what each producer puts on the wire for one user key.
import { RecordAggregator } from '@kinesis-kit/aggregation';
import type { UserRecord } from '@kinesis-kit/aggregation';
import { describe, expect, it } from 'vitest';
import { deaggregateEvent } from '../src/index.js';
import { awsKinesisAggAggregate, user } from './fixtures/aggregates.js';
import type { PutRecord } from './fixtures/events.js';
import { kinesisEvent } from './fixtures/events.js';

/** What our producer's aggregator (the KPL's rule) sends for `records`, flushed as one outer record. */
function ourOuterRecord(records: readonly UserRecord[]): PutRecord {
  const aggregator = new RecordAggregator();
  for (const record of records) expect(aggregator.tryAdd(record)).toBe(true);
  const outer = aggregator.build();
  if (outer === undefined) throw new Error('nothing built');
  return outer;
}

/** The outer partition key of every user record of `userKey`, in stream order. */
function outerKeysOf(userKey: string, outers: readonly PutRecord[]): string[] {
  return deaggregateEvent(kinesisEvent(outers))
    .filter((record) => record.partitionKey === userKey)
    .map((record) => record.parent.kinesis.partitionKey);
}

describe('outer partition keys Lambda sees for one user key', () => {
  it('our producer (the KPL rule): "a" when the record is in an aggregate, its own key when it is sent alone', () => {
    const outers = [ourOuterRecord([user('user-42', '1'), user('user-7', '2')]), ourOuterRecord([user('user-42', '3')])];

    expect(outerKeysOf('user-42', outers)).toEqual(['a', 'user-42']);
  });

  it('aws-kinesis-agg: the first member\'s key, whichever user record comes first', () => {
    const outers = [awsKinesisAggAggregate([user('user-7', '1'), user('user-42', '2')]), awsKinesisAggAggregate([user('user-42', '3')])];

    expect(outerKeysOf('user-42', outers)).toEqual(['user-7', 'user-42']);
  });

  it('with aggregation off, every record carries its own key', () => {
    const outers = [user('user-42', '1'), user('user-7', '2'), user('user-42', '3')].map((record) => ourOuterRecord([record]));

    expect(outerKeysOf('user-42', outers)).toEqual(['user-42', 'user-42']);
  });
});
