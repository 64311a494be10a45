import { SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy, createStream, kinesisClient, testAccountId, waitForStreamActive, type TestStream } from '../../../../test/harness/index.js';
import { kinesisReadPort, type GetRecordsOutcome } from '../../src/retrieval/kinesis-port.js';
import { putRecords, text, userRecords } from '../support/processing.js';

const MAX_HASH_KEY = 2n ** 128n - 1n;

function records(outcome: GetRecordsOutcome): string[] {
  if (outcome.kind !== 'records') throw new Error(`expected records, got ${outcome.kind}`);
  return outcome.records.map(text);
}

describe('kinesisReadPort (SDK adapter) against kinesis-local', () => {
  const accountId = testAccountId();
  let client: KinesisClient;
  let stream: TestStream;

  beforeAll(async () => {
    client = kinesisClient({ accountId });
    stream = await createStream(client, 3, 'port');
  });

  afterAll(async () => {
    await stream.delete();
    client.destroy();
  });

  it('lists every shard across pages, by name and by ARN, with bigint hash ranges', async () => {
    const byName = await kinesisReadPort(client, { streamName: stream.streamName }).listShards({ pageSize: 1 });
    const byArn = await kinesisReadPort(client, { streamARN: stream.streamARN }).listShards();
    expect(byName.map((s) => s.shardId)).toEqual(byArn.map((s) => s.shardId));
    expect(byName).toHaveLength(3);
    expect(byName[0]!.startingHashKey).toBe(0n);
    expect(byName.at(-1)!.endingHashKey).toBe(MAX_HASH_KEY);
    expect(byName.every((s) => s.parentShardId === undefined && s.endingSequenceNumber === undefined)).toBe(true);
  });

  it('reads from TRIM_HORIZON, AT/AFTER_SEQUENCE_NUMBER and LATEST', async () => {
    const port = kinesisReadPort(client, { streamName: stream.streamName });
    const [shard] = await port.listShards();
    const hashKey = String(shard!.startingHashKey);
    await putRecords(client, stream.streamName, userRecords(5, 'it').map((r) => ({ ...r, explicitHashKey: hashKey })));

    const fromStart = await port.getRecords(await port.getShardIterator(shard!.shardId, { type: 'TRIM_HORIZON' }), { limit: 100 });
    expect(records(fromStart)).toEqual(['it-0', 'it-1', 'it-2', 'it-3', 'it-4']);
    if (fromStart.kind !== 'records') return;
    expect(fromStart.nextShardIterator).toBeDefined();
    expect(fromStart.childShards).toEqual([]);
    const third = fromStart.records[2]!.sequenceNumber;

    const at = await port.getRecords(await port.getShardIterator(shard!.shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: third }), { limit: 2 });
    expect(records(at)).toEqual(['it-2', 'it-3']);
    const after = await port.getRecords(await port.getShardIterator(shard!.shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: third }), { limit: 100 });
    expect(records(after)).toEqual(['it-3', 'it-4']);
    const latest = await port.getRecords(await port.getShardIterator(shard!.shardId, { type: 'LATEST' }), { limit: 100 });
    expect(records(latest)).toEqual([]);
  });

  it('reads AT_TIMESTAMP', async () => {
    const port = kinesisReadPort(client, { streamARN: stream.streamARN });
    const shard = (await port.listShards()).at(-1)!;
    const hashKey = String(shard.startingHashKey);
    await putRecords(client, stream.streamName, userRecords(2, 'before').map((r) => ({ ...r, explicitHashKey: hashKey })));
    const first = await port.getRecords(await port.getShardIterator(shard.shardId, { type: 'TRIM_HORIZON' }), { limit: 100 });
    if (first.kind !== 'records') throw new Error('expected records');
    const lastArrival = first.records.at(-1)!.approximateArrivalTimestamp!.getTime();
    const timestamp = new Date(lastArrival + 1);
    await putRecords(client, stream.streamName, userRecords(2, 'after').map((r) => ({ ...r, explicitHashKey: hashKey })));
    const since = await port.getRecords(await port.getShardIterator(shard.shardId, { type: 'AT_TIMESTAMP', timestamp }), { limit: 100 });
    expect(records(since).filter((r) => r.startsWith('after'))).toEqual(['after-0', 'after-1']);
    expect(records(since).filter((r) => r.startsWith('before'))).toEqual([]);
  });

  it('filters shards and reports shard end with ChildShards after a split', async () => {
    const own = await createStream(client, 1, 'port-split');
    try {
      const port = kinesisReadPort(client, { streamName: own.streamName });
      const [parent] = await port.listShards();
      const iterator = await port.getShardIterator(parent!.shardId, { type: 'TRIM_HORIZON' });
      await client.send(new SplitShardCommand({ StreamName: own.streamName, ShardToSplit: parent!.shardId, NewStartingHashKey: String(2n ** 127n) }));
      await waitForStreamActive(client, own.streamName);

      const all = await port.listShards();
      const open = await port.listShards({ shardFilter: { type: 'AT_LATEST' } });
      expect(all).toHaveLength(3);
      expect(all[0]!.endingSequenceNumber).toBeDefined();
      expect(open.map((s) => s.parentShardId)).toEqual([parent!.shardId, parent!.shardId]);

      const end = await port.getRecords(iterator, { limit: 100 });
      if (end.kind !== 'records') throw new Error('expected records');
      expect(end.nextShardIterator).toBeUndefined();
      expect(end.childShards.map((c) => c.shardId).sort()).toEqual(open.map((s) => s.shardId).sort());
      expect(end.childShards.every((c) => c.parentShardIds.includes(parent!.shardId))).toBe(true);
      expect(end.childShards.map((c) => c.startingHashKey).sort()).toEqual([0n, 2n ** 127n]);
    } finally {
      await own.delete();
    }
  });

  it('returns an expired iterator as a value and throws other errors as the SDK did', async () => {
    const proxy = await FaultProxy.start(inject('kinesisEndpoint'));
    const proxied = kinesisClient({ accountId, endpoint: proxy.endpoint });
    try {
      const port = kinesisReadPort(proxied, { streamName: stream.streamName });
      const [shard] = await port.listShards();
      const iterator = await port.getShardIterator(shard!.shardId, { type: 'TRIM_HORIZON' });
      proxy.setPlan(({ operation }) => (operation === 'GetRecords' ? { kind: 'error', status: 400, code: 'ExpiredIteratorException' } : undefined));
      expect(await port.getRecords(iterator, { limit: 1 })).toEqual({ kind: 'expiredIterator' });
      proxy.setPlan(({ operation }) => (operation === 'GetRecords' ? { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } : undefined));
      await expect(port.getRecords(iterator, { limit: 1 })).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});
