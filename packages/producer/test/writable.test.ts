import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ConfigurationError } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { KinesisProducer, PutRecordError, type PutRecordInput } from '../src/index.js';
import { readUserRecords } from './support/emulator.js';
import { payload } from './support/setup.js';

const record = (i: number): PutRecordInput => ({ partitionKey: `key-${i % 20}`, data: payload(`key-${i % 20}`, i) });

/** A source of `count` records that counts how many the pipeline has pulled, and at `bad` yields an invalid record. */
function source(count: number, bad?: number): { readable: Readable; pulled: () => number } {
  let pulled = 0;
  function* records(): Generator<PutRecordInput> {
    for (let i = 0; i < count; i++) {
      pulled++;
      yield i === bad ? { partitionKey: '', data: payload('bad', i) } : record(i);
    }
  }
  return { readable: Readable.from(records()), pulled: () => pulled };
}

describe('producer.writable() (kinesis-local)', () => {
  let accountId: string;
  let client: KinesisClient;
  let stream: TestStream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    accountId = testAccountId();
    client = kinesisClient({ accountId });
    stream = await createStream(client, 2, 'writable');
    proxy = await FaultProxy.start(inject('kinesisEndpoint'));
  });

  afterAll(async () => {
    await stream.delete();
    await proxy.close();
    client.destroy();
  });

  it('pipeline() resolves once every record is durably written, and every one is in the stream', async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    const writable = producer.writable();
    await pipeline(source(1_000).readable, writable);
    expect(writable.written).toBe(1_000);
    expect(writable.unsettled).toBe(0);
    await producer.close();
    const read = await readUserRecords(client, stream.streamName);
    expect(new Set(read.filter((r) => r.key.startsWith('key-')).map((r) => r.index)).size).toBe(1_000);
  });

  it('keeps memory bounded against a slow stream: write() returns false, drain follows, the source is pulled only as records settle', async () => {
    proxy.setPlan((request) => (request.operation === 'PutRecords' ? { kind: 'delay', ms: 100 } : undefined));
    const slow = kinesisClient({ endpoint: proxy.endpoint, accountId });
    const maxBufferedRecords = 40;
    const highWaterMark = 8;
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: slow, maxBufferedRecords, aggregation: { maxSize: 1_000 } });
    const writable = producer.writable({ highWaterMark });
    let drains = 0;
    writable.on('drain', () => void (drains += 1));
    const { readable, pulled } = source(600);
    let peak = 0;
    readable.on('data', () => (peak = Math.max(peak, pulled() - writable.written - writable.failed)));
    await pipeline(readable, writable);
    await producer.close();
    slow.destroy();
    proxy.setPlan(() => undefined);
    expect(writable.written).toBe(600);
    expect(drains).toBeGreaterThan(0);
    // Pulled but not settled: the producer's buffer, the writable's, the source's own object buffer (16) and the record in hand.
    expect(peak).toBeLessThanOrEqual(maxBufferedRecords + highWaterMark + 16 + 1);
    expect(proxy.count('PutRecords', 'delay')).toBeGreaterThan(3);
  });

  it('an invalid record rejects the pipeline with its typed PutRecordError; records accepted before it are written', async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    const writable = producer.writable();
    const error = await pipeline(source(50, 30).readable, writable).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutRecordError);
    expect(error).toMatchObject({ code: 'INVALID_PARTITION_KEY', retriable: false });
    await producer.close();
    expect(writable.written).toBe(30);
    const indices = new Set((await readUserRecords(client, stream.streamName)).filter((r) => r.key.startsWith('key-')).map((r) => r.index));
    for (let i = 0; i < 30; i++) expect(indices.has(i)).toBe(true);
  });

  it("onRecordError 'emit': a failed record is reported as recordError and the stream carries on", async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    const writable = producer.writable({ onRecordError: 'emit' });
    const failures: PutRecordError[] = [];
    writable.on('recordError', (e: PutRecordError) => failures.push(e));
    await pipeline(source(50, 10).readable, writable);
    await producer.close();
    expect(failures.map((f) => f.code)).toEqual(['INVALID_PARTITION_KEY']);
    expect(writable.written).toBe(49);
    expect(writable.failed).toBe(1);
  });

  it('a producer closed under the stream fails the pipeline with PRODUCER_CLOSED instead of hanging', async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    await producer.close();
    const error = await pipeline(source(5).readable, producer.writable()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PRODUCER_CLOSED' });
  });

  it('refuses bad options with a ConfigurationError', () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    expect(() => producer.writable({ highWaterMark: 0 })).toThrow(ConfigurationError);
    expect(() => producer.writable({ onRecordError: 'ignore' as 'emit' })).toThrow(ConfigurationError);
    void producer.close();
  });
});
