import type { ChildShard } from '../processing/contracts.js';
import type { KinesisReadPort, ShardDescription, StreamRef } from '../retrieval/kinesis-port.js';
import type { FanOutSession } from '../retrieval/fanout-session.js';
import type { Retrieval } from '../retrieval/retrieval.js';
import type { InitialPosition } from '../shards/initial-position.js';

/** One stream of a multi-stream consumer, as given in `streams` or to addStream(). */
export type StreamSpec = StreamRef & {
  /** Where this stream's shards without a checkpoint start; default the consumer's initialPosition. */
  readonly initialPosition?: InitialPosition;
};

/**
 * A stream this worker consumes, with everything the shard layer needs to work on it. Lease
 * keys are `keyPrefix + shardId`: the prefix is empty for a single-stream consumer (keys are
 * bare shard ids, as the KCL) and `<accountId>:<streamName>:<creationEpochSeconds>:` for a
 * multi-stream one. The shard layer (shard sync, child shards, parent checks, cleanup) works on
 * lease keys only, through `leasePort`, whose shard ids and parent ids are lease keys.
 */
export interface ConsumedStream {
  readonly streamName: string;
  readonly streamARN: string | undefined;
  /** The serialized KCL stream identifier; multi-stream only. */
  readonly streamIdentifier: string | undefined;
  readonly keyPrefix: string;
  readonly initialPosition: InitialPosition;
  /** Reads the stream by bare shard id (GetShardIterator, GetRecords). */
  readonly port: KinesisReadPort;
  /** ListShards with every shard id turned into its lease key. */
  readonly leasePort: Pick<KinesisReadPort, 'listShards'>;
  readonly retrieval: Retrieval;
  /** With retrieval 'fanout': the stream's registered stream consumer, stopped when the stream is dropped. */
  readonly fanOut: FanOutSession | undefined;
}

export interface ConsumedStreamInput {
  readonly streamName: string;
  readonly streamARN?: string;
  readonly streamIdentifier?: string;
  readonly initialPosition: InitialPosition;
  readonly port: KinesisReadPort;
  readonly retrieval: Retrieval;
  readonly fanOut?: FanOutSession;
}

export function consumedStream(input: ConsumedStreamInput): ConsumedStream {
  const keyPrefix = input.streamIdentifier === undefined ? '' : `${input.streamIdentifier}:`;
  return Object.freeze({
    streamName: input.streamName,
    streamARN: input.streamARN,
    streamIdentifier: input.streamIdentifier,
    keyPrefix,
    initialPosition: input.initialPosition,
    port: input.port,
    leasePort: keyedPort(input.port, keyPrefix),
    retrieval: input.retrieval,
    fanOut: input.fanOut,
  });
}

/** The bare shard id of one of this stream's lease keys. */
export function shardIdOf(stream: ConsumedStream, leaseKey: string): string {
  return leaseKey.slice(stream.keyPrefix.length);
}

/** Children as GetRecords reports them (bare shard ids) with lease keys instead. */
export function keyedChildren(stream: ConsumedStream, children: readonly ChildShard[]): ChildShard[] {
  const key = (id: string) => stream.keyPrefix + id;
  return children.map((child) => ({ ...child, shardId: key(child.shardId), parentShardIds: child.parentShardIds.map(key) }));
}

function keyedPort(port: KinesisReadPort, prefix: string): Pick<KinesisReadPort, 'listShards'> {
  if (prefix === '') return port;
  const keyed = (shard: ShardDescription): ShardDescription => ({
    ...shard,
    shardId: prefix + shard.shardId,
    ...(shard.parentShardId === undefined ? {} : { parentShardId: prefix + shard.parentShardId }),
    ...(shard.adjacentParentShardId === undefined ? {} : { adjacentParentShardId: prefix + shard.adjacentParentShardId }),
  });
  return { listShards: async (options) => (await port.listShards(options)).map(keyed) };
}
