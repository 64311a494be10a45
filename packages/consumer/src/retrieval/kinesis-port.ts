import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type ChildShard as SdkChildShard,
  type GetShardIteratorInput,
  type KinesisClient,
  type ListShardsInput,
  type Shard as SdkShard,
  type ShardFilter as SdkShardFilter,
  type _Record,
} from '@aws-sdk/client-kinesis';
import type { StreamRecord } from '@kinesis-kit/aggregation';
import type { ChildShard } from '../processing/contracts.js';
import { timedRequests, type RequestTimeoutOptions } from './request-options.js';

/**
 * The narrow Kinesis read port the consumer depends on: ListShards (every page), GetShardIterator
 * and GetRecords. Only the SDK adapter below knows the SDK's shapes and error names; the rest
 * of the consumer sees camelCase values, bigint hash keys and decimal-string sequence numbers.
 *
 * Errors: an expired iterator is an expected outcome and comes back as a value
 * (`{ kind: 'expiredIterator' }`); anything else (throttling, 5xx, resets, bad arguments) is
 * thrown as the SDK threw it, for the caller to classify with `classifyError` from core and
 * retry. The port itself never retries, but bounds every attempt (each ListShards page, each
 * GetShardIterator and GetRecords) with the request timeout: an attempt that gets no answer
 * rejects with a TimeoutError (retriable), whether or not the SDK honours the abort.
 */
export interface KinesisReadPort {
  /** Every shard matching the filter (all of them without one), following NextToken. */
  listShards(options?: ListShardsOptions): Promise<ShardDescription[]>;
  /** A fresh iterator for `shardId` at `start`. */
  getShardIterator(shardId: string, start: IteratorStart, signal?: AbortSignal): Promise<string>;
  /** One GetRecords call. */
  getRecords(shardIterator: string, options: GetRecordsOptions): Promise<GetRecordsOutcome>;
}

/** ListShards' ShardFilter (see the Kinesis API reference for which shards each type returns). */
export type ShardFilter =
  | { readonly type: 'AT_TRIM_HORIZON' | 'FROM_TRIM_HORIZON' | 'AT_LATEST' }
  | { readonly type: 'AFTER_SHARD_ID'; readonly shardId: string }
  | { readonly type: 'AT_TIMESTAMP' | 'FROM_TIMESTAMP'; readonly timestamp: Date };

export interface ListShardsOptions {
  readonly shardFilter?: ShardFilter;
  /** Page size (1..10,000); the service default (1,000) when absent. */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

/** A shard as ListShards describes it. */
export interface ShardDescription {
  readonly shardId: string;
  readonly parentShardId?: string;
  /** The second parent of a shard created by MergeShards. */
  readonly adjacentParentShardId?: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
  readonly startingSequenceNumber: string;
  /** Present once the shard is closed (split, merged, or scaled away). */
  readonly endingSequenceNumber?: string;
}

/** Where a new shard iterator starts (GetShardIterator's ShardIteratorType and its argument). */
export type IteratorStart =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface GetRecordsOptions {
  /** GetRecords `Limit`: 1..10,000 records. */
  readonly limit: number;
  readonly signal?: AbortSignal;
}

export type GetRecordsOutcome =
  | {
      readonly kind: 'records';
      readonly records: readonly StreamRecord[];
      /** Absent when the shard is closed and every record was read (shard end). */
      readonly nextShardIterator: string | undefined;
      readonly millisBehindLatest: number | undefined;
      /** The shard's children, given by the service at shard end; empty otherwise. */
      readonly childShards: readonly ChildShard[];
    }
  /** The iterator is older than 5 minutes; get a new one and read again. */
  | { readonly kind: 'expiredIterator' };

/** Which stream the adapter reads: by name, or by ARN (needed for cross-account access). */
export type StreamRef = { readonly streamName: string; readonly streamARN?: never } | { readonly streamARN: string; readonly streamName?: never };

/** The SDK adapter: a `KinesisClient` (configured by the caller: region, credentials, handler) as the port. */
export function kinesisReadPort(client: KinesisClient, stream: StreamRef, timeouts: RequestTimeoutOptions = {}): KinesisReadPort {
  const timed = timedRequests(timeouts);
  const target = stream.streamARN === undefined ? { StreamName: stream.streamName } : { StreamARN: stream.streamARN };
  return {
    async listShards(options = {}) {
      const shards: ShardDescription[] = [];
      let nextToken: string | undefined;
      do {
        const input: ListShardsInput =
          nextToken === undefined
            ? { ...target, ShardFilter: toSdkShardFilter(options.shardFilter), MaxResults: options.pageSize }
            : { NextToken: nextToken, MaxResults: options.pageSize };
        const page = await timed(options.signal, (signal) => client.send(new ListShardsCommand(input), { abortSignal: signal }));
        for (const shard of page.Shards ?? []) shards.push(fromSdkShard(shard));
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      return shards;
    },

    async getShardIterator(shardId, start, signal) {
      const input: GetShardIteratorInput = { ...target, ShardId: shardId, ...toSdkIteratorStart(start) };
      const { ShardIterator } = await timed(signal, (attempt) => client.send(new GetShardIteratorCommand(input), { abortSignal: attempt }));
      if (ShardIterator === undefined) throw new Error(`GetShardIterator returned no iterator for ${shardId}`);
      return ShardIterator;
    },

    async getRecords(shardIterator, options) {
      try {
        const input = { ShardIterator: shardIterator, Limit: options.limit, ...(stream.streamARN === undefined ? {} : { StreamARN: stream.streamARN }) };
        const page = await timed(options.signal, (signal) => client.send(new GetRecordsCommand(input), { abortSignal: signal }));
        return {
          kind: 'records',
          records: (page.Records ?? []).map(fromSdkRecord),
          nextShardIterator: page.NextShardIterator ?? undefined,
          millisBehindLatest: page.MillisBehindLatest,
          childShards: (page.ChildShards ?? []).map(fromSdkChildShard),
        };
      } catch (error) {
        if ((error as { name?: unknown } | undefined)?.name === 'ExpiredIteratorException') return { kind: 'expiredIterator' };
        throw error;
      }
    },
  };
}

function toSdkShardFilter(filter: ShardFilter | undefined): SdkShardFilter | undefined {
  if (filter === undefined) return undefined;
  if (filter.type === 'AFTER_SHARD_ID') return { Type: filter.type, ShardId: filter.shardId };
  if (filter.type === 'AT_TIMESTAMP' || filter.type === 'FROM_TIMESTAMP') return { Type: filter.type, Timestamp: filter.timestamp };
  return { Type: filter.type };
}

export function toSdkIteratorStart(start: IteratorStart): Pick<GetShardIteratorInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> {
  switch (start.type) {
    case 'AT_TIMESTAMP':
      return { ShardIteratorType: start.type, Timestamp: start.timestamp };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return { ShardIteratorType: start.type, StartingSequenceNumber: start.sequenceNumber };
    default:
      return { ShardIteratorType: start.type };
  }
}

function fromSdkShard(shard: SdkShard): ShardDescription {
  const range = shard.SequenceNumberRange;
  return {
    shardId: shard.ShardId ?? '',
    ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
    ...(shard.AdjacentParentShardId === undefined ? {} : { adjacentParentShardId: shard.AdjacentParentShardId }),
    startingHashKey: BigInt(shard.HashKeyRange?.StartingHashKey ?? '0'),
    endingHashKey: BigInt(shard.HashKeyRange?.EndingHashKey ?? '0'),
    startingSequenceNumber: range?.StartingSequenceNumber ?? '0',
    ...(range?.EndingSequenceNumber === undefined ? {} : { endingSequenceNumber: range.EndingSequenceNumber }),
  };
}

export function fromSdkChildShard(child: SdkChildShard): ChildShard {
  return {
    shardId: child.ShardId ?? '',
    parentShardIds: child.ParentShards ?? [],
    startingHashKey: BigInt(child.HashKeyRange?.StartingHashKey ?? '0'),
    endingHashKey: BigInt(child.HashKeyRange?.EndingHashKey ?? '0'),
  };
}

const EMPTY = new Uint8Array(0);

export function fromSdkRecord(record: _Record): StreamRecord {
  return {
    data: record.Data ?? EMPTY,
    partitionKey: record.PartitionKey ?? '',
    sequenceNumber: record.SequenceNumber ?? '',
    ...(record.ApproximateArrivalTimestamp === undefined ? {} : { approximateArrivalTimestamp: record.ApproximateArrivalTimestamp }),
  };
}
