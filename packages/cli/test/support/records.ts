import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

export interface RecordToPut {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly explicitHashKey?: string | undefined;
}

/** Puts records with the plain SDK (no code under test); throws if any failed. */
export async function putRecords(client: KinesisClient, streamName: string, records: readonly RecordToPut[]): Promise<void> {
  const result = await client.send(
    new PutRecordsCommand({ StreamName: streamName, Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data, ExplicitHashKey: r.explicitHashKey })) }),
  );
  if ((result.FailedRecordCount ?? 0) > 0) throw new Error(`${result.FailedRecordCount} of ${records.length} records failed`);
}
