// Helpers for the enhanced fan-out tests: a registered stream consumer on kinesis-local, fast
// test settings, and port wrappers that inject what kinesis-local never does (stalls, shard end
// with ChildShards, repeated records, subscribe refusals). The wrappers sit around the real SDK
// port: every record still comes from kinesis-local over HTTP/1.1.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { exponentialBackoff } from '@kinesis-kit/core';
import { createStream, seededRandom, uniqueName, type TestStream } from '../../../../test/harness/index.js';
import type { ChildShard } from '../../src/processing/contracts.js';
import { fanOutRetrieval } from '../../src/retrieval/fanout.js';
import type { FanOutRetrievalOptions } from '../../src/retrieval/fanout-options.js';
import { kinesisFanOutPort, type FanOutPort, type SubscribeInput, type SubscriptionEvent } from '../../src/retrieval/fanout-port.js';
import type { Retrieval } from '../../src/retrieval/retrieval.js';
import { ensureStreamConsumer } from '../../src/retrieval/stream-consumer.js';
import { putRecords, shardIds, testPort, userRecords } from './processing.js';

/** Registers a fresh stream consumer on the stream and waits until it is ACTIVE; its ARN. */
export async function registerTestConsumer(client: KinesisClient, streamName: string, prefix = 'app'): Promise<string> {
  const consumer = await ensureStreamConsumer(kinesisFanOutPort(client), {
    stream: { streamName },
    consumerName: uniqueName(prefix),
    backoff: exponentialBackoff({ initialDelayMs: 20, maxDelayMs: 100, random: seededRandom(11) }),
  });
  return consumer.consumerARN;
}

/** A one-shard stream (pushed on `streams`, for cleanup) with `count` records, a registered consumer, and the real port. */
export async function oneShardWithConsumer(client: KinesisClient, streams: TestStream[], prefix: string, count: number) {
  const stream = await createStream(client, 1, prefix);
  streams.push(stream);
  const [shardId] = (await shardIds(client, stream.streamName)) as [string];
  const put = userRecords(count, prefix);
  await putRecords(client, stream.streamName, put);
  const consumerARN = await registerTestConsumer(client, stream.streamName);
  return { stream, streamName: stream.streamName, shardId, put, consumerARN, port: kinesisFanOutPort(client) };
}

/** Backoff for subscribe retries in tests: kinesis-local refuses a resubscription for 2-3 s after the previous one closed. */
export const testSubscribeBackoff = () => exponentialBackoff({ initialDelayMs: 150, maxDelayMs: 400, random: seededRandom(5) });

/** Fan-out for tests: no pacing between subscribes, short deterministic backoff. */
export function testFanOut(port: FanOutPort, options: FanOutRetrievalOptions): Retrieval {
  return fanOutRetrieval(port, { minTimeBetweenSubscribesMillis: 0, backoff: testSubscribeBackoff(), ...options });
}

export interface RecordedSubscription {
  readonly input: SubscribeInput;
  /** Events the wrapper passed on (after any transformation). */
  readonly events: SubscriptionEvent[];
}

/** Rewrites one subscription's events; `index` counts established subscriptions (0-based). */
export type EventTransform = (events: AsyncIterable<SubscriptionEvent>, input: SubscribeInput, index: number) => AsyncIterable<SubscriptionEvent>;

/** Decides, before the real call, whether subscribe call `index` (0-based, every call) fails instead (an error to throw). */
export type SubscribeFault = (input: SubscribeInput, index: number) => Error | undefined;

/** The real port, with subscriptions recorded and optionally transformed or refused. */
export function wrapPort(port: FanOutPort, hooks: { transform?: EventTransform; fault?: SubscribeFault } = {}): FanOutPort & { readonly subscriptions: RecordedSubscription[]; readonly calls: SubscribeInput[] } {
  const subscriptions: RecordedSubscription[] = [];
  const calls: SubscribeInput[] = [];
  return {
    ...port,
    subscriptions,
    calls,
    async subscribeToShard(input) {
      const index = calls.length;
      calls.push(input);
      const fault = hooks.fault?.(input, index);
      if (fault !== undefined) throw fault;
      const real = await port.subscribeToShard(input);
      const events = hooks.transform === undefined ? real : hooks.transform(real, input, subscriptions.length);
      const recorded: RecordedSubscription = { input, events: [] };
      subscriptions.push(recorded);
      return (async function* () {
        for await (const event of events) {
          recorded.events.push(event);
          yield event;
        }
      })();
    },
  };
}

/** An AWS-style error as the SDK throws it (name = the exception). */
export function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`injected ${name}`), { name, $metadata: { httpStatusCode: status } });
}

/**
 * A stalled subscription: passes the first `passed` events on, then swallows every later one
 * (kinesis-local keeps sending heartbeats, nothing reaches the reader) until the reader aborts.
 */
export async function* stallAfter(events: AsyncIterable<SubscriptionEvent>, passed: number): AsyncGenerator<SubscriptionEvent> {
  let seen = 0;
  for await (const event of events) {
    if (seen++ < passed) yield event;
  }
}

/**
 * Shard end as the service sends it and kinesis-local never does: the events pass through until
 * the parent's last record has been passed on (or a subscription starts after it), then one
 * final event with no continuation and the children, and the subscription ends.
 */
export function shardEndAfter(lastSequenceNumber: string, childShards: readonly ChildShard[]): EventTransform {
  const last = BigInt(lastSequenceNumber);
  return async function* (events) {
    for await (const event of events) {
      const newest = event.records.at(-1)?.sequenceNumber ?? event.continuationSequenceNumber;
      const pastEnd = newest !== undefined && BigInt(newest) >= last;
      yield event;
      if (pastEnd) {
        yield { records: [], continuationSequenceNumber: undefined, millisBehindLatest: 0, childShards };
        return;
      }
    }
  };
}

/** The children of `parent` as ListShards reports them after a split or merge, as GetRecords/SubscribeToShard would give them. */
export async function childShardsOf(client: KinesisClient, streamName: string, parent: string): Promise<ChildShard[]> {
  const shards = await testPort(client, streamName).listShards();
  return shards
    .filter((s) => s.parentShardId === parent || s.adjacentParentShardId === parent)
    .map((s) => ({
      shardId: s.shardId,
      parentShardIds: [s.parentShardId, s.adjacentParentShardId].filter((id): id is string => id !== undefined),
      startingHashKey: s.startingHashKey,
      endingHashKey: s.endingHashKey,
    }));
}

