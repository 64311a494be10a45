import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { exponentialBackoff, retry, type Clock } from '@kinesis-kit/core';
import { kinesisReadPort, type KinesisReadPort, type StreamRef } from '../retrieval/kinesis-port.js';
import type { FanOutSession } from '../retrieval/fanout-session.js';
import type { Retrieval } from '../retrieval/retrieval.js';
import type { InitialPosition } from '../shards/initial-position.js';
import { consumedStream, type ConsumedStream, type StreamSpec } from './consumed-stream.js';
import { describeStream, serializeStreamIdentifier } from './stream-identifier.js';

export interface OpenStreamDeps {
  readonly client: KinesisClient;
  /** The retrieval reading this stream's shards through its port (polling, or a custom one). */
  readonly retrievalFor: (port: KinesisReadPort) => Retrieval;
  /** With retrieval 'fanout': the stream's fan-out session, started here (registers the stream consumer). */
  readonly fanOutFor?: (stream: StreamRef) => FanOutSession;
  /** For streams without an initialPosition of their own. */
  readonly initialPosition: InitialPosition;
  readonly clock: Clock;
  /** Per-attempt deadline of this stream's Kinesis requests (DescribeStreamSummary, the read port's); default 10 s. */
  readonly requestTimeoutMillis?: number;
}

/**
 * A stream of a multi-stream consumer, ready to consume: DescribeStreamSummary (retried while
 * throttled or failing transiently) gives the account (from the StreamARN) and the creation time
 * that make up its KCL stream identifier, and so its lease keys.
 */
export async function openStream(spec: StreamSpec, deps: OpenStreamDeps, signal?: AbortSignal): Promise<ConsumedStream> {
  const ref: StreamRef = spec.streamARN === undefined ? { streamName: spec.streamName } : { streamARN: spec.streamARN };
  const timeouts = { clock: deps.clock, ...(deps.requestTimeoutMillis === undefined ? {} : { requestTimeoutMillis: deps.requestTimeoutMillis }) };
  const described = await retry(() => describeStream(deps.client, ref, signal, timeouts), {
    backoff: exponentialBackoff({ initialDelayMs: 200, maxDelayMs: 5_000 }),
    maxAttempts: 10,
    clock: deps.clock,
    description: 'DescribeStreamSummary',
    ...(signal ? { signal } : {}),
  });
  const port = kinesisReadPort(deps.client, ref, timeouts);
  const fanOut = deps.fanOutFor?.(ref);
  await fanOut?.start(signal);
  return consumedStream({
    streamName: described.identifier.streamName,
    streamARN: described.streamARN,
    streamIdentifier: serializeStreamIdentifier(described.identifier),
    initialPosition: spec.initialPosition ?? deps.initialPosition,
    port,
    retrieval: fanOut?.retrieval ?? deps.retrievalFor(port),
    ...(fanOut === undefined ? {} : { fanOut }),
  });
}
