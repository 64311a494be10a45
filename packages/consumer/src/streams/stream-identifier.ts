import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisKitError } from '@kinesis-kit/core';
import type { StreamRef } from '../retrieval/kinesis-port.js';
import { timedRequests, type RequestTimeoutOptions } from '../retrieval/request-options.js';

/**
 * A stream as the Java KCL identifies it in a multi-stream lease table
 * (software.amazon.kinesis.common.StreamIdentifier): the account, the name and the creation time
 * in epoch seconds, so a stream deleted and re-created under the same name gets new leases.
 */
export interface StreamIdentifier {
  readonly accountId: string;
  readonly streamName: string;
  readonly creationEpochSeconds: number;
}

/** `<accountId>:<streamName>:<creationEpochSeconds>`, the KCL's serialized stream identifier. */
export function serializeStreamIdentifier(id: StreamIdentifier): string {
  return `${id.accountId}:${id.streamName}:${id.creationEpochSeconds}`;
}

/** The multi-stream lease key: `<accountId>:<streamName>:<creationEpochSeconds>:<shardId>`. */
export function multiStreamLeaseKey(streamIdentifier: string, shardId: string): string {
  return `${streamIdentifier}:${shardId}`;
}

/**
 * Splits a multi-stream lease key; undefined for a single-stream key (a bare shard id). Neither
 * stream names nor shard ids may contain ':', so a multi-stream key has exactly four parts.
 */
export function parseMultiStreamLeaseKey(leaseKey: string): { readonly streamIdentifier: string; readonly shardId: string } | undefined {
  const parts = leaseKey.split(':');
  const [accountId, streamName, epoch, shardId] = parts;
  if (parts.length !== 4 || accountId === undefined || streamName === undefined || epoch === undefined || shardId === undefined) return undefined;
  if (!/^\d+$/.test(epoch) || streamName === '' || shardId === '') return undefined;
  return { streamIdentifier: `${accountId}:${streamName}:${epoch}`, shardId };
}

/** A stream as DescribeStreamSummary describes it: what a multi-stream consumer needs. */
export interface DescribedStream {
  readonly streamARN: string;
  readonly identifier: StreamIdentifier;
}

/**
 * The DescribeStreamSummary adapter: the account comes from the StreamARN, the epoch from
 * StreamCreationTimestamp. The attempt is bounded by the request timeout (TimeoutError, retriable).
 */
export async function describeStream(client: KinesisClient, stream: StreamRef, signal?: AbortSignal, timeouts: RequestTimeoutOptions = {}): Promise<DescribedStream> {
  const input = stream.streamARN === undefined ? { StreamName: stream.streamName } : { StreamARN: stream.streamARN };
  const request = timedRequests(timeouts);
  const { StreamDescriptionSummary: summary } = await request(signal, (attempt) => client.send(new DescribeStreamSummaryCommand(input), { abortSignal: attempt }));
  const streamARN = summary?.StreamARN;
  const created = summary?.StreamCreationTimestamp;
  const arn = streamARN === undefined ? undefined : /^arn:[^:]+:kinesis:[^:]*:(\d+):stream\/(.+)$/.exec(streamARN);
  if (streamARN === undefined || arn === null || arn === undefined || created === undefined) {
    const which = stream.streamName ?? stream.streamARN;
    throw new KinesisKitError('STREAM_NOT_DESCRIBED', `DescribeStreamSummary of ${which} gave no usable StreamARN or StreamCreationTimestamp`, { retriable: false });
  }
  const identifier = { accountId: arn[1]!, streamName: arn[2]!, creationEpochSeconds: Math.floor(created.getTime() / 1000) };
  return { streamARN, identifier };
}
