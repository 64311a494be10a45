import { setMaxListeners } from 'node:events';
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { AbortedError, type Clock } from '@kinesis-kit/core';
import type { OpenShardInput, RecordBatch, Retrieval, ShardRecordSource } from '@kinesis-kit/consumer';

/**
 * The stream side of the simulation, kept out of what is measured: a Kinesis stand-in that
 * answers ListShards (shard sync), and a Retrieval that hands each shard consumer records on the
 * simulated clock, so processors checkpoint at a chosen rate without simulating GetRecords.
 */
const MAX_HASH_KEY = (1n << 128n) - 1n;
/** ListShards returns at most 1,000 shards per page by default (Kinesis API reference). */
const LIST_SHARDS_PAGE = 1_000;

export const shardIdOf = (i: number): string => `shardId-${String(i).padStart(12, '0')}`;

/** `shardCount` open shards splitting the hash key space evenly, as ListShards describes them. */
export function simShards(shardCount: number) {
  const width = (MAX_HASH_KEY + 1n) / BigInt(shardCount);
  return Array.from({ length: shardCount }, (_, i) => ({
    ShardId: shardIdOf(i),
    HashKeyRange: { StartingHashKey: String(width * BigInt(i)), EndingHashKey: String(i === shardCount - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: '1000' },
  }));
}

/** A Kinesis client stand-in for a stream of `shardCount` open shards; only ListShards is answered. */
export function simKinesis(shardCount: number, clock: Clock, latencyMs = 5): { client: KinesisClient; calls: () => number } {
  const shards = simShards(shardCount);
  let calls = 0;
  const send = async (command: { input: { NextToken?: string; MaxResults?: number } }, options?: { abortSignal?: AbortSignal }) => {
    if (!(command instanceof ListShardsCommand)) throw new Error(`${command.constructor.name} is not simulated`);
    calls++;
    const from = command.input.NextToken === undefined ? 0 : Number(command.input.NextToken);
    const to = Math.min(shards.length, from + (command.input.MaxResults ?? LIST_SHARDS_PAGE));
    await clock.sleep(latencyMs, options?.abortSignal);
    return { Shards: shards.slice(from, to), ...(to < shards.length ? { NextToken: String(to) } : {}), $metadata: {} };
  };
  return { client: { send, destroy: () => undefined } as unknown as KinesisClient, calls: () => calls };
}

/** How often each shard delivers a record (so its processor checkpoints), and its size (default 1 byte); undefined = never (idle). */
export type ShardLoad = (shardId: string) => number | { readonly everyMs: number; readonly bytes: number } | undefined;

/**
 * A Retrieval whose shards deliver one record every `load(shardId)` ms of simulated time. When
 * `loadChanged()`'s signal fires, every waiting source starts over with the new load.
 */
export function simRetrieval(clock: Clock, load: ShardLoad, loadChanged: () => AbortSignal): Retrieval {
  return {
    kind: 'simulated',
    open(shard: OpenShardInput): ShardRecordSource {
      const closed = new AbortController();
      setMaxListeners(0, closed.signal); // every next() combines it with the load signal
      let sequence = 1000n;
      return {
        async next(): Promise<RecordBatch> {
          for (;;) {
            if (closed.signal.aborted) throw new AbortedError('source closed');
            // Idle: nothing arrives until the load changes or the source is closed.
            const shardLoad = load(shard.shardId);
            const everyMs = typeof shardLoad === 'object' ? shardLoad.everyMs : shardLoad;
            const signal = AbortSignal.any([closed.signal, loadChanged()]);
            const woken = await (everyMs === undefined ? aborted(signal) : clock.sleep(everyMs, signal)).then(
              () => false,
              () => true,
            );
            if (!woken) break;
          }
          sequence += 1n;
          const shardLoad = load(shard.shardId);
          const bytes = typeof shardLoad === 'object' ? shardLoad.bytes : 1;
          const record = { data: new Uint8Array(bytes), partitionKey: 'k', sequenceNumber: String(sequence) };
          return { records: [record], millisBehindLatest: 0 };
        },
        close: () => closed.abort(),
      };
    },
  };
}

/** Rejects when `signal` aborts; never resolves. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new AbortedError('aborted'));
    else signal.addEventListener('abort', () => reject(new AbortedError('aborted')), { once: true });
  });
}
