// The fan-out source's buffering and bookkeeping with a scripted subscription in memory: what
// kinesis-local cannot show deterministically (a service pushing faster than the processor
// reads, a service repeating records, a connection that ignores the abort). Everything that
// touches AWS is in fanout.test.ts and fanout-shard-consumer.test.ts, against kinesis-local.
import { readFileSync } from 'node:fs';
import { ConfigurationError, noopLogger, renderOptionsTable } from '@kinesis-kit/core';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import { FAN_OUT_METRICS } from '../../src/retrieval/fanout-metric-names.js';
import { FAN_OUT_DEFAULTS, FAN_OUT_OPTION_SPECS } from '../../src/retrieval/fanout-options.js';
import type { FanOutPort, SubscribeInput, SubscriptionEvent } from '../../src/retrieval/fanout-port.js';
import { fanOutRetrieval } from '../../src/retrieval/fanout.js';
import { testFanOut } from '../support/fanout.js';
import { RecordingMetrics, drain } from '../support/processing.js';

const BASE = 49_000_000_000_000_000_000n;

function event(from: number, count: number, bytes = 10): SubscriptionEvent {
  const records = Array.from({ length: count }, (_, i) => ({
    data: new Uint8Array(bytes),
    partitionKey: 'k',
    sequenceNumber: String(BASE + BigInt(from + i)),
  }));
  return { records, continuationSequenceNumber: String(BASE + BigInt(from + count - 1)), millisBehindLatest: 0, childShards: [] };
}

/** A port whose subscriptions come from `script`; counts the events pulled. Control-plane calls are not used here. */
function scriptedPort(script: (input: SubscribeInput, index: number) => AsyncIterable<SubscriptionEvent>) {
  const calls: SubscribeInput[] = [];
  const notUsed = () => Promise.reject(new Error('not used'));
  const port: FanOutPort = {
    describeStreamARN: notUsed,
    registerStreamConsumer: notUsed,
    describeStreamConsumer: notUsed,
    deregisterStreamConsumer: notUsed,
    listStreamConsumers: notUsed,
    listShards: notUsed,
    subscribeToShard: async (input) => {
      calls.push(input);
      return script(input, calls.length - 1);
    },
  };
  return { port, calls };
}

/** An endless subscription of 1-record events, made on demand; `pulled` counts what was read from it. */
function firehose(counter: { pulled: number }, bytes = 10): AsyncIterable<SubscriptionEvent> {
  return (async function* () {
    for (;;) yield event(counter.pulled++, 1, bytes);
  })();
}

/** Lets every pending promise chain and I/O callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const open = (port: FanOutPort, options: Partial<Parameters<typeof fanOutRetrieval>[1]> = {}, metrics = new RecordingMetrics()) =>
  testFanOut(port, { consumerARN: 'arn:consumer', ...options }).open({ shardId: 'shardId-000000000000', start: { type: 'TRIM_HORIZON' }, metrics, logger: noopLogger });

describe('fan-out source buffering (scripted subscriptions)', () => {
  it('reads no further than maxPrefetchBatches events ahead of a slow processor, then one per next()', async () => {
    const counter = { pulled: 0 };
    const { port } = scriptedPort(() => firehose(counter));
    const source = open(port, { maxPrefetchBatches: 4 });
    try {
      await waitFor(() => counter.pulled >= 4, { description: 'the buffer to fill' });
      await settle();
      await settle();
      expect(counter.pulled).toBe(4);
      await source.next();
      await settle();
      expect(counter.pulled).toBe(5);
    } finally {
      source.close();
    }
  });

  it('stops reading once maxPrefetchBytes are held, and reads only on demand with maxPrefetchBatches 0', async () => {
    const bytes = { pulled: 0 };
    const bounded = open(scriptedPort(() => firehose(bytes, 1_000)).port, { maxPrefetchBatches: 100, maxPrefetchBytes: 2_500 });
    const onDemand = { pulled: 0 };
    const lazy = open(scriptedPort(() => firehose(onDemand)).port, { maxPrefetchBatches: 0 });
    try {
      await waitFor(() => bytes.pulled >= 3, { description: 'the byte bound' });
      await settle();
      expect(bytes.pulled).toBe(3); // the fetch that crossed 2,500 B is held, none after it
      await settle();
      expect(onDemand.pulled).toBe(0);
      expect((await lazy.next()).records).toHaveLength(1);
      await settle();
      expect(onDemand.pulled).toBe(1);
    } finally {
      bounded.close();
      lazy.close();
    }
  });

  it('drops records at or before the last one taken, inside and across events', async () => {
    const script = [event(0, 3), event(1, 4), event(2, 2), event(5, 2)];
    const { port } = scriptedPort(() =>
      (async function* () {
        yield* script;
        await new Promise(() => undefined);
      })(),
    );
    const metrics = new RecordingMetrics();
    const source = open(port, {}, metrics);
    try {
      const sequences = (await drain(source, 7)).flatMap((b) => b.records.map((r) => Number(BigInt(r.sequenceNumber) - BASE)));
      expect(sequences).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(metrics.counter(FAN_OUT_METRICS.duplicatesDropped)).toBe(2 + 2);
    } finally {
      source.close();
    }
  });

  it('close() settles a pending next() even when the subscription ignores the abort', async () => {
    const { port, calls } = scriptedPort(() =>
      (async function* () {
        yield event(0, 1);
        await new Promise(() => undefined); // never answers, never notices the abort
      })(),
    );
    const source = open(port, { maxPrefetchBatches: 0 });
    await source.next();
    const pending = source.next();
    await settle();
    source.close();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls[0]!.signal.aborted).toBe(true);
  });

  it('treats a subscription that ends without a shard-end event as renewable, continuing after its continuation', async () => {
    const child = { shardId: 'shardId-000000000001', parentShardIds: ['shardId-000000000000'], startingHashKey: 0n, endingHashKey: 1n };
    const { port, calls } = scriptedPort((_input, index) =>
      (async function* () {
        if (index === 0) yield event(0, 2); // then the service ends it (its 5 minutes)
        else yield { ...event(2, 1), continuationSequenceNumber: undefined, childShards: [child] };
      })(),
    );
    const metrics = new RecordingMetrics();
    const source = open(port, {}, metrics);
    const batches = await drain(source, Number.POSITIVE_INFINITY);
    expect(batches.flatMap((b) => b.records)).toHaveLength(3);
    expect(batches.at(-1)!.shardEnd).toEqual({ childShards: [child] });
    expect(calls[1]!.start).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: String(BASE + 1n) });
    expect(metrics.counter(FAN_OUT_METRICS.renewed)).toBe(1);
  });
});

describe('fan-out options', () => {
  it('validates every option at construction, all problems together', () => {
    const { port } = scriptedPort(() => firehose({ pulled: 0 }));
    expect(() => fanOutRetrieval(port, { consumerARN: '' })).toThrow(/consumerARN must be the registered consumer ARN/);
    expect(() => fanOutRetrieval(port, { consumerARN: 'a', maxSubscriptionMillis: 300_001, subscriptionStallTimeoutMillis: 0 })).toThrow(
      /subscriptionStallTimeoutMillis must be an integer from 1 to 300000 \(got 0\); maxSubscriptionMillis must be an integer from 1 to 300000/,
    );
    expect(() => fanOutRetrieval(port, { consumerARN: 'a', stallTimeoutMs: 5 } as never)).toThrow(ConfigurationError);
    expect(FAN_OUT_DEFAULTS).toEqual({
      subscriptionStallTimeoutMillis: 35_000,
      maxSubscriptionMillis: 300_000,
      minTimeBetweenSubscribesMillis: 1_000,
      maxPrefetchBatches: 3,
      maxPrefetchBytes: 8 * 1024 * 1024,
      kinesisRequestTimeoutMillis: 10_000,
    });
  });

  it('docs/consumer-fanout.md shows the options table rendered from FAN_OUT_OPTION_SPECS and every metric', () => {
    const doc = readFileSync(new URL('../../../../docs/consumer-fanout.md', import.meta.url), 'utf8');
    const start = '<!-- options:fanout:start -->\n';
    const end = '\n<!-- options:fanout:end -->';
    expect(doc.indexOf(start)).toBeGreaterThan(0);
    expect(doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end))).toBe(renderOptionsTable(FAN_OUT_OPTION_SPECS));
    for (const name of Object.values(FAN_OUT_METRICS)) expect(doc).toContain(`\`${name}\``);
  });
});
