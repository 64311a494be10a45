import { KinesisKitError } from '@kinesis-kit/core';
import { MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE, MAX_STREAM_CONSUMERS_PER_STREAM } from './fanout-options.js';

/**
 * RegisterStreamConsumer refused: the stream already has the most enhanced fan-out consumers it
 * may have (20 per stream; 50 for On-demand Advantage streams). Not retriable: deregister a
 * consumer nobody uses, or read with polling.
 */
export class StreamConsumerLimitError extends KinesisKitError {
  readonly streamARN: string;
  readonly consumerName: string;
  /** Names of the consumers registered to the stream when the limit was hit. */
  readonly registered: readonly string[];
  /** The per-stream limit that applies: 20, or 50 when the stream already holds more than 20. */
  readonly limit: number;

  constructor(streamARN: string, consumerName: string, registered: readonly string[], cause?: unknown) {
    super(
      'STREAM_CONSUMER_LIMIT',
      `cannot register enhanced fan-out consumer ${consumerName}: ${streamARN} already has ${registered.length} registered consumers ` +
        `(the limit is ${MAX_STREAM_CONSUMERS_PER_STREAM} per stream, ${MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE} for On-demand Advantage streams). Deregister one that is no longer used ` +
        `(aws kinesis list-stream-consumers / deregister-stream-consumer) or use polling retrieval`,
      { retriable: false, cause },
    );
    this.streamARN = streamARN;
    this.consumerName = consumerName;
    this.registered = registered;
    this.limit = registered.length > MAX_STREAM_CONSUMERS_PER_STREAM ? MAX_STREAM_CONSUMERS_ON_DEMAND_ADVANTAGE : MAX_STREAM_CONSUMERS_PER_STREAM;
  }
}

/** The stream consumer did not become ACTIVE (or finish deregistering) in time. Retriable: try again later. */
export class StreamConsumerNotActiveError extends KinesisKitError {
  readonly consumerName: string;
  /** The status last seen: CREATING, DELETING, ACTIVE (deregistration), or `absent`. */
  readonly lastStatus: string;

  constructor(consumerName: string, lastStatus: string, waitedMs: number) {
    super('STREAM_CONSUMER_NOT_ACTIVE', `stream consumer ${consumerName} is still ${lastStatus} after ${Math.round(waitedMs)} ms`, { retriable: true });
    this.consumerName = consumerName;
    this.lastStatus = lastStatus;
  }
}

/** A subscription delivered no event within the stall deadline (also while being established). Retriable: resubscribe. */
export class SubscriptionStalledError extends KinesisKitError {
  readonly shardId: string;

  constructor(shardId: string, timeoutMs: number) {
    super('SUBSCRIPTION_STALLED', `the subscription to ${shardId} delivered no event for ${timeoutMs} ms`, { retriable: true });
    this.shardId = shardId;
  }
}
