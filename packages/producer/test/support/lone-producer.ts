// A KinesisProducer alone in its own process, for tests that a producer with nothing to do lets
// the process exit. Run through the repository's TypeScript loader:
//   node --conditions=kinesis-kit-source --import ./test/workers/ts-loader.mjs <this file>
// Configured by environment variables: KINESIS_ENDPOINT, ACCOUNT_ID, STREAM_NAME, RECORDS,
// PRODUCER_OPTIONS (JSON). Puts RECORDS records, waits until every put settled, prints one JSON
// line { written, failed: [{ code, causeCode, cause }] }, and then does nothing more: it never
// calls close(). The process must then end by itself.
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
const settled = await Promise.allSettled(
  Array.from({ length: count }, (_, i) => producer.put({ partitionKey: `key-${i % 7}`, data: new TextEncoder().encode(`record ${i}`) })),
);
const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as PutRecordError] : []));
process.stdout.write(
  `${JSON.stringify({
    written: settled.length - failed.length,
    failed: failed.map((e) => ({ code: e.code, causeCode: e.causeCode, cause: e.cause instanceof Error ? e.cause.name : undefined })),
  })}\n`,
);
