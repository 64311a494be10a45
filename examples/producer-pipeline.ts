// Piping a Node stream of events into Kinesis with producer.writable().
//
// - write() returns false while the producer's buffer is full, so pipeline() pulls from the
//   source only as fast as Kinesis takes the records: memory stays bounded.
// - pipeline() resolves once every record written through the stream is durably in Kinesis,
//   and rejects with the first PutRecordError (records accepted before it are still written).
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KinesisProducer, type PutRecordInput } from '@kinesis-kit/producer';

declare const events: NodeJS.ReadableStream; // e.g. fs.createReadStream('events.ndjson') through a line splitter

const producer = new KinesisProducer({ streamName: 'events', clientConfig: { region: 'eu-west-1' } });
const encoder = new TextEncoder();

const toRecord = new Transform({
  readableObjectMode: true,
  transform(line: Buffer, _encoding, callback) {
    const event = JSON.parse(line.toString('utf8')) as { userId: string };
    const record: PutRecordInput = { partitionKey: event.userId, data: encoder.encode(line.toString('utf8')) };
    callback(null, record);
  },
});

try {
  await pipeline(events, toRecord, producer.writable());
} finally {
  await producer.close();
}
