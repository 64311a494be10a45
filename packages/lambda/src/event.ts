import { LambdaHandlerError } from './errors.js';
import type { KinesisStreamEvent, KinesisStreamRecord, KinesisStreamTumblingWindowEvent } from './types.js';

/** What every user record of one event record shares, decoded and checked once. */
export interface ParentRecord {
  readonly parent: KinesisStreamRecord;
  readonly data: Buffer;
  readonly shardId: string;
  readonly arrivalMillis: number;
}

// eventID is "<shardId>:<sequenceNumber>", e.g. "shardId-000000000000:4954...".
const EVENT_ID = /^(shardId-[^:]+):/;

/** The event's records, after checking that it is shaped like a Lambda Kinesis event. */
export function eventRecords(event: KinesisStreamEvent): readonly KinesisStreamRecord[] {
  if (!isObject(event) || !Array.isArray(event.Records)) {
    throw invalid('the event has no Records array; is this function subscribed to a Kinesis stream?');
  }
  return event.Records;
}

/** True when the event comes from an event source mapping with a tumbling window. */
export function isTumblingWindowEvent(event: KinesisStreamEvent): event is KinesisStreamTumblingWindowEvent {
  return isObject(event) && (event as Partial<KinesisStreamTumblingWindowEvent>).window !== undefined;
}

/** The checked window fields of a tumbling-window event. */
export interface WindowFields {
  readonly start: string;
  readonly end: string;
  readonly state: Readonly<Record<string, unknown>> | undefined;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
  readonly shardId: string | undefined;
  readonly eventSourceARN: string | undefined;
}

/**
 * The window fields of a tumbling-window event, checked: `window.start`/`end` strings, the two
 * flags booleans when present (absent reads as false), `state` an object when present.
 */
export function windowFields(event: KinesisStreamTumblingWindowEvent): WindowFields {
  const { window, state, isFinalInvokeForWindow, isWindowTerminatedEarly, shardId, eventSourceARN } = event;
  if (!isObject(window) || typeof window.start !== 'string' || typeof window.end !== 'string') {
    throw invalid(`the event's window must be { start, end } with ISO 8601 strings, got ${JSON.stringify(window)}`);
  }
  const flags = { isFinalInvokeForWindow, isWindowTerminatedEarly } as Record<string, unknown>;
  for (const [name, flag] of Object.entries(flags)) {
    if (flag !== undefined && typeof flag !== 'boolean') throw invalid(`${name} must be a boolean, got ${JSON.stringify(flag)}`);
  }
  if (state !== undefined && state !== null && !isPlainObject(state)) {
    throw invalid(`the window state must be an object, got ${JSON.stringify(state)}`);
  }
  return {
    start: window.start,
    end: window.end,
    state: isPlainObject(state) ? state : undefined,
    isFinalInvokeForWindow: isFinalInvokeForWindow === true,
    isWindowTerminatedEarly: isWindowTerminatedEarly === true,
    shardId: typeof shardId === 'string' ? shardId : undefined,
    eventSourceARN: typeof eventSourceARN === 'string' ? eventSourceARN : undefined,
  };
}

/** A non-null object that is not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Array.isArray(value);
}

/**
 * Decodes one event record's base64 data and parses its shard id and arrival time. `where`
 * names the record in error messages (e.g. `Records[3]`).
 */
export function parseParent(parent: KinesisStreamRecord, where: string): ParentRecord {
  const payload: unknown = isObject(parent) ? parent.kinesis : undefined;
  if (!isKinesisPayload(payload)) {
    throw invalid(`${where} has no valid "kinesis" payload (data, partitionKey, sequenceNumber, approximateArrivalTimestamp)`);
  }
  const match = typeof parent.eventID === 'string' ? EVENT_ID.exec(parent.eventID) : null;
  if (match?.[1] === undefined) {
    throw invalid(`${where}.eventID ${JSON.stringify(parent.eventID)} is not "shardId-...:<sequenceNumber>"`);
  }
  return {
    parent,
    data: Buffer.from(payload.data, 'base64'),
    shardId: match[1],
    // Float seconds with millisecond precision; round to the nearest millisecond (Date would
    // truncate) so float error can never move an arrival time back by one millisecond.
    arrivalMillis: Math.round(payload.approximateArrivalTimestamp * 1000),
  };
}

function isKinesisPayload(payload: unknown): payload is KinesisStreamRecord['kinesis'] {
  return (
    isObject(payload) &&
    typeof payload.data === 'string' &&
    typeof payload.partitionKey === 'string' &&
    typeof payload.sequenceNumber === 'string' &&
    typeof payload.approximateArrivalTimestamp === 'number' &&
    Number.isFinite(payload.approximateArrivalTimestamp)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function invalid(message: string): LambdaHandlerError {
  return new LambdaHandlerError('INVALID_EVENT', message);
}
