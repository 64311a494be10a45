import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { noopLogger } from '@kinesis-kit/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, waitForStreamActive, type FaultPlan, type TestStream } from '../../../../test/harness/index.js';
import { kinesisReadPort, type IteratorStart, type KinesisReadPort } from '../../src/retrieval/kinesis-port.js';
import { RETRIEVAL_METRICS } from '../../src/retrieval/metric-names.js';
import type { RecordBatch, RetrievalEvent, ShardRecordSource } from '../../src/retrieval/retrieval.js';
import { RecordingMetrics, drain, putRecords, testPolling, testPort, text, userRecords } from '../support/processing.js';

const TRIM_HORIZON: IteratorStart = { type: 'TRIM_HORIZON' };
const texts = (batches: readonly RecordBatch[]): string[] => batches.flatMap((b) => b.records.map(text));

describe('polling retrieval under hung requests, gone shards and spurious shard ends (kinesis-local)', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;
  let shardId: string;
  const expected = userRecords(300, 'hang');
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 1, 'poll-faults');
    shardId = (await testPort(client, stream.streamName).listShards())[0]!.shardId;
    await putRecords(client, stream.streamName, expected);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await stream.delete();
    client.destroy();
  });

  /** A read port through a FaultProxy with `plan`, with the given per-attempt request timeout. */
  async function proxiedPort(plan: FaultPlan, requestTimeoutMillis: number, streamName = stream.streamName): Promise<{ port: KinesisReadPort; proxy: FaultProxy }> {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'), plan);
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    cleanups.push(() => proxied.destroy(), () => proxy.close());
    return { port: kinesisReadPort(proxied, { streamName }, { requestTimeoutMillis }), proxy };
  }

  function open(port: KinesisReadPort, options: Parameters<typeof testPolling>[1] = {}, id = shardId) {
    const metrics = new RecordingMetrics();
    const events: RetrievalEvent[] = [];
    const source: ShardRecordSource = testPolling(port, { maxRecords: 40, ...options }).open({
      shardId: id,
      start: TRIM_HORIZON,
      metrics,
      logger: noopLogger,
      onEvent: (event) => events.push(event),
    });
    cleanups.push(() => source.close());
    return { source, metrics, events };
  }

  it('abandons a black-holed GetRecords after kinesisRequestTimeoutMillis and retries it: nothing skipped, nothing repeated', async () => {
    let getRecords = 0;
    // The stall deadline is far away: only the per-attempt timeout can end the hung calls.
    const { port, proxy } = await proxiedPort(({ operation }) => (operation === 'GetRecords' && [2, 4].includes(++getRecords) ? { kind: 'blackHole' } : undefined), 2_000);
    const { source, metrics } = open(port, { pollingStallTimeoutMillis: 3_600_000 });
    expect(texts(await drain(source, expected.length))).toEqual(expected.map(text));
    expect(proxy.count('GetRecords', 'blackHole')).toBe(2);
    expect(metrics.counter(RETRIEVAL_METRICS.failures)).toBeGreaterThanOrEqual(2);
    expect(metrics.counter(RETRIEVAL_METRICS.stalled)).toBe(0);
  });

  it('restarts a shard with no GetRecords answer for pollingStallTimeoutMillis after the last record fetched: nothing skipped, nothing repeated', async () => {
    let getRecords = 0;
    const starts: unknown[] = [];
    const plan: FaultPlan = ({ operation, body }) => {
      if (operation === 'GetShardIterator') starts.push({ type: body.ShardIteratorType, after: body.StartingSequenceNumber });
      return operation === 'GetRecords' && ++getRecords === 3 ? { kind: 'blackHole' } : undefined;
    };
    // The request timeout is far away: only the stall deadline can end the hung call.
    const { port, proxy } = await proxiedPort(plan, 300_000);
    const { source, metrics, events } = open(port, { pollingStallTimeoutMillis: 3_000 });
    const batches = await drain(source, expected.length);
    expect(texts(batches)).toEqual(expected.map(text));
    expect(proxy.count('GetRecords', 'blackHole')).toBe(1);
    // At least the black-holed call stalled (a slow emulator under load may add more: each restarts the same way).
    expect(metrics.counter(RETRIEVAL_METRICS.stalled)).toBeGreaterThanOrEqual(1);
    expect(events.length).toBe(metrics.counter(RETRIEVAL_METRICS.stalled));
    expect(events[0]).toEqual({ type: 'retrievalStalled', shardId, retrieval: 'polling', stallTimeoutMs: 3_000 });
    // Each restart continues after the last record fetched, which the source had delivered.
    const fetched = new Set(batches.flatMap((b) => b.records.map((r) => r.sequenceNumber)));
    const restarts = starts.filter((start) => (start as { type: string }).type === 'AFTER_SEQUENCE_NUMBER');
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    for (const start of restarts) expect(fetched.has((start as { after: string }).after)).toBe(true);
  });

  /**
   * The port with `id` left out of every ListShards answer: a shard past the stream's retention
   * (or of a deleted stream). kinesis-local cannot age a shard out of ListShards within a test, so
   * the real port's answer is filtered here.
   */
  function agedOut(port: KinesisReadPort, id: string): KinesisReadPort {
    return { ...port, listShards: async (options) => (await port.listShards(options)).filter((s) => s.shardId !== id) };
  }

  it('ends a shard that is gone (GetShardIterator answers ResourceNotFoundException, ListShards no longer lists it), with a shardGone event', async () => {
    const { port } = await proxiedPort(({ operation }) => (operation === 'GetShardIterator' ? { kind: 'gone' } : undefined), 5_000);
    const { source, metrics, events } = open(agedOut(port, shardId));
    const batch = await source.next();
    expect(batch).toEqual({ records: [], millisBehindLatest: undefined, shardEnd: { childShards: [] } });
    expect(events).toEqual([{ type: 'shardGone', shardId, operation: 'GetShardIterator' }]);
    expect(metrics.counter(RETRIEVAL_METRICS.shardsGone)).toBe(1);
    await expect(source.next()).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('ends a gone shard whose GetRecords answers ResourceNotFoundException after the records already read, and delivers those', async () => {
    let getRecords = 0;
    const { port } = await proxiedPort(({ operation }) => (operation === 'GetRecords' && ++getRecords > 2 ? { kind: 'gone' } : undefined), 5_000);
    const { source, events } = open(agedOut(port, shardId));
    const batches = await drain(source, Number.POSITIVE_INFINITY);
    expect(texts(batches)).toEqual(expected.slice(0, 80).map(text));
    expect(batches.at(-1)!.shardEnd).toEqual({ childShards: [] });
    expect(events).toEqual([{ type: 'shardGone', shardId, operation: 'GetRecords' }]);
  });

  it('never ends a shard that ListShards lists as open on a ResourceNotFoundException: it is read again, nothing skipped', async () => {
    let iterators = 0;
    const { port } = await proxiedPort(({ operation }) => (operation === 'GetShardIterator' && ++iterators <= 2 ? { kind: 'gone' } : undefined), 5_000);
    const { source, metrics, events } = open(port);
    const batches = await drain(source, expected.length);
    expect(texts(batches)).toEqual(expected.map(text));
    expect(batches.some((b) => b.shardEnd !== undefined)).toBe(false);
    expect(events).toEqual([
      { type: 'unconfirmedShardEnd', shardId, listed: 'open' },
      { type: 'unconfirmedShardEnd', shardId, listed: 'open' },
    ]);
    expect(metrics.counter(RETRIEVAL_METRICS.shardsGone)).toBe(0);
  });

  /**
   * A port whose GetRecords answer number `at` (1-based) says "shard end" without ChildShards:
   * no next iterator, no children. No emulator sends this (kinesis-local always gives the
   * children), so the real port's answer is rewritten here; its records are kept.
   */
  function spuriousEndAt(port: KinesisReadPort, at: number): KinesisReadPort {
    let calls = 0;
    return {
      ...port,
      async getRecords(iterator, options) {
        const outcome = await port.getRecords(iterator, options);
        if (outcome.kind !== 'records' || ++calls !== at) return outcome;
        return { ...outcome, nextShardIterator: undefined, childShards: [] };
      },
    };
  }

  it('does not end an open shard on an end without ChildShards: ListShards shows it open, the same iterator is read again', async () => {
    const { source, metrics, events } = open(spuriousEndAt(testPort(client, stream.streamName), 2));
    const batches = await drain(source, expected.length);
    expect(texts(batches)).toEqual(expected.map(text));
    expect(batches.some((b) => b.shardEnd !== undefined)).toBe(false);
    expect(events).toEqual([{ type: 'unconfirmedShardEnd', shardId, listed: 'open' }]);
    expect(metrics.counter(RETRIEVAL_METRICS.unconfirmedShardEnds)).toBe(1);
  });

  it('ends a closed shard whose end came without ChildShards with the children ListShards lists', async () => {
    const own = await createStream(client, 1, 'poll-end-nochildren');
    cleanups.push(() => own.delete());
    const [parent] = await testPort(client, own.streamName).listShards();
    await putRecords(client, own.streamName, userRecords(30, 'parent'));
    await client.send(new SplitShardCommand({ StreamName: own.streamName, ShardToSplit: parent!.shardId, NewStartingHashKey: String(2n ** 127n) }));
    await waitForStreamActive(client, own.streamName);
    const real = testPort(client, own.streamName);
    const withoutChildren: KinesisReadPort = {
      ...real,
      async getRecords(iterator, options) {
        const outcome = await real.getRecords(iterator, options);
        return outcome.kind === 'records' ? { ...outcome, childShards: [] } : outcome;
      },
    };
    const { source, events } = open(withoutChildren, { maxRecords: 7 }, parent!.shardId);
    const batches = await drain(source, Number.POSITIVE_INFINITY);
    expect(texts(batches)).toEqual(userRecords(30, 'parent').map(text));
    const children = (await real.listShards()).filter((s) => s.parentShardId === parent!.shardId).map((s) => s.shardId);
    expect(batches.at(-1)!.shardEnd!.childShards.map((c) => c.shardId).sort()).toEqual(children.sort());
    expect(batches.at(-1)!.shardEnd!.childShards.every((c) => c.parentShardIds.join() === parent!.shardId)).toBe(true);
    expect(events).toEqual([{ type: 'unconfirmedShardEnd', shardId: parent!.shardId, listed: 'closed' }]);
  });
});
