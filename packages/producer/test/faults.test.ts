import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  FaultProxy,
  createStream,
  kinesisClient,
  partialFailure,
  randomFaults,
  testAccountId,
  type Fault,
  type FaultPlan,
  type TestStream,
} from '../../../test/harness/index.js';
import { KinesisProducer, PutRecordError, type PutResult } from '../src/index.js';
import { readUserRecords } from './support/emulator.js';
import { outOfOrderKeys, payload } from './support/setup.js';

const RECORDS = 2_000;

/**
 * The first PutRecords requests get one fault of each kind, so every kind happens whatever the
 * batching; then seeded random faults: throttling, partial failures, 5xx, resets before and
 * after storing, slow answers. The third request is refused for good.
 */
function faults(seed: number): FaultPlan {
  const script: Fault[] = [
    { kind: 'partial', indices: [0], code: 'ProvisionedThroughputExceededException' },
    { kind: 'reset', when: 'before' },
    { kind: 'error', status: 400, code: 'AccessDeniedException' },
    { kind: 'reset', when: 'after' },
    { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' },
    { kind: 'delay', ms: 800 },
    { kind: 'error', status: 503, code: 'ServiceUnavailable' },
    { kind: 'partial', indices: [0, 1, 2], code: 'InternalFailure' },
  ];
  const random = randomFaults(seed, [
    { operation: 'ListShards', probability: 0.3, fault: { kind: 'error', status: 500, code: 'InternalFailure' } },
    { operation: 'PutRecords', probability: 0.08, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } },
    { operation: 'PutRecords', probability: 0.05, fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' } },
    { operation: 'PutRecords', probability: 0.05, fault: { kind: 'reset', when: 'before' } },
    { operation: 'PutRecords', probability: 0.05, fault: { kind: 'reset', when: 'after' } },
    { operation: 'PutRecords', probability: 0.04, fault: { kind: 'delay', ms: 800 } },
    { operation: 'PutRecords', probability: 0.3, fault: partialFailure(0.3) },
    { operation: 'PutRecords', probability: 0.1, fault: partialFailure(0.5, 'InternalFailure') },
  ]);
  let putRecords = 0;
  return (request) => (request.operation === 'PutRecords' && putRecords < script.length ? script[putRecords++] : random(request));
}

describe('seeded fault injection (kinesis-local behind a fault proxy)', () => {
  let accountId: string;
  let client: KinesisClient;
  const streams: TestStream[] = [];
  const proxies: FaultProxy[] = [];

  beforeAll(() => {
    accountId = testAccountId();
    client = kinesisClient({ accountId });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.delete()));
    await Promise.all(proxies.map((p) => p.close()));
    client.destroy();
  });

  it.each([
    ['unordered', 'none', 1],
    ['ordered', 'per-shard', 2],
  ] as const)('%s: every put settles, every success is in the stream where reported, failures carry their attempts', async (_, ordering, seed) => {
    const stream = await createStream(client, 3, 'faults');
    streams.push(stream);
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), faults(seed));
    proxies.push(proxy);
    const proxied = kinesisClient({ endpoint: proxy.endpoint, accountId });
    const producer = new KinesisProducer({
      streamName: stream.streamName,
      kinesisClient: proxied,
      ordering,
      aggregation: { maxSize: 1_200 },
      collectionMaxCount: 20,
      requestTimeout: 500,
      recordMaxBufferedTime: 20,
      backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const settled = await Promise.allSettled(
      Array.from({ length: RECORDS }, (_, i) => producer.put({ partitionKey: `key-${i % 40}`, data: payload(`key-${i % 40}`, i) })),
    );
    await producer.close();
    proxied.destroy();

    expect(settled).toHaveLength(RECORDS);
    for (const kind of ['partial', 'reset', 'error', 'delay'] as const) expect(proxy.count('PutRecords', kind)).toBeGreaterThan(0);
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as PutRecordError] : []));
    expect(failures.length).toBeGreaterThan(0); // the request refused with AccessDeniedException
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(PutRecordError);
      expect(failure.attempts.length).toBeGreaterThan(0);
      expect(failure.attempts.every((a) => a.errorCode !== undefined && a.durationMs >= 0)).toBe(true);
      expect(failure.causeCode).toBe(failure.attempts.at(-1)!.errorCode);
    }
    expect(failures.some((f) => f.code === 'NON_RETRIABLE' && f.causeCode === 'AccessDeniedException')).toBe(true);

    const successes = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [[i, s.value] as [number, PutResult]] : []));
    expect(successes.some(([, r]) => r.attempts.length > 1)).toBe(true);
    const read = await readUserRecords(client, stream.streamName);
    const at = new Map(read.map((r) => [`${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`, r]));
    for (const [i, result] of successes) {
      expect(result.attempts.at(-1)!.errorCode).toBeUndefined();
      expect(at.get(`${result.shardId}/${result.sequenceNumber}/${result.subSequenceNumber}`)?.index).toBe(i);
    }
    if (ordering === 'per-shard') {
      const written = new Set(successes.map(([i]) => i));
      expect(outOfOrderKeys(read.filter((r) => written.has(r.index)))).toEqual([]);
    }
  });
});
