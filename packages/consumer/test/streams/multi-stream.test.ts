import { describe, expect, it } from 'vitest';
import { ConsumerStateError } from '../../src/leases/errors.js';
import { newLease, withChildShards } from '../../src/leases/lease.js';
import { fromItem, toItem } from '../../src/leases/lease-item.js';
import { TRIM_HORIZON } from '../../src/position.js';
import { KinesisConsumer, type KinesisConsumerOptions } from '../../src/index.js';
import { StreamRegistry } from '../../src/streams/stream-registry.js';
import { consumedStream, keyedChildren, shardIdOf } from '../../src/streams/consumed-stream.js';
import { multiStreamLeaseKey, parseMultiStreamLeaseKey, serializeStreamIdentifier } from '../../src/streams/stream-identifier.js';
import type { KinesisReadPort } from '../../src/retrieval/kinesis-port.js';

const ID = serializeStreamIdentifier({ accountId: '123456789012', streamName: 'orders', creationEpochSeconds: 1_700_000_000 });
const key = (shardId: string) => multiStreamLeaseKey(ID, shardId);
const noProcessor = () => ({ processRecords: () => undefined, shardEnded: () => undefined });

function options(overrides: Record<string, unknown>): KinesisConsumerOptions {
  return { applicationName: 'app', initialPosition: 'LATEST', processor: noProcessor, ...overrides } as unknown as KinesisConsumerOptions;
}

describe('multi-stream lease keys', () => {
  it('are <accountId>:<streamName>:<creationEpochSeconds>:<shardId>; a bare shard id is single-stream', () => {
    expect(key('shardId-000000000001')).toBe('123456789012:orders:1700000000:shardId-000000000001');
    expect(parseMultiStreamLeaseKey(key('shardId-000000000001'))).toEqual({ streamIdentifier: ID, shardId: 'shardId-000000000001' });
    expect(parseMultiStreamLeaseKey('shardId-000000000001')).toBeUndefined();
    expect(parseMultiStreamLeaseKey('a:b:notanepoch:shardId-1')).toBeUndefined();
  });

  it('are written with the Java KCL multi-stream attributes, parents and children as bare shard ids, and read back as keys', () => {
    const parent = withChildShards(newLease({ leaseKey: key('shardId-000000000000'), checkpoint: TRIM_HORIZON }), [key('shardId-000000000002')]);
    const child = newLease({ leaseKey: key('shardId-000000000002'), checkpoint: TRIM_HORIZON, parentShardIds: [key('shardId-000000000000'), key('shardId-000000000001')] });
    expect(toItem(parent)).toMatchObject({ streamName: { S: ID }, shardId: { S: 'shardId-000000000000' }, childShardIds: { SS: ['shardId-000000000002'] } });
    expect(toItem(child).parentShardId).toEqual({ SS: ['shardId-000000000000', 'shardId-000000000001'] });
    expect(fromItem(toItem(parent))).toEqual(parent);
    expect(fromItem(toItem(child))).toEqual(child);
  });

  it('leave single-stream items exactly as before (no streamName or shardId attribute)', () => {
    const item = toItem(newLease({ leaseKey: 'shardId-000000000001', checkpoint: TRIM_HORIZON, parentShardIds: ['shardId-000000000000'] }));
    expect(item.streamName).toBeUndefined();
    expect(item.shardId).toBeUndefined();
    expect(item.parentShardId).toEqual({ SS: ['shardId-000000000000'] });
  });
});

describe('consumed streams', () => {
  const port: KinesisReadPort = {
    listShards: () => Promise.resolve([{ shardId: 'shardId-000000000002', parentShardId: 'shardId-000000000000', adjacentParentShardId: 'shardId-000000000001', startingHashKey: 0n, endingHashKey: 1n, startingSequenceNumber: '1' }]),
    getShardIterator: () => Promise.reject(new Error('unused')),
    getRecords: () => Promise.reject(new Error('unused')),
  };
  const multi = consumedStream({ streamName: 'orders', streamIdentifier: ID, initialPosition: 'LATEST', port, retrieval: { kind: 'test', open: () => { throw new Error('unused'); } } });

  it('list shards with lease keys for the shard layer, and map lease keys back to shard ids', async () => {
    const [shard] = await multi.leasePort.listShards();
    expect(shard).toMatchObject({ shardId: key('shardId-000000000002'), parentShardId: key('shardId-000000000000'), adjacentParentShardId: key('shardId-000000000001') });
    expect(shardIdOf(multi, key('shardId-000000000002'))).toBe('shardId-000000000002');
    const [child] = keyedChildren(multi, [{ shardId: 'shardId-000000000003', parentShardIds: ['shardId-000000000002'], startingHashKey: 0n, endingHashKey: 1n }]);
    expect(child).toMatchObject({ shardId: key('shardId-000000000003'), parentShardIds: [key('shardId-000000000002')] });
  });

  it('are found by lease key until removed; a single stream owns every key', () => {
    const registry = new StreamRegistry();
    expect(registry.add(multi)).toBe('added');
    expect(registry.add(multi)).toBe('alreadyConsumed');
    expect(registry.forKey(key('shardId-000000000000'))).toBe(multi);
    expect(registry.forKey('999999999999:other:1:shardId-000000000000')).toBeUndefined();
    registry.retire(multi);
    expect(registry.forKey(key('shardId-000000000000'))).toBeUndefined();
    expect(registry.all()).toEqual([]);
    const single = new StreamRegistry();
    single.add({ ...multi, keyPrefix: '', streamIdentifier: undefined });
    expect(single.forKey('shardId-000000000000')?.streamName).toBe('orders');
  });
});

describe('multi-stream options', () => {
  it('accept streams by name or ARN, each with its own initial position', () => {
    const consumer = new KinesisConsumer(options({ streams: [{ streamName: 'a' }, { streamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/b', initialPosition: 'TRIM_HORIZON' }] }));
    expect(consumer.state).toBe('idle');
    expect(new KinesisConsumer(options({ streams: [] })).stats().streams).toEqual([]);
  });

  it('reject streams together with streamName or streamARN, bad specs, duplicates, and a custom Retrieval', () => {
    const attempt = (overrides: Record<string, unknown>) => () => new KinesisConsumer(options(overrides));
    expect(attempt({ streams: [{ streamName: 'a' }], streamName: 'a' })).toThrow(/streams \(multi-stream\) excludes streamName and streamARN/);
    expect(attempt({ streams: [{ streamName: 'a', streamARN: 'arn:aws:kinesis:us-east-1:1:stream/a' }] })).toThrow(/streams\[0\]\.exactly one of streamName and streamARN/);
    expect(attempt({ streams: [{ streamName: 'a', initialPosition: 'EARLIEST' }] })).toThrow(/streams\[0\]\.initialPosition must be/);
    expect(attempt({ streams: [{ streamName: 'a' }, { streamARN: 'arn:aws:kinesis:us-east-1:1:stream/a' }] })).toThrow(/more than once: a/);
    expect(attempt({ streams: [{ streamName: 'a' }], retrieval: { kind: 'mine', open: () => undefined } })).toThrow(/a custom Retrieval reads a single stream/);
    expect(() => new KinesisConsumer(options({ streams: [{ streamName: 'a' }], retrieval: 'fanout' }))).not.toThrow();
    expect(attempt({ streams: 'a' })).toThrow(/streams must be an array/);
  });

  it('addStream() and removeStream() need a running multi-stream consumer', async () => {
    const single = new KinesisConsumer(options({ streamName: 'a' }));
    await expect(single.addStream({ streamName: 'b' })).rejects.toThrow(ConsumerStateError);
    await expect(single.removeStream('a')).rejects.toMatchObject({ code: 'NOT_MULTI_STREAM' });
    const multiConsumer = new KinesisConsumer(options({ streams: [] }));
    await expect(multiConsumer.addStream({ streamName: 'b' })).rejects.toMatchObject({ code: 'NOT_RUNNING' });
  });
});
