// A producer and a consumer end to end, through faults (partial failures, 5xx, throttling, a
// corrupt aggregate, a processor that throws), with every log line and every CloudWatch EMF
// document captured: none may contain a payload, a partition key or the secret access key.
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { aggregate } from '@kinesis-kit/aggregation';
import { EmfMetrics, type LogFields, type Logger } from '@kinesis-kit/core';
import { KinesisConsumer, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import { KinesisProducer } from '@kinesis-kit/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createStream, dynamoClient, FaultProxy, kinesisClient, testAccountId, uniqueName, waitFor, type TestStream } from '../harness/index.js';
import { FAST_CONSUMER, reportingProcessor } from '../workers/fixtures.js';

const canary = randomBytes(6).toString('hex');
const SECRET = `SECRET-CANARY-${canary}`;
const payload = (i: number) => `PAYLOAD-CANARY-${canary}-${i}`;
const partitionKey = (i: number) => `PK-CANARY-${canary}-${i % 5}`;
const COUNT = 60;

/** Every form in which a log adapter might render bytes or strings of a record. */
function forbiddenForms(): string[] {
  const forms = [SECRET, `CANARY-${canary}`];
  for (let i = 0; i < COUNT; i++) {
    const bytes = Buffer.from(payload(i));
    forms.push(bytes.toString('base64'), bytes.toString('hex'), [...bytes].join(', '), [...bytes].join(','));
  }
  return forms;
}

class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  debug(message: string, fields?: LogFields): void {
    this.#capture('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#capture('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#capture('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#capture('error', message, fields);
  }
  #capture(level: string, message: string, fields: LogFields | undefined): void {
    // util.inspect shows everything a structured logger could serialise: error messages,
    // stacks, causes and every own property, at any depth.
    this.lines.push(`${level} ${message} ${inspect(fields, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity, showHidden: true })}`);
  }
}

describe('observability: no payloads, partition keys or credentials in logs and metrics', () => {
  const accountId = testAccountId();
  const credentials = { accessKeyId: accountId, secretAccessKey: SECRET };
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: TestStream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    kinesis = kinesisClient({ accountId }, { credentials });
    dynamo = dynamoClient({ accountId }, { credentials });
    stream = await createStream(kinesis, 2, 'observability');
    // Partial failures and a 500 for the producer, throttled reads for the consumer.
    const seen = new Map<string, number>();
    proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) => {
      const n = (seen.get(operation) ?? 0) + 1;
      seen.set(operation, n);
      if (operation === 'PutRecords' && n === 1) return { kind: 'partial', indices: [0], code: 'ProvisionedThroughputExceededException' };
      if (operation === 'PutRecords' && n === 2) return { kind: 'error', status: 500, code: 'InternalFailure' };
      if (operation === 'GetRecords' && n % 7 === 1) return { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' };
      return undefined;
    });
  });

  afterAll(async () => {
    await proxy.close();
    await stream.delete();
    kinesis.destroy();
    dynamo.destroy();
  });

  it('logs and EMF documents of a producer and a consumer never contain payloads, partition keys or the secret key', async () => {
    const logger = new CapturingLogger();
    const documents: string[] = [];
    const metrics = new EmfMetrics({ namespace: 'KinesisKitTest', write: (line) => documents.push(line), flushIntervalMs: 0, dimensions: { application: 'observability' } });
    const faulty = kinesisClient({ accountId, endpoint: proxy.endpoint }, { credentials });

    const delivered = new Set<string>();
    let thrown = false;
    const inner = reportingProcessor('w', (r) => {
      if (r.type === 'record') delivered.add(r.data);
    });
    const processor: ShardRecordProcessorFactory = (shard) => {
      const base = inner(shard);
      return {
        ...base,
        async processRecords(input) {
          if (!thrown) {
            thrown = true;
            throw new Error('the processor failed once');
          }
          await base.processRecords(input);
        },
      };
    };
    const consumer = new KinesisConsumer({
      streamName: stream.streamName,
      applicationName: uniqueName('app'),
      kinesisClient: faulty,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor,
      logger,
      metrics,
      ...FAST_CONSUMER,
    });
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: faulty, logger, metrics, recordMaxBufferedTime: 20, collectionMaxCount: 10 });
    try {
      await consumer.start();
      const results = await Promise.all(Array.from({ length: COUNT - 1 }, (_, i) => producer.put({ partitionKey: partitionKey(i), data: Buffer.from(payload(i)) })));
      expect(results.some((r) => r.attempts.length > 1)).toBe(true);
      // A corrupt aggregate carrying the last payload: it is logged as corrupt and delivered whole.
      const [valid] = aggregate([
        { partitionKey: partitionKey(COUNT - 1), data: Buffer.from(payload(COUNT - 1)) },
        { partitionKey: partitionKey(COUNT - 1), data: Buffer.from(payload(COUNT - 1)) },
      ]);
      const corrupt = Uint8Array.from(valid!.data);
      corrupt[corrupt.length - 1]! ^= 0xff;
      await kinesis.send(new PutRecordsCommand({ StreamName: stream.streamName, Records: [{ PartitionKey: partitionKey(COUNT - 1), Data: corrupt }] }));
      await waitFor(() => Array.from({ length: COUNT - 1 }, (_, i) => payload(i)).every((p) => delivered.has(p)) && delivered.size >= COUNT, {
        timeoutMs: 25_000,
        description: 'every record delivered',
      });
    } finally {
      await consumer.stop();
      await producer.close();
      metrics.close();
      faulty.destroy();
    }

    // The capture is not vacuous: faults, the processor error and the corrupt aggregate were logged, metrics written.
    const logText = logger.lines.join('\n');
    expect(logText).toMatch(/processor processRecords threw/);
    expect(logText).toMatch(/corrupt KPL aggregate/);
    expect(logText).toMatch(/read failed|read throttled/);
    const emfText = documents.join('');
    for (const name of ['userRecordsPut', 'kinesisRecordsPut', 'retries', 'bufferingTime', 'RecordsProcessed', 'Leases.Held', 'MillisBehindLatest']) {
      expect(emfText).toContain(`"${name}"`);
    }
    for (const document of documents) expect(() => JSON.parse(document) as unknown).not.toThrow();

    for (const form of forbiddenForms()) {
      expect(logger.lines.filter((line) => line.includes(form)), `log lines containing ${form}`).toEqual([]);
      expect(documents.filter((document) => document.includes(form)), `EMF documents containing ${form}`).toEqual([]);
    }
  });
});
