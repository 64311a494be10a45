import type { HashKeyRange } from '@kinesis-kit/aggregation';
import { SHARD_END, type Position } from '../position.js';

/**
 * One row of the lease table, as the Java KCL 2.x models it (software.amazon.kinesis.leases.Lease).
 * Immutable: every change is a transition below returning a new value, and the DynamoDB adapter
 * writes exactly the difference a transition makes, conditional on the value it started from.
 */
export interface Lease {
  /** The shard id (single-stream applications). */
  readonly leaseKey: string;
  /** Worker id of the holder; undefined = unassigned (the attribute is absent). */
  readonly leaseOwner: string | undefined;
  /** +1 on every renew, take, release and update: the optimistic lock, and the heartbeat others watch. */
  readonly leaseCounter: number;
  /** +1 when the owner changes; 0 after a checkpoint. */
  readonly ownerSwitchesSinceCheckpoint: number;
  /** Where processing resumes: a sequence number (+ sub-sequence number) or a sentinel. */
  readonly checkpoint: Position;
  /** A prepared (two-phase) checkpoint; removed by a real checkpoint. */
  readonly pendingCheckpoint: Position | undefined;
  /** Application bytes stored with a prepared checkpoint. */
  readonly pendingCheckpointState: Uint8Array | undefined;
  /** Parent shard ids (two after a merge); empty for a shard with no parent lease to wait for. */
  readonly parentShardIds: readonly string[];
  /** Written on the parent at shard end. */
  readonly childShardIds: readonly string[];
  /** The shard's hash key range, when known. */
  readonly hashKeyRange: HashKeyRange | undefined;
  /** KCL 3 graceful handoff: the previous owner that still has to checkpoint. Read, cleared on take. */
  readonly checkpointOwner: string | undefined;
  /** KCL 3: the shard's measured throughput (KB/s), written by its owner; this library writes it with checkpoints. */
  readonly throughputKBps: number | undefined;
}

export interface NewLeaseInput {
  readonly leaseKey: string;
  readonly checkpoint: Position;
  readonly parentShardIds?: readonly string[];
  readonly hashKeyRange?: HashKeyRange;
}

/** A lease as shard sync and child-shard creation write it: unowned, counter 0 (as the KCL). */
export function newLease(input: NewLeaseInput): Lease {
  return Object.freeze({
    leaseKey: input.leaseKey,
    leaseOwner: undefined,
    leaseCounter: 0,
    ownerSwitchesSinceCheckpoint: 0,
    checkpoint: input.checkpoint,
    pendingCheckpoint: undefined,
    pendingCheckpointState: undefined,
    parentShardIds: sortedUnique(input.parentShardIds ?? []),
    childShardIds: [],
    hashKeyRange: input.hashKeyRange,
    checkpointOwner: undefined,
    throughputKBps: undefined,
  });
}

function change(lease: Lease, fields: Partial<Lease>): Lease {
  return Object.freeze({ ...lease, ...fields });
}

/** Heartbeat: counter +1, nothing else. */
export function renewed(lease: Lease): Lease {
  return change(lease, { leaseCounter: lease.leaseCounter + 1 });
}

/** Take (unassigned or expired) or steal (from a live owner): the KCL's takeLease. */
export function takenBy(lease: Lease, owner: string): Lease {
  const switched = lease.leaseOwner !== undefined && lease.leaseOwner !== owner;
  return change(lease, {
    leaseOwner: owner,
    leaseCounter: lease.leaseCounter + 1,
    ownerSwitchesSinceCheckpoint: lease.ownerSwitchesSinceCheckpoint + (switched ? 1 : 0),
    checkpointOwner: undefined,
  });
}

/** The owner gives the lease up (graceful stop, shard finished): the KCL's evictLease. */
export function released(lease: Lease): Lease {
  return change(lease, { leaseOwner: undefined, leaseCounter: lease.leaseCounter + 1, checkpointOwner: undefined });
}

/** A checkpoint by the owner: clears the pending checkpoint and the owner-switch count; records the throughput when measured. */
export function checkpointed(lease: Lease, position: Position, throughputKBps?: number): Lease {
  return change(lease, {
    ...(throughputKBps === undefined ? {} : { throughputKBps }),
    checkpoint: position,
    leaseCounter: lease.leaseCounter + 1,
    ownerSwitchesSinceCheckpoint: 0,
    pendingCheckpoint: undefined,
    pendingCheckpointState: undefined,
  });
}

/** Child shard ids recorded on the parent at shard end (a set union). */
export function withChildShards(lease: Lease, childShardIds: readonly string[]): Lease {
  return change(lease, {
    childShardIds: sortedUnique([...lease.childShardIds, ...childShardIds]),
    leaseCounter: lease.leaseCounter + 1,
  });
}

/** The shard was read to its end and its processor checkpointed SHARD_END. */
export function isFinished(lease: Lease): boolean {
  return lease.checkpoint.sequenceNumber === SHARD_END.sequenceNumber;
}

function sortedUnique(values: readonly string[]): readonly string[] {
  return Object.freeze([...new Set(values)].sort());
}
