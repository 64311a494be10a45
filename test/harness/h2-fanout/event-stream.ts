import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';

/**
 * SubscribeToShard's response body, encoded with the SDK's own event-stream codec.
 *
 * Each message (application/vnd.amazon.eventstream):
 *   total length u32 | headers length u32 | prelude CRC32 | headers | payload | message CRC32
 * Headers of an event:     :message-type = event,     :event-type = initial-response | SubscribeToShardEvent
 * Headers of an exception: :message-type = exception, :exception-type = <name, e.g. ResourceNotFoundException>
 * Both carry :content-type = application/x-amz-json-1.1 (the content type the SDK itself gives
 * events of an awsJson1_1 service; its decoder does not read it). Payloads are the JSON of the
 * awsJson1_1 protocol: Data as base64, timestamps as epoch seconds; `{}` for initial-response.
 */
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const CONTENT_TYPE = 'application/x-amz-json-1.1';

const header = (value: string) => ({ type: 'string', value }) as const;

function message(headers: MessageHeaders, payload: unknown): Uint8Array {
  return codec.encode({ headers: { ...headers, ':content-type': header(CONTENT_TYPE) }, body: fromUtf8(JSON.stringify(payload)) });
}

/** The first message of every subscription: the (empty) SubscribeToShardOutput. */
export function initialResponse(): Uint8Array {
  return message({ ':message-type': header('event'), ':event-type': header('initial-response') }, {});
}

/** One SubscribeToShardEvent (records as kinesis-local's GetRecords gave them, already in wire form). */
export interface WireEvent {
  readonly Records: readonly unknown[];
  /** null on the shard's last event. */
  readonly ContinuationSequenceNumber: string | null;
  readonly MillisBehindLatest: number;
  readonly ChildShards?: readonly unknown[];
}

export function subscribeToShardEvent(event: WireEvent): Uint8Array {
  return message({ ':message-type': header('event'), ':event-type': header('SubscribeToShardEvent') }, event);
}

/** A modelled exception on an established subscription (e.g. ResourceNotFoundException, InternalFailureException). */
export function exceptionEvent(name: string, description: string): Uint8Array {
  return message({ ':message-type': header('exception'), ':exception-type': header(name) }, { message: description });
}
