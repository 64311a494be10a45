import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type Consumer as SdkConsumer,
  type ConsumerDescription as SdkConsumerDescription,
  type KinesisClient,
  type SubscribeToShardEvent as SdkSubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import type { StreamRecord } from '@kinesis-kit/aggregation';
import type { ChildShard } from '../processing/contracts.js';
import { fromSdkChildShard, fromSdkRecord, kinesisReadPort, toSdkIteratorStart, type IteratorStart, type ShardDescription, type StreamRef } from './kinesis-port.js';
import { timedRequests, type RequestTimeoutOptions, type TimedRequest } from './request-options.js';

/**
 * The narrow Kinesis port enhanced fan-out depends on: the stream consumer's registration
 * (Register / Describe / Deregister / ListStreamConsumers), the stream's ARN, and
 * SubscribeToShard. Only the SDK adapter below knows the SDK's shapes and error names.
 *
 * Expected outcomes are values: a consumer that already exists, is not found, is not ACTIVE,
 * or hit a LimitExceededException on registration. Anything else (throttling, 5xx, resets,
 * ResourceInUse on subscribe) is thrown as the SDK threw it, for the caller to classify with
 * `classifyError` from core and retry. The port itself never retries. Every control call attempt
 * is bounded by the request timeout (TimeoutError, retriable); SubscribeToShard is bounded by its
 * caller (the wait for the first event), since the subscription itself lasts minutes.
 */
export interface FanOutPort {
  /** The stream's ARN (DescribeStreamSummary when given a name). */
  describeStreamARN(stream: StreamRef, signal?: AbortSignal): Promise<string>;
  registerStreamConsumer(streamARN: string, consumerName: string, signal?: AbortSignal): Promise<RegisterConsumerOutcome>;
  describeStreamConsumer(consumer: StreamConsumerRef, signal?: AbortSignal): Promise<DescribeConsumerOutcome>;
  deregisterStreamConsumer(consumer: StreamConsumerRef, signal?: AbortSignal): Promise<DeregisterConsumerOutcome>;
  /** Every consumer registered to the stream (any status), following NextToken. */
  listStreamConsumers(streamARN: string, signal?: AbortSignal): Promise<StreamConsumerDescription[]>;
  /** Every shard of the stream (ListShards, all pages): confirms a shard end that came without ChildShards. */
  listShards(stream: StreamRef, signal?: AbortSignal): Promise<ShardDescription[]>;
  /**
   * Opens a subscription. Resolves once it is established (the SDK waits for the first event),
   * with the events in order; the iterable is read at most once. Aborting `signal` closes the
   * connection at once: a pending read then rejects. Errors after establishment (resets, an
   * exception event) reject the pending read; the service ends the iteration after at most 5
   * minutes, and after the shard-end event.
   */
  subscribeToShard(input: SubscribeInput): Promise<AsyncIterable<SubscriptionEvent>>;
}

/** A registered consumer, by stream ARN and consumer name, or by its own ARN. */
export type StreamConsumerRef =
  | { readonly streamARN: string; readonly consumerName: string; readonly consumerARN?: never }
  | { readonly consumerARN: string; readonly streamARN?: never; readonly consumerName?: never };

export type StreamConsumerStatus = 'CREATING' | 'ACTIVE' | 'DELETING';

export interface StreamConsumerDescription {
  readonly consumerName: string;
  /** Contains the creation time: a consumer deleted and registered again gets a new ARN. */
  readonly consumerARN: string;
  readonly status: StreamConsumerStatus;
  readonly createdAt: Date | undefined;
}

export type RegisterConsumerOutcome =
  | { readonly kind: 'registered'; readonly consumer: StreamConsumerDescription }
  /** ResourceInUseException: a consumer of that name is registered (or being deleted). */
  | { readonly kind: 'alreadyExists' }
  /** LimitExceededException: the per-stream consumer limit, or too many registrations at once. */
  | { readonly kind: 'limitExceeded'; readonly message: string };

export type DescribeConsumerOutcome = { readonly kind: 'found'; readonly consumer: StreamConsumerDescription } | { readonly kind: 'notFound' };

/** `notActive`: ResourceInUseException, the consumer is CREATING or already DELETING. */
export type DeregisterConsumerOutcome = 'deregistering' | 'notFound' | 'notActive';

export interface SubscribeInput {
  readonly consumerARN: string;
  readonly shardId: string;
  readonly start: IteratorStart;
  /** Closes the subscription (and cancels the call while it is being established). */
  readonly signal: AbortSignal;
}

/** One SubscribeToShardEvent. */
export interface SubscriptionEvent {
  /** May be empty: the service sends events on an idle shard too (heartbeats). */
  readonly records: readonly StreamRecord[];
  /**
   * Where the next subscription continues: AFTER_SEQUENCE_NUMBER of it. Advances on an idle
   * shard too. Absent (null on the wire) on the shard's last event: the shard is closed and read.
   */
  readonly continuationSequenceNumber: string | undefined;
  readonly millisBehindLatest: number | undefined;
  /** The shard's children, on its last event; empty otherwise. */
  readonly childShards: readonly ChildShard[];
}

/**
 * The SDK adapter. SubscribeToShard needs HTTP/2 against the service (the SDK's default
 * handler); emulators speak HTTP/1.1 only, which works with an injected NodeHttpHandler.
 */
export function kinesisFanOutPort(client: KinesisClient, timeouts: RequestTimeoutOptions = {}): FanOutPort {
  const timed = timedRequests(timeouts);
  return {
    describeStreamARN: (stream, signal) => describeStreamARN(client, timed, stream, signal),
    registerStreamConsumer: (streamARN, consumerName, signal) => registerStreamConsumer(client, timed, streamARN, consumerName, signal),
    describeStreamConsumer: (consumer, signal) => describeStreamConsumer(client, timed, consumer, signal),
    deregisterStreamConsumer: (consumer, signal) => deregisterStreamConsumer(client, timed, consumer, signal),
    listStreamConsumers: (streamARN, signal) => listStreamConsumers(client, timed, streamARN, signal),
    listShards: (stream, signal) => kinesisReadPort(client, stream, timeouts).listShards(signal === undefined ? {} : { signal }),
    subscribeToShard: (input) => subscribeToShard(client, input),
  };
}

async function describeStreamARN(client: KinesisClient, timed: TimedRequest, stream: StreamRef, signal: AbortSignal | undefined): Promise<string> {
  if (stream.streamARN !== undefined) return stream.streamARN;
  const { StreamDescriptionSummary: summary } = await timed(signal, (attempt) => client.send(new DescribeStreamSummaryCommand({ StreamName: stream.streamName }), { abortSignal: attempt }));
  if (summary?.StreamARN === undefined) throw new Error(`DescribeStreamSummary returned no StreamARN for ${stream.streamName}`);
  return summary.StreamARN;
}

async function registerStreamConsumer(client: KinesisClient, timed: TimedRequest, streamARN: string, consumerName: string, signal: AbortSignal | undefined): Promise<RegisterConsumerOutcome> {
  try {
    const { Consumer } = await timed(signal, (attempt) => client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: consumerName }), { abortSignal: attempt }));
    if (Consumer === undefined) throw new Error(`RegisterStreamConsumer returned no consumer for ${consumerName}`);
    return { kind: 'registered', consumer: fromSdkConsumer(Consumer) };
  } catch (error) {
    if (errorName(error) === 'ResourceInUseException') return { kind: 'alreadyExists' };
    if (errorName(error) === 'LimitExceededException') return { kind: 'limitExceeded', message: errorMessage(error) };
    throw error;
  }
}

async function describeStreamConsumer(client: KinesisClient, timed: TimedRequest, consumer: StreamConsumerRef, signal: AbortSignal | undefined): Promise<DescribeConsumerOutcome> {
  try {
    const { ConsumerDescription } = await timed(signal, (attempt) => client.send(new DescribeStreamConsumerCommand(toSdkConsumerRef(consumer)), { abortSignal: attempt }));
    if (ConsumerDescription === undefined) return { kind: 'notFound' };
    return { kind: 'found', consumer: fromSdkConsumer(ConsumerDescription) };
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return { kind: 'notFound' };
    throw error;
  }
}

async function deregisterStreamConsumer(client: KinesisClient, timed: TimedRequest, consumer: StreamConsumerRef, signal: AbortSignal | undefined): Promise<DeregisterConsumerOutcome> {
  try {
    await timed(signal, (attempt) => client.send(new DeregisterStreamConsumerCommand(toSdkConsumerRef(consumer)), { abortSignal: attempt }));
    return 'deregistering';
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return 'notFound';
    if (errorName(error) === 'ResourceInUseException') return 'notActive';
    throw error;
  }
}

async function listStreamConsumers(client: KinesisClient, timed: TimedRequest, streamARN: string, signal: AbortSignal | undefined): Promise<StreamConsumerDescription[]> {
  const consumers: StreamConsumerDescription[] = [];
  let nextToken: string | undefined;
  do {
    const input = nextToken === undefined ? { StreamARN: streamARN } : { StreamARN: streamARN, NextToken: nextToken };
    const page = await timed(signal, (attempt) => client.send(new ListStreamConsumersCommand(input), { abortSignal: attempt }));
    for (const consumer of page.Consumers ?? []) consumers.push(fromSdkConsumer(consumer));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return consumers;
}

async function subscribeToShard(client: KinesisClient, { consumerARN, shardId, start, signal }: SubscribeInput): Promise<AsyncIterable<SubscriptionEvent>> {
  const { ShardIteratorType, StartingSequenceNumber, Timestamp } = toSdkIteratorStart(start);
  const StartingPosition = { Type: ShardIteratorType, SequenceNumber: StartingSequenceNumber, Timestamp };
  const { EventStream } = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerARN, ShardId: shardId, StartingPosition }), { abortSignal: signal });
  if (EventStream === undefined) throw new Error(`SubscribeToShard returned no event stream for ${shardId}`);
  return subscriptionEvents(EventStream);
}

/**
 * Maps the SDK's event stream, pulling one message per event asked for: while nobody asks, the
 * SDK does not read the HTTP body, so the connection's flow control holds the rest back.
 */
async function* subscriptionEvents(stream: AsyncIterable<SubscribeToShardEventStream>): AsyncGenerator<SubscriptionEvent, void, undefined> {
  for await (const message of stream) {
    if (message.SubscribeToShardEvent !== undefined) {
      yield fromSdkEvent(message.SubscribeToShardEvent);
      continue;
    }
    // The SDK throws modelled exception events itself; one that arrives as a value is thrown here.
    const [name, value] = Object.entries(message).find(([key]) => key !== '$unknown') ?? [];
    if (name !== undefined) throw value instanceof Error ? value : Object.assign(new Error(`${name} on the subscription`), { name });
  }
}

function fromSdkEvent(event: SdkSubscribeToShardEvent): SubscriptionEvent {
  const continuation = event.ContinuationSequenceNumber;
  return {
    records: (event.Records ?? []).map(fromSdkRecord),
    continuationSequenceNumber: continuation === undefined || continuation === null || continuation === '' ? undefined : continuation,
    millisBehindLatest: event.MillisBehindLatest,
    childShards: (event.ChildShards ?? []).map(fromSdkChildShard),
  };
}

function fromSdkConsumer(consumer: SdkConsumer | SdkConsumerDescription): StreamConsumerDescription {
  return {
    consumerName: consumer.ConsumerName ?? '',
    consumerARN: consumer.ConsumerARN ?? '',
    status: consumer.ConsumerStatus ?? 'CREATING',
    createdAt: consumer.ConsumerCreationTimestamp,
  };
}

function toSdkConsumerRef(consumer: StreamConsumerRef): { StreamARN?: string; ConsumerName?: string; ConsumerARN?: string } {
  return consumer.consumerARN === undefined ? { StreamARN: consumer.streamARN, ConsumerName: consumer.consumerName } : { ConsumerARN: consumer.consumerARN };
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
