// Shard map and stream faults against kinesis-local behind a FaultProxy: ListShards throttled
// right after a split, black-holed calls, and a stream deleted under the producer. Every put must
// settle (within its TTL) and every failure carry its cause.
import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../../../test/harness/index.js';
import type { PutRecordError} from '../src/index.js';
import { MISROUTED_AGGREGATE, type KinesisProducer, type PutResult, type ShardMapFailureEvent } from '../src/index.js';
import { readUserRecords, splitFirstShard } from './support/emulator.js';
import { proxiedProducers, type ProxiedProducer, type Tuning } from './support/proxied.js';
import { payload } from './support/setup.js';

describe('shard map and stream faults (kinesis-local behind a fault proxy)', () => {
  const env = proxiedProducers('map-faults');
  const setup = (shards: number, options: Tuning, plan?: FaultPlan): Promise<ProxiedProducer> => env.start(shards, options, plan);

  const put = (producer: KinesisProducer, count: number, keys = 50): Promise<PromiseSettledResult<PutResult>[]> =>
    Promise.allSettled(Array.from({ length: count }, (_, i) => producer.put({ partitionKey: `key-${i % keys}`, data: payload(`key-${i % keys}`, i) })));

  const rejections = (settled: readonly PromiseSettledResult<PutResult>[]): PutRecordError[] =>
    settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as PutRecordError] : []));

  it('a mis-routed aggregate waiting for a shard map expires at its TTL with the cause while ListShards is throttled after a split', async () => {
    const { stream, proxy, producer } = await setup(1, { aggregation: { maxSize: 2_000 }, recordTtl: 3_000, backoff: { initialDelayMs: 50, maxDelayMs: 400 } });
    const mapFailures: ShardMapFailureEvent[] = [];
    producer.on('shardMapRefreshFailed', (event) => mapFailures.push(event));
    await producer.put({ partitionKey: 'warm-up', data: payload('warm-up', -1) }); // the map now holds the one shard
    await splitFirstShard(env.client, stream.streamName);
    proxy.setPlan(({ operation }) =>
      operation === 'ListShards' ? { kind: 'error', status: 400, code: 'LimitExceededException', message: `Rate exceeded for stream ${stream.streamName}` } : undefined,
    );

    const settled = await put(producer, 300); // every put settles: none is parked for ever
    await producer.flush();
    await producer.close();

    const failed = rejections(settled);
    expect(failed.length).toBeGreaterThan(0); // aggregates of several keys landed on a child the map does not know
    for (const error of failed) {
      expect(error).toMatchObject({ code: 'EXPIRED', causeCode: 'LimitExceededException', cause: { name: 'LimitExceededException' } });
      expect(error.attempts.at(-1)?.errorCode).toBe(MISROUTED_AGGREGATE);
    }
    expect(mapFailures.length).toBeGreaterThan(1); // retried, with backoff, while records waited
    expect(mapFailures.every((e) => e.errorCode === 'LimitExceededException' && e.reason === 'shard-mismatch')).toBe(true);
    // Nothing was re-sent with the stale map: each record is in the stream at most once.
    const read = await readUserRecords(env.client, stream.streamName);
    const copies = new Map<number, number>();
    for (const r of read) copies.set(r.index, (copies.get(r.index) ?? 0) + 1);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  });

  it('a stream deleted under the producer fails its records NON_RETRIABLE with ResourceNotFoundException as the cause', async () => {
    const { proxy, producer } = await setup(2, {});
    await producer.put({ partitionKey: 'warm-up', data: payload('warm-up', -1) });
    proxy.setPlan(() => ({ kind: 'gone' }));
    const failed = rejections(await put(producer, 20));
    expect(failed).toHaveLength(20);
    for (const error of failed) {
      expect(error).toMatchObject({ code: 'NON_RETRIABLE', retriable: false, causeCode: 'ResourceNotFoundException', cause: { name: 'ResourceNotFoundException' } });
      expect(error.attempts).toEqual([expect.objectContaining({ errorCode: 'ResourceNotFoundException' })]);
    }
    await producer.close();
    expect(producer.outstandingRecords).toBe(0);
  });

  it.each([
    ['dropped unseen', false],
    ['stored, answer lost', true],
  ] as const)('a black-holed PutRecords (%s) times out and is retried', async (_, forward) => {
    let holes = 0;
    const { stream, proxy, producer } = await setup(2, { requestTimeout: 800, backoff: { initialDelayMs: 20, maxDelayMs: 100 } }, ({ operation }) =>
      operation === 'PutRecords' && holes++ === 0 ? { kind: 'blackHole', forward } : undefined,
    );
    const settled = await put(producer, 40);
    await producer.close();
    expect(proxy.count('PutRecords', 'blackHole')).toBe(1);
    const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    expect(results.every((r) => r !== undefined)).toBe(true);
    expect(results.some((r) => r!.attempts[0]!.errorCode === 'TimeoutError')).toBe(true);
    const stored = new Set((await readUserRecords(env.client, stream.streamName)).map((r) => r.index));
    expect(stored.size).toBe(40);
  });

  it('a black-holed ListShards at startup times out and is retried', async () => {
    let holes = 0;
    const { producer } = await setup(2, { requestTimeout: 800, backoff: { initialDelayMs: 20, maxDelayMs: 100 } }, ({ operation }) =>
      operation === 'ListShards' && holes++ === 0 ? { kind: 'blackHole' } : undefined,
    );
    const mapFailures: ShardMapFailureEvent[] = [];
    producer.on('shardMapRefreshFailed', (event) => mapFailures.push(event));
    const settled = await put(producer, 10);
    await producer.close();
    expect(rejections(settled)).toEqual([]);
    expect(mapFailures).toEqual([expect.objectContaining({ reason: 'startup', errorCode: 'TimeoutError', willRetry: true })]);
  });
});
