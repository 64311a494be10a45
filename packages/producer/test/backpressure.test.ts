import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, type TestStream } from '../../../test/harness/index.js';
import { KinesisProducer, type PutTicket } from '../src/index.js';
import { ENQUEUE_YIELD_EVERY } from '../src/producer.js';
import { readUserRecords } from './support/emulator.js';
import { payload } from './support/setup.js';

describe('backpressure (kinesis-local behind a slow proxy)', () => {
  let accountId: string;
  let client: KinesisClient;
  let stream: TestStream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    accountId = testAccountId();
    client = kinesisClient({ accountId });
    stream = await createStream(client, 2, 'backpressure');
    // Every PutRecords answer takes 100 ms: the producer fills its buffer long before answers come.
    proxy = await FaultProxy.start(inject('kinesisEndpoint'), (request) => (request.operation === 'PutRecords' ? { kind: 'delay', ms: 100 } : undefined));
  });

  afterAll(async () => {
    await stream.delete();
    await proxy.close();
    client.destroy();
  });

  it('keeps what it holds within maxBufferedRecords / maxBufferedBytes while a fast caller awaits enqueue()', async () => {
    const slow = kinesisClient({ endpoint: proxy.endpoint, accountId });
    const maxBufferedRecords = 50;
    const maxBufferedBytes = 4_096;
    const producer = new KinesisProducer({
      streamName: stream.streamName,
      kinesisClient: slow,
      maxBufferedRecords,
      maxBufferedBytes,
      maxRecordSize: 1_024,
      aggregation: { maxSize: 1_000 },
    });
    const tickets: PutTicket[] = [];
    let peakRecords = 0;
    let peakBytes = 0;
    for (let i = 0; i < 300; i++) {
      tickets.push(await producer.enqueue({ partitionKey: `key-${i % 20}`, data: payload(`key-${i % 20}`, i) }));
      peakRecords = Math.max(peakRecords, producer.outstandingRecords);
      peakBytes = Math.max(peakBytes, producer.outstandingBytes);
      expect(producer.waitingRecords).toBe(0);
    }
    await producer.close();
    slow.destroy();
    await Promise.all(tickets.map((t) => t.result));
    expect(peakRecords).toBe(maxBufferedRecords);
    expect(peakBytes).toBeLessThanOrEqual(maxBufferedBytes);
    expect(proxy.count('PutRecords')).toBeGreaterThan(3);
    const read = await readUserRecords(client, stream.streamName);
    expect(new Set(read.map((r) => r.index)).size).toBe(300);
  });

  it('regression: a caller awaiting enqueue() per record lets the event loop turn (it used to starve answers and timers until the buffer was full)', async () => {
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: client });
    let turned = false;
    setImmediate(() => (turned = true));
    const tickets: PutTicket[] = [];
    // With room for all of them, every enqueue() used to resolve on a microtask: the loop never let a macrotask run.
    for (let i = 0; i < ENQUEUE_YIELD_EVERY + 1; i++) tickets.push(await producer.enqueue({ partitionKey: `key-${i % 20}`, data: payload(`key-${i % 20}`, i) }));
    expect(turned).toBe(true);
    await producer.close();
    await Promise.all(tickets.map((t) => t.result));
  });

  it('makes put() callers that do not await wait for room instead of growing the buffer', async () => {
    const slow = kinesisClient({ endpoint: proxy.endpoint, accountId });
    const producer = new KinesisProducer({ streamName: stream.streamName, kinesisClient: slow, maxBufferedRecords: 20 });
    let peak = 0;
    const sample = (): void => void (peak = Math.max(peak, producer.outstandingRecords));
    producer.on('request', sample);
    const puts = Array.from({ length: 100 }, (_, i) => producer.put({ partitionKey: `key-${i}`, data: payload('flood', i) }).finally(sample));
    expect(producer.outstandingRecords).toBe(20);
    expect(producer.waitingRecords).toBe(80);
    await Promise.all(puts);
    await producer.close();
    slow.destroy();
    expect(peak).toBeLessThanOrEqual(20);
  });
});
