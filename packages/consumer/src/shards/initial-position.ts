import { AT_TIMESTAMP, LATEST, TRIM_HORIZON, type Position } from '../position.js';

/**
 * Where an application with no checkpoint for a shard starts reading it (the KCL's
 * InitialPositionInStream). The AT_TIMESTAMP timestamp is not stored in the lease table (the
 * checkpoint says AT_TIMESTAMP); every worker must be configured with the same timestamp.
 */
export type InitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date };

/** The checkpoint sentinel a new lease gets for this initial position. */
export function initialCheckpoint(initial: InitialPosition): Position {
  if (initial === 'TRIM_HORIZON') return TRIM_HORIZON;
  if (initial === 'LATEST') return LATEST;
  return AT_TIMESTAMP;
}

/**
 * The checkpoint for a shard whose ancestor is (or is about to be) consumed by this
 * application: everything in it comes after the ancestor's records, so it is read from its
 * beginning - TRIM_HORIZON, or AT_TIMESTAMP when the application started at a timestamp (a
 * timestamp before the shard was created reads it from the beginning too, and one after it
 * skips exactly what the application asked to skip).
 */
export function descendantCheckpoint(initial: InitialPosition): Position {
  return typeof initial === 'object' ? AT_TIMESTAMP : TRIM_HORIZON;
}

export function isInitialPosition(value: unknown): value is InitialPosition {
  if (value === 'TRIM_HORIZON' || value === 'LATEST') return true;
  if (typeof value !== 'object' || value === null) return false;
  const timestamp = (value as { timestamp?: unknown }).timestamp;
  return timestamp instanceof Date && !Number.isNaN(timestamp.getTime());
}
