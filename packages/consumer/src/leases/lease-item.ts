import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { isSentinel, isSequenceNumber, type Position } from '../position.js';
import { InvalidLeaseItemError } from './errors.js';
import type { Lease } from './lease.js';
import { parseMultiStreamLeaseKey } from '../streams/stream-identifier.js';

/**
 * The Java KCL's lease table attributes (DynamoDBLeaseSerializer), name and DynamoDB type.
 * Optional attributes are written only when set, as the KCL writes them; `parentShardId` is a
 * string SET despite its singular name.
 */
export const LEASE_ATTRIBUTES = {
  leaseKey: 'leaseKey', // S, the table's hash key
  leaseOwner: 'leaseOwner', // S, absent = unassigned
  leaseCounter: 'leaseCounter', // N
  ownerSwitchesSinceCheckpoint: 'ownerSwitchesSinceCheckpoint', // N
  checkpoint: 'checkpoint', // S: decimal sequence number or sentinel
  checkpointSubSequenceNumber: 'checkpointSubSequenceNumber', // N
  pendingCheckpoint: 'pendingCheckpoint', // S
  pendingCheckpointSubSequenceNumber: 'pendingCheckpointSubSequenceNumber', // N
  pendingCheckpointState: 'pendingCheckpointState', // B
  parentShardId: 'parentShardId', // SS
  childShardIds: 'childShardIds', // SS
  startingHashKey: 'startingHashKey', // S, decimal
  endingHashKey: 'endingHashKey', // S, decimal
  checkpointOwner: 'checkpointOwner', // S (KCL 3)
  throughputKBps: 'throughputKBps', // N (KCL 3), a double
} as const;

/**
 * What the Java KCL's DynamoDBMultiStreamLeaseSerializer adds to a multi-stream lease (key
 * `<accountId>:<streamName>:<creationEpochSeconds>:<shardId>`). Its parentShardId and
 * childShardIds hold bare shard ids of the same stream; in memory they are lease keys.
 */
export const MULTI_STREAM_LEASE_ATTRIBUTES = {
  streamName: 'streamName', // S: the serialized stream identifier (named so for legacy reasons)
  shardId: 'shardId', // S: the bare shard id
} as const;

/**
 * The Java KCL 3.5 tags every item of the lease table with `entityType` (single-table mode): `LEASE`
 * for leases; `LEADER`, `CLIENT_VERSION_MIGRATION`, `TABLE_MIGRATION`, `STREAM` and
 * `WORKER_METRIC_STATS` for its coordinator state and worker metrics, which share the table. An
 * item without `entityType` is a lease (tables written by KCL 2.x, 3.0-3.4, or older versions of
 * this library); the leases we create carry `LEASE`, as KCL 3.5 writes them.
 */
export const ENTITY_TYPE_ATTRIBUTE = 'entityType'; // S
export const LEASE_ENTITY_TYPE = 'LEASE';

const A = LEASE_ATTRIBUTES;
const M = MULTI_STREAM_LEASE_ATTRIBUTES;

/** Shard ids as a lease with this key stores them: bare shard ids (a multi-stream key's prefix removed). */
export function storedShardIds(leaseKey: string, leaseKeys: readonly string[]): string[] {
  return leaseKeys.map((key) => parseMultiStreamLeaseKey(key)?.shardId ?? key);
}

/** Stored shard ids read back as lease keys of the same stream as `leaseKey`. */
function shardIdsAsKeys(leaseKey: string, shardIds: readonly string[]): string[] {
  const multi = parseMultiStreamLeaseKey(leaseKey);
  if (multi === undefined) return [...shardIds];
  return shardIds.map((id) => (parseMultiStreamLeaseKey(id) === undefined ? `${multi.streamIdentifier}:${id}` : id));
}

export type LeaseItem = Record<string, AttributeValue>;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const ss = (values: readonly string[]): AttributeValue => ({ SS: [...values] });

/** The item the Java KCL 3.5 would write for this lease, attribute for attribute (entityType LEASE included). */
export function toItem(lease: Lease): LeaseItem {
  const item: LeaseItem = {
    [A.leaseKey]: s(lease.leaseKey),
    [A.leaseCounter]: n(lease.leaseCounter),
    [A.ownerSwitchesSinceCheckpoint]: n(lease.ownerSwitchesSinceCheckpoint),
    [A.checkpoint]: s(lease.checkpoint.sequenceNumber),
    [A.checkpointSubSequenceNumber]: n(lease.checkpoint.subSequenceNumber),
  };
  if (lease.leaseOwner !== undefined) item[A.leaseOwner] = s(lease.leaseOwner);
  const multi = parseMultiStreamLeaseKey(lease.leaseKey);
  if (multi !== undefined) {
    item[M.streamName] = s(multi.streamIdentifier);
    item[M.shardId] = s(multi.shardId);
  }
  if (lease.parentShardIds.length > 0) item[A.parentShardId] = ss(storedShardIds(lease.leaseKey, lease.parentShardIds));
  if (lease.childShardIds.length > 0) item[A.childShardIds] = ss(storedShardIds(lease.leaseKey, lease.childShardIds));
  if (lease.pendingCheckpoint !== undefined) {
    item[A.pendingCheckpoint] = s(lease.pendingCheckpoint.sequenceNumber);
    item[A.pendingCheckpointSubSequenceNumber] = n(lease.pendingCheckpoint.subSequenceNumber);
  }
  if (lease.pendingCheckpointState !== undefined) item[A.pendingCheckpointState] = { B: lease.pendingCheckpointState };
  if (lease.hashKeyRange !== undefined) {
    item[A.startingHashKey] = s(lease.hashKeyRange.startingHashKey.toString());
    item[A.endingHashKey] = s(lease.hashKeyRange.endingHashKey.toString());
  }
  if (lease.checkpointOwner !== undefined) item[A.checkpointOwner] = s(lease.checkpointOwner);
  if (lease.throughputKBps !== undefined) item[A.throughputKBps] = n(lease.throughputKBps);
  item[ENTITY_TYPE_ATTRIBUTE] = s(LEASE_ENTITY_TYPE); // as KCL 3.5's DynamoDBLeaseSerializer.toDynamoRecord, last
  return item;
}

/** Whether the item is a lease: `entityType` absent or `LEASE`. Other items are the KCL 3's, not ours to read. */
export function isLeaseItem(item: LeaseItem): boolean {
  const entityType = item[ENTITY_TYPE_ATTRIBUTE];
  return entityType === undefined || entityType.S === LEASE_ENTITY_TYPE;
}

/** Reads an item written by us or by the Java KCL. Attributes this library does not know are ignored. */
export function fromItem(item: LeaseItem): Lease {
  const leaseKey = item[A.leaseKey]?.S;
  if (leaseKey === undefined || leaseKey === '') throw new InvalidLeaseItemError('(no leaseKey)', 'the item has no string leaseKey');
  const fail = (message: string): never => {
    throw new InvalidLeaseItemError(leaseKey, message);
  };
  const checkpoint = readPosition(item, A.checkpoint, A.checkpointSubSequenceNumber) ?? fail('the item has no valid checkpoint');
  const pendingCheckpoint = readPosition(item, A.pendingCheckpoint, A.pendingCheckpointSubSequenceNumber);
  const starting = item[A.startingHashKey]?.S;
  const ending = item[A.endingHashKey]?.S;
  return Object.freeze({
    leaseKey,
    leaseOwner: nonEmpty(item[A.leaseOwner]?.S),
    leaseCounter: readNumber(item, A.leaseCounter) ?? 0,
    ownerSwitchesSinceCheckpoint: readNumber(item, A.ownerSwitchesSinceCheckpoint) ?? 0,
    checkpoint,
    pendingCheckpoint,
    pendingCheckpointState: item[A.pendingCheckpointState]?.B,
    parentShardIds: Object.freeze(shardIdsAsKeys(leaseKey, item[A.parentShardId]?.SS ?? []).sort()),
    childShardIds: Object.freeze(shardIdsAsKeys(leaseKey, item[A.childShardIds]?.SS ?? []).sort()),
    hashKeyRange:
      starting !== undefined && ending !== undefined && isSequenceNumber(starting) && isSequenceNumber(ending)
        ? { startingHashKey: BigInt(starting), endingHashKey: BigInt(ending) }
        : undefined,
    checkpointOwner: nonEmpty(item[A.checkpointOwner]?.S),
    throughputKBps: readDouble(item, A.throughputKBps),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function readNumber(item: LeaseItem, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

function readDouble(item: LeaseItem, name: string): number | undefined {
  const raw = item[name]?.N;
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function readPosition(item: LeaseItem, sequenceName: string, subSequenceName: string): Position | undefined {
  const sequenceNumber = item[sequenceName]?.S;
  if (sequenceNumber === undefined || sequenceNumber === '') return undefined;
  if (!isSentinel(sequenceNumber) && !isSequenceNumber(sequenceNumber)) return undefined;
  return Object.freeze({ sequenceNumber, subSequenceNumber: readNumber(item, subSequenceName) ?? 0 });
}
