import { DescribeStreamSummaryCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient, type ListShardsCommandInput, type Shard } from '@aws-sdk/client-kinesis';
import type { OuterRecord } from '@kinesis-kit/aggregation';
import { DEFAULT_MAX_RECORD_BYTES, LIST_SHARDS_MAX_RESULTS, MAX_RECORD_SIZE_UNIT_BYTES } from './limits.js';
import type { KinesisWritePort, PutRecordsEntryResult, ShardDescription } from './port.js';
import { withOwnAnswerParser } from './put-records-answer.js';
import { withOwnSerializer } from './put-records-serializer.js';

/** The stream a port writes to: by name or by ARN (exactly one). */
export type StreamTarget = { readonly streamName: string; readonly streamARN?: undefined } | { readonly streamARN: string; readonly streamName?: undefined };

export interface SdkWritePortOptions {
  /** ListShards page size, 1..1,000. Default 1,000 (the API maximum). */
  readonly listShardsPageSize?: number;
}

/**
 * Adapts an AWS SDK v3 KinesisClient to the producer's port. The client is used as is: its
 * own retries (maxAttempts) multiply with the producer's, so give it `maxAttempts: 1`.
 */
export function sdkWritePort(client: KinesisClient, target: StreamTarget, options: SdkWritePortOptions = {}): KinesisWritePort {
  const stream = target.streamARN === undefined ? { StreamName: target.streamName } : { StreamARN: target.streamARN };
  const pageSize = options.listShardsPageSize ?? LIST_SHARDS_MAX_RESULTS;
  return {
    async putRecords(records, signal) {
      const entries = new Array<{ Data: Uint8Array; PartitionKey: string; ExplicitHashKey: string | undefined }>(records.length);
      for (let i = 0; i < records.length; i++) {
        const record: OuterRecord = records[i]!;
        entries[i] = { Data: record.data, PartitionKey: record.partitionKey, ExplicitHashKey: record.explicitHashKey };
      }
      const command = new PutRecordsCommand({ ...stream, Records: entries });
      withoutRecordLogging(command);
      withOwnSerializer(command);
      withOwnAnswerParser(command);
      const output = await client.send(command, { abortSignal: signal });
      return toEntryResults(output.Records ?? [], records.length);
    },
    async listShards(signal) {
      const shards: ShardDescription[] = [];
      let nextToken: string | undefined;
      do {
        // The first page names the stream and the filter; later pages only carry the token.
        const input: ListShardsCommandInput =
          nextToken === undefined ? { ...stream, ShardFilter: { Type: 'AT_LATEST' }, MaxResults: pageSize } : { NextToken: nextToken, MaxResults: pageSize };
        const page = await client.send(new ListShardsCommand(input), { abortSignal: signal });
        for (const shard of page.Shards ?? []) shards.push(toShardDescription(shard));
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      return shards;
    },
    async maxRecordSize(signal) {
      const output = await client.send(new DescribeStreamSummaryCommand(stream), { abortSignal: signal });
      return recordLimitBytes(output.StreamDescriptionSummary?.MaxRecordSizeInKiB);
    },
  };
}

/** DescribeStreamSummary's MaxRecordSizeInKiB in bytes; a stream never raised has no such field (1 MiB). */
export function recordLimitBytes(maxRecordSizeInKiB: number | undefined): number {
  if (maxRecordSizeInKiB === undefined) return DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isInteger(maxRecordSizeInKiB) || maxRecordSizeInKiB <= 0) throw malformed(`MaxRecordSizeInKiB ${String(maxRecordSizeInKiB)}`);
  return maxRecordSizeInKiB * MAX_RECORD_SIZE_UNIT_BYTES;
}

/**
 * Replaces the SDK's logger middleware for one PutRecords command. Its default walks the whole
 * input and output through the schema's sensitive-data filter on every request, even with no
 * logger configured (the default NoOpLogger has an `info` method): with 500 records a request,
 * about 5 % of the CPU of unaggregated producing, and a copy of every entry for the collector.
 * It would also log record data, which this library never logs. This one logs what the SDK
 * logs minus the records: client, command and the response metadata, or the error.
 */
function withoutRecordLogging(command: PutRecordsCommand): void {
  command.middlewareStack.add(
    (next, context) => async (args) => {
      const { clientName, commandName, logger } = context;
      try {
        const response = await next(args);
        logger?.info?.({ clientName, commandName, metadata: response.output.$metadata });
        return response;
      } catch (error) {
        logger?.error?.({ clientName, commandName, error, metadata: (error as { $metadata?: unknown }).$metadata });
        throw error;
      }
    },
    // Overrides the middleware of that name the SDK client adds (@aws-sdk/core's "loggerMiddleware").
    { name: 'loggerMiddleware', step: 'initialize', override: true },
  );
}

interface SdkEntryResult {
  readonly ShardId?: string | undefined;
  readonly SequenceNumber?: string | undefined;
  readonly ErrorCode?: string | undefined;
  readonly ErrorMessage?: string | undefined;
}

function toEntryResults(results: readonly SdkEntryResult[], expected: number): PutRecordsEntryResult[] {
  if (results.length !== expected) throw malformed(`PutRecords answered ${results.length} results for ${expected} records`);
  const out = new Array<PutRecordsEntryResult>(expected);
  for (let i = 0; i < expected; i++) {
    const r = results[i]!;
    if (r.ErrorCode !== undefined) {
      out[i] = { errorCode: r.ErrorCode, errorMessage: r.ErrorMessage ?? '' };
    } else if (r.ShardId !== undefined && r.SequenceNumber !== undefined) {
      out[i] = { shardId: r.ShardId, sequenceNumber: r.SequenceNumber };
    } else {
      throw malformed('PutRecords result without ShardId/SequenceNumber or ErrorCode');
    }
  }
  return out;
}

function toShardDescription(shard: Shard): ShardDescription {
  const range = shard.HashKeyRange;
  if (shard.ShardId === undefined || range?.StartingHashKey === undefined || range.EndingHashKey === undefined) {
    throw malformed('ListShards returned a shard without ShardId or HashKeyRange');
  }
  return {
    shardId: shard.ShardId,
    hashKeyRange: { startingHashKey: BigInt(range.StartingHashKey), endingHashKey: BigInt(range.EndingHashKey) },
    parentShardId: shard.ParentShardId,
    adjacentParentShardId: shard.AdjacentParentShardId,
  };
}

/** An answer we cannot use; named InternalFailure so it is retried like a server fault. */
function malformed(message: string): Error {
  const error = new Error(`malformed Kinesis response: ${message}`);
  error.name = 'InternalFailure';
  return error;
}
