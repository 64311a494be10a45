import type { DeaggregatedRecord } from '@kinesis-kit/aggregation';

/** One line of `tail` output (JSON). `data` is the record's bytes as UTF-8 text when they are valid UTF-8, else base64. */
export interface TailLine {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly aggregated: boolean;
  /** ApproximateArrivalTimestamp of the Kinesis record, ISO 8601; null when the service gave none. */
  readonly arrivalTime: string | null;
  readonly encoding: 'utf8' | 'base64';
  readonly data: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text if they are valid UTF-8, else base64. */
export function encodeData(data: Uint8Array): { encoding: 'utf8' | 'base64'; data: string } {
  try {
    return { encoding: 'utf8', data: strictUtf8.decode(data) };
  } catch {
    return { encoding: 'base64', data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  }
}

export function tailLine(shardId: string, record: DeaggregatedRecord): TailLine {
  return {
    shardId,
    partitionKey: record.partitionKey,
    ...(record.explicitHashKey === undefined ? {} : { explicitHashKey: record.explicitHashKey }),
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    aggregated: record.aggregated,
    arrivalTime: record.approximateArrivalTimestamp?.toISOString() ?? null,
    ...encodeData(record.data),
  };
}
