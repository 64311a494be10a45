// A typed handle on aws-kinesis-agg (CommonJS; its own typings need the v2 aws-sdk).
import { createRequire } from 'node:module';

export interface AwsAggEncodedRecord {
  partitionKey: string;
  ExplicitHashKey?: string;
  data: Buffer;
}

export interface AwsAggUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  sequenceNumber: string;
  subSequenceNumber?: number;
  /** base64 for aggregate members; whatever was passed in for plain records */
  data: string | Uint8Array;
}

interface AwsKinesisAgg {
  RecordAggregator: new () => {
    aggregateRecords(
      records: { partitionKey: string; explicitHashKey?: string; data: Uint8Array }[],
      forceFlush: boolean,
      onReady: (error: Error | null, encoded?: AwsAggEncodedRecord) => void,
    ): void;
  };
  deaggregateSync(
    record: { data: Uint8Array; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (error: Error | null | undefined, records?: AwsAggUserRecord[]) => void,
  ): void;
}

const awsAgg = createRequire(import.meta.url)('aws-kinesis-agg') as AwsKinesisAgg;

/** aws-kinesis-agg's aggregation of `records`, synchronously. */
export function awsAggregate(records: { partitionKey: string; explicitHashKey?: string; data: Uint8Array }[]): AwsAggEncodedRecord[] {
  const out: AwsAggEncodedRecord[] = [];
  new awsAgg.RecordAggregator().aggregateRecords(records, true, (error, encoded) => {
    if (error) throw error;
    out.push(encoded!);
  });
  return out;
}

/** aws-kinesis-agg's de-aggregation (checksums verified), throwing what it reports as an error. */
export function awsDeaggregate(record: { data: Uint8Array; partitionKey: string; sequenceNumber: string }): AwsAggUserRecord[] {
  let result: AwsAggUserRecord[] = [];
  awsAgg.deaggregateSync({ ...record, data: Buffer.from(record.data) }, true, (error, records) => {
    if (error) throw error;
    result = records ?? [];
  });
  return result;
}
