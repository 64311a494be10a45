import type { Position } from '../position.js';
import type { Lease } from './lease.js';

/**
 * The lease store port: the lease table as the coordinator needs it. Expected outcomes of the
 * conditional writes are values (`lost`, `alreadyExists`, ...); only the DynamoDB adapter knows
 * about ConditionalCheckFailedException. Anything else (throttling that outlasted the retries,
 * a deleted table) rejects with a typed error.
 *
 * Every write is conditional on the lease value passed in (the KCL counter protocol): the
 * counter it carries must still be the table's, and for the owner's own writes, so must the
 * owner. A successful write returns the lease as the table now holds it.
 */
export interface LeaseStore {
  /** Creates the table if absent (and waits until ACTIVE); verifies the key schema of an existing one. */
  ensureTable(signal?: AbortSignal): Promise<'created' | 'exists'>;
  /** Every lease, read with a consistent scan (all pages). */
  listLeases(signal?: AbortSignal): Promise<Lease[]>;
  /** One lease, consistent read; undefined when absent. */
  getLease(leaseKey: string, signal?: AbortSignal): Promise<Lease | undefined>;
  /** Conditional put: `attribute_not_exists(leaseKey)`. */
  createLease(lease: Lease, signal?: AbortSignal): Promise<CreateResult>;
  /** Counter +1; conditional on counter and owner. Never reads first. */
  renewLease(lease: Lease, signal?: AbortSignal): Promise<WriteResult<'renewed'>>;
  /** Owner := `owner`, counter +1, owner switches +1 if the owner changed; conditional on counter (and previous owner). */
  takeLease(lease: Lease, owner: string, signal?: AbortSignal): Promise<WriteResult<'taken'>>;
  /** Removes the owner, counter +1; conditional on still being the owner. */
  releaseLease(lease: Lease, signal?: AbortSignal): Promise<WriteResult<'released'>>;
  /** Sets the checkpoint (and the throughput, when measured), clears the pending checkpoint and owner switches, counter +1; conditional on counter and owner. */
  checkpointLease(lease: Lease, position: Position, signal?: AbortSignal, throughputKBps?: number): Promise<WriteResult<'checkpointed'>>;
  /** Adds child shard ids (a set union), counter +1; conditional on counter and owner. */
  addChildShards(lease: Lease, childShardIds: readonly string[], signal?: AbortSignal): Promise<WriteResult<'updated'>>;
  /** Deletes a finished lease; conditional on checkpoint SHARD_END and the counter. */
  deleteLease(lease: Lease, signal?: AbortSignal): Promise<DeleteResult>;
}

/** `lost`: the lease changed since `lease` was read (another worker wrote it, or it is gone). */
export type WriteResult<K extends string> = { readonly kind: K; readonly lease: Lease } | { readonly kind: 'lost' };
export type CreateResult = { readonly kind: 'created'; readonly lease: Lease } | { readonly kind: 'alreadyExists' };
/** `changed`: the lease is no longer the finished one passed in (or is already gone: `deleted`). */
export type DeleteResult = { readonly kind: 'deleted' } | { readonly kind: 'changed' };

/** Counts of DynamoDB requests by operation, for metrics and the requests-per-lease benchmark. */
export type RequestCounts = Readonly<Record<string, number>>;
