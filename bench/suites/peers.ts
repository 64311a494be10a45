// Typed handles on the peers we compare against, loaded through require() because
// aws-kinesis-agg ships CommonJS with typings that need the v2 aws-sdk, and protobufjs is
// only needed here (the aggregation package does not depend on it).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface AwsAggInputRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Uint8Array;
}

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
  /** base64 */
  data: string;
}

export interface AwsKinesisAgg {
  RecordAggregator: new () => {
    aggregateRecords(
      records: AwsAggInputRecord[],
      forceFlush: boolean,
      onReady: (error: Error | null, encoded?: AwsAggEncodedRecord) => void,
    ): void;
  };
  deaggregateSync(
    record: { data: Uint8Array | string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (error: Error | null | undefined, records?: AwsAggUserRecord[]) => void,
  ): void;
}

export const awsKinesisAgg = require('aws-kinesis-agg') as AwsKinesisAgg;
export const awsKinesisAggVersion = (require('aws-kinesis-agg/package.json') as { version: string }).version;

export interface PbWriter {
  uint32(value: number): PbWriter;
  string(value: string): PbWriter;
  bytes(value: Uint8Array): PbWriter;
  fork(): PbWriter;
  ldelim(): PbWriter;
  finish(): Uint8Array;
}

export interface PbReader {
  pos: number;
  len: number;
  uint32(): number;
  string(): string;
  bytes(): Uint8Array;
  skipType(wireType: number): PbReader;
}

export interface ProtobufjsMinimal {
  Writer: { create(): PbWriter };
  Reader: { create(buffer: Uint8Array): PbReader };
}

/**
 * protobufjs/minimal: the workspace's copy when there is one, else the copy aws-kinesis-agg
 * depends on (so this comparison keeps working without a protobufjs dependency of our own).
 */
export function loadProtobufjs(): { pb: ProtobufjsMinimal; version: string } {
  for (const from of [import.meta.url, require.resolve('aws-kinesis-agg')]) {
    try {
      const load = createRequire(from);
      const pb = load('protobufjs/minimal.js') as ProtobufjsMinimal;
      const version = (load('protobufjs/package.json') as { version: string }).version;
      return { pb, version };
    } catch {
      // try the next location
    }
  }
  throw new Error('protobufjs is not installed');
}
