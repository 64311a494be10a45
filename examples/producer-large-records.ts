// Publishing documents of up to 10 MiB to a stream raised with UpdateMaxRecordSize.
//
// - maxRecordSize 'auto': the producer reads the stream's MaxRecordSizeInKiB
//   (DescribeStreamSummary) with every shard map, so raising the stream needs no redeploy; a
//   record above the stream's limit fails alone with RECORD_TOO_LARGE and is never sent.
// - Aggregation stays on for the small records; a large record goes out alone, as the KPL format
//   requires, and aggregates never exceed the stream's limit.
// - maxBufferedBytes is sized for a few large records in flight at once.
import { KinesisProducer, PutRecordError, type MaxRecordSize, type ShardMapEvent } from '@kinesis-kit/producer';

interface StoredDocument {
  readonly id: string;
  readonly body: Uint8Array;
}

declare const documents: AsyncIterable<StoredDocument>; // your source

const maxRecordSize: MaxRecordSize = 'auto';

const producer = new KinesisProducer({
  streamName: 'documents',
  clientConfig: { region: 'eu-west-1' },
  maxRecordSize,
  collectionMaxSize: 10 * 1024 * 1024, // the PutRecords request limit (the default is the KPL's 5 MiB)
  maxBufferedBytes: 128 * 1024 * 1024,
  requestTimeout: 30_000, // a 10 MiB request takes longer than the 6 s default on a slow link
});

producer.on('shardMapRefreshed', ({ reason, maxRecordSize: limit }: ShardMapEvent) => {
  if (limit !== undefined) console.info(`stream limit ${limit} bytes (refresh: ${reason})`);
});

/** Writes every document; returns the ids refused as too large for the stream. */
export async function publishDocuments(): Promise<string[]> {
  const tooLarge: string[] = [];
  const pending: Promise<void>[] = [];
  const refused = (id: string) => (error: unknown): void => {
    if (error instanceof PutRecordError && error.code === 'RECORD_TOO_LARGE') tooLarge.push(id);
    else throw error;
  };
  for await (const document of documents) {
    // Above 10 MiB, enqueue() itself rejects; above the stream's own limit, the result does.
    const ticket = await producer.enqueue({ partitionKey: document.id, data: document.body }).catch(refused(document.id));
    if (ticket !== undefined) pending.push(ticket.result.then(() => undefined, refused(document.id)));
  }
  await Promise.all(pending);
  await producer.close();
  return tooLarge;
}
