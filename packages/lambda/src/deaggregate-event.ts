import { deaggregate } from '@kinesis-kit/aggregation';
import type { CorruptAggregateInfo as DecoderCorruptInfo, DeaggregatedRecord } from '@kinesis-kit/aggregation';
import { eventRecords, parseParent } from './event.js';
import type { ParentRecord } from './event.js';
import type { CorruptAggregateInfo, KinesisStreamEvent, KinesisStreamRecord, KinesisUserRecord, Logger } from './types.js';

export interface DeaggregateEventOptions {
  /**
   * Called once for each record that starts with the KPL magic bytes but is not a valid
   * aggregate (MD5 mismatch, malformed protobuf). The record is still returned, as one plain
   * record with its whole data, exactly as the Java KCL does.
   */
  readonly onCorrupt?: ((info: CorruptAggregateInfo) => void) | undefined;
  /** Receives one `warn` per corrupt aggregate. */
  readonly logger?: Pick<Logger, 'warn'> | undefined;
}

/**
 * Every user record of a Lambda Kinesis event, in stream order: plain records as they are,
 * KPL aggregates expanded into their members (sub-sequence numbers 0..n-1).
 *
 * Never throws for record contents: a corrupt aggregate is passed through as one plain
 * record and reported to `onCorrupt` / `logger`. Throws `LambdaHandlerError` with code
 * `INVALID_EVENT` only when the event itself is not shaped like a Lambda Kinesis event.
 */
export function deaggregateEvent(
  event: KinesisStreamEvent,
  options: DeaggregateEventOptions = {},
): KinesisUserRecord[] {
  const userRecords: KinesisUserRecord[] = [];
  eventRecords(event).forEach((record, index) => {
    const parent = parseParent(record, `Records[${index}]`);
    for (const member of deaggregateParent(parent, options)) {
      userRecords.push(toUserRecord(member, parent));
    }
  });
  return userRecords;
}

/**
 * The user records of one Kinesis record of a Lambda event (one element of `event.Records`),
 * in order: the members of a KPL aggregate, or the record itself. For code that walks
 * `event.Records` itself, e.g. a Powertools record handler. Same rules as `deaggregateEvent`:
 * a corrupt aggregate comes back as one plain record and is reported; throws
 * `LambdaHandlerError` `INVALID_EVENT` only when `record` is not shaped like a Kinesis event record.
 */
export function deaggregateRecord(record: KinesisStreamRecord, options: DeaggregateEventOptions = {}): KinesisUserRecord[] {
  const parent = parseParent(record, 'the record');
  return deaggregateParent(parent, options).map((member) => toUserRecord(member, parent));
}

function deaggregateParent(parent: ParentRecord, options: DeaggregateEventOptions): DeaggregatedRecord[] {
  const { kinesis } = parent.parent;
  return deaggregate(
    { data: parent.data, partitionKey: kinesis.partitionKey, sequenceNumber: kinesis.sequenceNumber },
    { onCorrupt: (info) => reportCorrupt(parent, info, options) },
  );
}

function reportCorrupt(parent: ParentRecord, decoded: DecoderCorruptInfo, options: DeaggregateEventOptions): void {
  const info: CorruptAggregateInfo = {
    reason: decoded.reason,
    detail: decoded.detail,
    sequenceNumber: parent.parent.kinesis.sequenceNumber,
    shardId: parent.shardId,
    eventID: parent.parent.eventID,
    parent: parent.parent,
  };
  options.logger?.warn('Corrupt KPL aggregate passed through as one plain record', {
    reason: info.reason,
    detail: info.detail,
    sequenceNumber: info.sequenceNumber,
    shardId: info.shardId,
    eventID: info.eventID,
  });
  options.onCorrupt?.(info);
}

function toUserRecord(member: DeaggregatedRecord, parent: ParentRecord): KinesisUserRecord {
  const record: KinesisUserRecord = {
    partitionKey: member.partitionKey,
    data: asBuffer(member.data),
    sequenceNumber: parent.parent.kinesis.sequenceNumber,
    subSequenceNumber: member.subSequenceNumber,
    aggregated: member.aggregated,
    approximateArrivalTimestamp: new Date(parent.arrivalMillis),
    eventID: parent.parent.eventID,
    eventSourceARN: parent.parent.eventSourceARN,
    shardId: parent.shardId,
    parent: parent.parent,
  };
  // Only when the producer set one: an absent key is never turned into `undefined` or a default.
  return member.explicitHashKey === undefined ? record : { ...record, explicitHashKey: member.explicitHashKey };
}

/** A Buffer over the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
