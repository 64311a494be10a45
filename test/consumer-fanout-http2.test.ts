// Enhanced fan-out over HTTP/2, the transport the service uses: KinesisConsumer with a
// KinesisClient on the SDK's default request handler (NodeHttp2Handler, only told to trust the
// peer's certificate, kinesis-local's own self-signed one: `ca` and `servername` in its
// nodeHttp2ConnectOptions, scoped to that client, rather than the process-wide
// NODE_TLS_REJECT_UNAUTHORIZED; see h2KinesisClient), against a loopback HTTP/2 peer (test/harness/h2-fanout)
// that serves SubscribeToShard with the SDK's own event-stream codec from the records in
// kinesis-local and passes every other call on to kinesis-local. Leases in dynalite. The peer
// exists because kinesis-local answers SubscribeToShard over HTTP/2 with a deserialization error.
// Every request the consumer sends is checked against the SDK's request shape (afterEach).
import http2 from 'node:http2';
import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisConsumer, type KinesisConsumerOptions } from '@kinesis-kit/consumer';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { H2FanOutPeer, type H2FanOutPeerOptions } from './harness/h2-fanout/peer.js';
import type { SubscriptionRecord } from './harness/h2-fanout/subscription.js';
import { h2KinesisClient, peerTls, type H2ClientOptions } from './harness/h2-fanout/tls.js';
import { createStream, dynamoClient, kinesisClient, listAllShards, readAllRecords, testAccountId, uniqueName, waitFor, waitForStreamActive, type TestStream } from './harness/index.js';
import { deliveries, FAST_CONSUMER, putTexts, reportingProcessor, type Report } from './workers/fixtures.js';
import { kinesisFanOutPort } from '../packages/consumer/src/retrieval/fanout-port.js';
import { ensureStreamConsumer } from '../packages/consumer/src/retrieval/stream-consumer.js';

const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('enhanced fan-out over HTTP/2 (SDK default handler, loopback peer serving kinesis-local)', () => {
  const accountId = testAccountId();
  let plain: KinesisClient; // HTTP/1.1 straight to kinesis-local: setup and checks, no code under test
  let dynamo: DynamoDBClient;
  let peer: H2FanOutPeer | undefined;
  let h2: KinesisClient | undefined;
  let stream: TestStream | undefined;
  const consumers: KinesisConsumer[] = [];

  beforeAll(() => {
    plain = kinesisClient({ accountId });
    dynamo = dynamoClient({ accountId });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    const malformed = peer?.malformed ?? [];
    h2?.destroy();
    await peer?.close();
    await stream?.delete();
    [peer, h2, stream] = [undefined, undefined, undefined];
    expect(malformed).toEqual([]);
  });

  afterAll(() => {
    plain.destroy();
    dynamo.destroy();
  });

  async function setUp(shards: number, options: Omit<H2FanOutPeerOptions, 'upstream'> = {}, handler: H2ClientOptions['handler'] = {}): Promise<{ peer: H2FanOutPeer; h2: KinesisClient; stream: TestStream }> {
    stream = await createStream(plain, shards, 'h2');
    peer = await H2FanOutPeer.start({ upstream: inject('kinesisEndpoint'), ...options });
    h2 = h2KinesisClient({ endpoint: peer.endpoint, accountId, handler });
    return { peer, h2, stream };
  }

  function startConsumer(client: KinesisClient, streamName: string, options: Partial<KinesisConsumerOptions> = {}): { consumer: KinesisConsumer; reports: Report[]; started: Promise<void> } {
    const reports: Report[] = [];
    const consumer = new KinesisConsumer({
      streamName,
      applicationName: uniqueName('h2-app'),
      workerId: 'h2-worker',
      kinesisClient: client,
      dynamoDBClient: dynamo,
      initialPosition: 'TRIM_HORIZON',
      processor: reportingProcessor('h2-worker', (r) => reports.push(r)),
      ...FAST_CONSUMER,
      retrieval: 'fanout',
      ...options,
    } as KinesisConsumerOptions);
    consumers.push(consumer);
    return { consumer, reports, started: consumer.start() };
  }

  /** Every record now in the stream was delivered exactly once, in order within its shard. */
  async function expectEveryRecordOnceInOrder(streamName: string, reports: readonly Report[]): Promise<void> {
    const stored = await readAllRecords(plain, streamName);
    await waitFor(() => deliveries(reports).length >= stored.length, { description: `${stored.length} records delivered`, timeoutMs: 30_000 });
    for (const shardId of new Set(stored.map((r) => r.shardId))) {
      const delivered = deliveries(reports).filter((r) => r.shardId === shardId).map((r) => r.sequenceNumber);
      expect(delivered, shardId).toEqual(stored.filter((r) => r.shardId === shardId).map((r) => r.SequenceNumber));
    }
  }

  const lastContinuation = (subscription: SubscriptionRecord) => subscription.events.findLast((e) => e.continuation !== null)?.continuation;
  const ofShard = (peer: H2FanOutPeer, shardId: string) => peer.subscriptions.filter((s) => s.shardId === shardId);

  it('refuses a request that is not in the shape the SDK sends over HTTP/2 (here: unsigned)', async () => {
    const { peer } = await setUp(1);
    const session = http2.connect(peer.endpoint, { ca: peerTls().cert, servername: peerTls().servername });
    try {
      const status = await new Promise<unknown>((resolve, reject) => {
        const request = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.SubscribeToShard' });
        request.on('response', (headers) => resolve(headers[':status']));
        request.on('error', reject);
        request.end('{}');
      });
      expect(status).toBe(400);
      expect(peer.malformed.splice(0)).toEqual([expect.stringMatching(/^x-amz-date/)]);
      expect(peer.subscriptions).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('delivers every record once, in order per shard, over HTTP/2 subscriptions that started where the lease said', async () => {
    const { peer, h2, stream } = await setUp(2);
    await putTexts(plain, stream.streamName, texts('before', 150), ['a', 'b', 'c', 'd']);
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    await putTexts(plain, stream.streamName, texts('after', 150), ['a', 'b', 'c', 'd']);
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    expect(peer.subscriptions.map((s) => [s.shardId, s.startingPosition.Type]).sort()).toEqual([
      ['shardId-000000000000', 'TRIM_HORIZON'],
      ['shardId-000000000001', 'TRIM_HORIZON'],
    ]);
    expect(peer.subscriptions.every((s) => s.events.some((e) => e.sequenceNumbers.length > 0))).toBe(true);
  });

  // Not one session for many shards: the SDK gives every event stream a session of its own
  // (NodeHttp2Handler's isEventStream), whatever disableConcurrentStreams says; that setting only
  // decides whether the other calls share sessions (the Kinesis default, true, gives each its own).
  it.each([
    { settings: 'the Kinesis default handler', handler: {}, controlCallsShareSessions: false },
    { settings: 'disableConcurrentStreams: false', handler: { disableConcurrentStreams: false }, controlCallsShareSessions: true },
  ])('gives each of 4 shards its own HTTP/2 session of one stream with $settings', async ({ handler, controlCallsShareSessions }) => {
    const shards = 4;
    const { peer, h2, stream } = await setUp(shards, {}, handler);
    await putTexts(plain, stream.streamName, texts('many', 200), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    await waitFor(() => peer.subscriptions.filter((s) => s.end === undefined).length === shards, { description: `${shards} subscriptions open at once` });
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const sessions = peer.subscriptionSessions();
    expect(new Set(peer.subscriptions.map((s) => s.sessionId)).size).toBe(peer.subscriptions.length);
    expect(sessions.map((s) => s.streams)).toEqual(sessions.map(() => ['SubscribeToShard']));
    const control = peer.sessions.filter((s) => !s.streams.includes('SubscribeToShard'));
    expect(control.some((s) => s.streams.length > 1)).toBe(controlCallsShareSessions);
  });

  it('renews subscriptions that a sessionTimeout shorter than the time between events closes, losing nothing', async () => {
    const shardId = 'shardId-000000000000';
    const { peer, h2, stream } = await setUp(1, { heartbeatMillis: 1_000 }, { sessionTimeout: 300 });
    await putTexts(plain, stream.streamName, texts('early', 50), ['a', 'b']);
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    await waitFor(() => ofShard(peer, shardId).length >= 3, { description: 'subscriptions closed by the idle session and renewed' });
    await putTexts(plain, stream.streamName, texts('late', 50), ['a', 'b']);
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const ended = ofShard(peer, shardId).filter((s) => s.end !== undefined);
    expect(ended.map((s) => s.end)).toEqual(ended.map(() => 'cancelled'));
  });

  it("holds the peer back through the HTTP/2 stream's flow control while the processor is stuck, then delivers everything", async () => {
    const { peer, h2, stream } = await setUp(1, { recordsPerEvent: 10 });
    const padding = 'x'.repeat(1_000);
    await putTexts(plain, stream.streamName, texts(`slow-${padding}`, 300), ['a', 'b']);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const reports: Report[] = [];
    const reporting = reportingProcessor('h2-worker', (r) => reports.push(r));
    const { started } = startConsumer(h2, stream.streamName, {
      maxPrefetchBatches: 2,
      processor: (shard) => {
        const processor = reporting(shard);
        return { ...processor, processRecords: async (input) => stuck.then(() => processor.processRecords(input)) };
      },
    });
    await started;
    try {
      await waitFor(() => peer.blockedByFlowControl(0), { description: "the peer held back by the client's stream window" });
      // 2 events buffered, 1 in the processor, 1 in the SDK's hands, and a 64 KiB window's worth in transport buffers (~14 kB per event).
      expect(peer.subscriptions[0]!.events.length).toBeLessThan(30);
    } finally {
      release();
    }
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
  });

  it('renews a subscription the service ended (5 minutes compressed to 1.5 s) from its continuation: nothing skipped or repeated', async () => {
    const { peer, h2, stream } = await setUp(1, { subscriptionMillis: 1_500 });
    const shardId = 'shardId-000000000000';
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    for (let wave = 1; wave <= 3; wave++) {
      await putTexts(plain, stream.streamName, texts(`wave${wave}`, 40), ['a', 'b']);
      await waitFor(() => ofShard(peer, shardId).length > wave, { description: `subscription ${wave + 1}`, timeoutMs: 20_000 });
    }
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const subscriptions = ofShard(peer, shardId);
    expect(subscriptions[0]!.startingPosition).toEqual({ Type: 'TRIM_HORIZON' });
    for (let i = 1; i < subscriptions.length; i++) {
      expect(subscriptions[i - 1]!.end).toBe('expired');
      expect(subscriptions[i]!.startingPosition).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastContinuation(subscriptions[i - 1]!) });
    }
  });

  it('ends a split parent on its last event (null continuation, ChildShards) and reads the children', async () => {
    const { peer, h2, stream } = await setUp(1);
    await putTexts(plain, stream.streamName, texts('parent', 60), ['a', 'b', 'c']);
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    await waitFor(() => deliveries(reports).length >= 60, { description: 'the parent records' });
    const [parent] = await listAllShards(plain, stream.streamName);
    await plain.send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: parent!.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
    await waitForStreamActive(plain, stream.streamName);
    await putTexts(plain, stream.streamName, texts('child', 60), ['a', 'b', 'c']);
    const children = (await listAllShards(plain, stream.streamName)).filter((s) => s.ParentShardId === parent!.ShardId).map((s) => s.ShardId);
    expect(children).toHaveLength(2);
    await waitFor(() => reports.some((r) => r.type === 'shardEnded' && r.shardId === parent!.ShardId), { description: 'the parent ended' });
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const last = ofShard(peer, parent!.ShardId!).at(-1)!;
    expect(last.end).toBe('shardEnd');
    expect(last.events.at(-1)).toMatchObject({ continuation: null, childShardIds: children });
    await waitFor(() => children.every((id) => ofShard(peer, id!).length > 0), { description: 'both children subscribed' });
  });

  it('replaces a stalled subscription after subscriptionStallTimeoutMillis, continuing after the last continuation', async () => {
    const shardId = 'shardId-000000000000';
    const { peer, h2, stream } = await setUp(1, { heartbeatMillis: 200, faults: (s) => (s.id === 0 ? { kind: 'stall', afterEvents: 1 } : undefined) });
    await putTexts(plain, stream.streamName, texts('early', 50), ['a', 'b']);
    const { reports, started } = startConsumer(h2, stream.streamName, { subscriptionStallTimeoutMillis: 1_500 });
    await started;
    await waitFor(() => deliveries(reports).length >= 50, { description: 'the records of the first event' });
    await putTexts(plain, stream.streamName, texts('late', 50), ['a', 'b']);
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const [stalled, replacement] = ofShard(peer, shardId);
    expect(stalled!.events).toHaveLength(1);
    expect(stalled!.end).toBe('cancelled');
    expect(replacement!.startingPosition).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastContinuation(stalled!) });
  });

  it.each([
    { how: 'the peer closing the session with GOAWAY', fault: { kind: 'closeSession', afterEvents: 2, goAway: true }, end: 'sessionClosed' },
    { how: 'the peer closing the session abruptly (TLS connection closed, no GOAWAY)', fault: { kind: 'closeSession', afterEvents: 2, goAway: false }, end: 'sessionClosed' },
    { how: 'an InternalFailureException event', fault: { kind: 'exception', afterEvents: 2, name: 'InternalFailureException' }, end: 'failed' },
  ] as const)('resubscribes from the last continuation after $how mid-subscription', async ({ fault, end }) => {
    const shardId = 'shardId-000000000000';
    const { peer, h2, stream } = await setUp(1, { heartbeatMillis: 200, faults: (s) => (s.id === 0 ? fault : undefined) });
    await putTexts(plain, stream.streamName, texts('early', 50), ['a', 'b']);
    const { reports, started } = startConsumer(h2, stream.streamName);
    await started;
    await waitFor(() => ofShard(peer, shardId).length >= 2, { description: 'a new subscription after the fault' });
    await putTexts(plain, stream.streamName, texts('late', 50), ['a', 'b']);
    await expectEveryRecordOnceInOrder(stream.streamName, reports);
    const [faulted, next] = ofShard(peer, shardId);
    expect(faulted!.end).toBe(end);
    expect(next!.sessionId).not.toBe(faulted!.sessionId);
    expect(next!.startingPosition).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastContinuation(faulted!) });
  });

  it('retries ResourceInUseException while another subscription holds the shard, then takes over', async () => {
    const shardId = 'shardId-000000000000';
    const { peer, h2, stream } = await setUp(1, { resourceInUseMillis: 600_000 });
    await putTexts(plain, stream.streamName, texts('held', 50), ['a', 'b']);
    // Another worker's subscription of the same stream consumer and shard, still open.
    const applicationName = uniqueName('h2-app');
    const port = kinesisFanOutPort(h2);
    const { consumerARN } = await ensureStreamConsumer(port, { stream: { streamName: stream.streamName }, consumerName: applicationName });
    const holder = new AbortController();
    await port.subscribeToShard({ consumerARN, shardId, start: { type: 'TRIM_HORIZON' }, signal: holder.signal });
    try {
      const { reports, started } = startConsumer(h2, stream.streamName, { applicationName });
      await started;
      await waitFor(() => peer.resourceInUseRefusals >= 1, { description: 'a subscribe refused with ResourceInUseException' });
      expect(deliveries(reports)).toEqual([]);
      peer.resourceInUseMillis = 0; // the holder's 5 s are over: the next subscribe takes over
      await expectEveryRecordOnceInOrder(stream.streamName, reports);
      expect(peer.subscriptions[0]!.end).toBe('takenOver');
      expect(peer.subscriptions.slice(1).map((s) => s.consumerARN)).toEqual([consumerARN]);
    } finally {
      holder.abort();
    }
  });
});
