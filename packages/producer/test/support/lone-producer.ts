// A KinesisProducer alone in its own process, for tests that a producer with nothing to do lets
// the process exit. Run through the repository's TypeScript loader:
//   node --conditions=kinesis-kit-source --import ./test/workers/ts-loader.mjs <this file>
// Configured by environment variables: KINESIS_ENDPOINT, ACCOUNT_ID, STREAM_NAME, RECORDS,
// PRODUCER_OPTIONS (JSON). Puts RECORDS records, waits until every put settled, prints one JSON
// line { written, failed: [{ code, causeCode, cause }] }, and then does nothing more: it never
// calls close(). The process must then end by itself. With PUT_WITHOUT_AWAIT=1 nothing awaits
// the puts: the report is printed when the event loop runs out of work ('beforeExit'), so a
// producer that let the process go while it still held records would report them unwritten.
import http from 'node:http';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { PutRecordError} from '@kinesis-kit/producer';
import { KinesisProducer, type ProducerTuning } from '@kinesis-kit/producer';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};

const client = new KinesisClient({
  endpoint: env('KINESIS_ENDPOINT'),
  region: 'us-east-1',
  maxAttempts: 1,
  credentials: { accessKeyId: env('ACCOUNT_ID'), secretAccessKey: 'test' },
  requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
});
const options = JSON.parse(process.env.PRODUCER_OPTIONS ?? '{}') as ProducerTuning;
const producer = new KinesisProducer({ ...options, streamName: env('STREAM_NAME'), kinesisClient: client });
const count = Number(env('RECORDS'));
const puts = Array.from({ length: count }, (_, i) => producer.put({ partitionKey: `key-${i % 7}`, data: new TextEncoder().encode(`record ${i}`) }));

function report(written: number, failed: readonly PutRecordError[]): void {
  process.stdout.write(
    `${JSON.stringify({
      written,
      failed: failed.map((e) => ({ code: e.code, causeCode: e.causeCode, cause: e.cause instanceof Error ? e.cause.name : undefined })),
    })}\n`,
  );
}

if (process.env.PUT_WITHOUT_AWAIT === '1') {
  let written = 0;
  const failed: PutRecordError[] = [];
  for (const put of puts) put.then(() => written++, (error: unknown) => failed.push(error as PutRecordError));
  process.once('beforeExit', () => report(written, failed));
} else {
  const settled = await Promise.allSettled(puts);
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as PutRecordError] : []));
  report(settled.length - failed.length, failed);
}
