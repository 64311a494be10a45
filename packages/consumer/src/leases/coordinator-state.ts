import { isFinished, type Lease } from './lease.js';

/**
 * What one worker knows about the lease table, as a pure value. Every change is a transition
 * returning a new state; events (taken, lost, released) are derived by comparing two states
 * (see diagnostics.ts), never recorded separately.
 *
 * Expiry is judged on the LOCAL clock only, as the KCL does: for every lease we remember when we
 * first saw its current counter (`counterSeenAt`). A lease whose counter has not moved for
 * failoverTimeMillis is expired. No timestamps from other hosts are ever compared.
 */
export interface CoordinatorState {
  readonly workerId: string;
  /** Every lease as last read or written by this worker. */
  readonly table: ReadonlyMap<string, ObservedLease>;
  /** Leases this worker holds. */
  readonly held: ReadonlyMap<string, HeldLease>;
}

export interface ObservedLease {
  readonly lease: Lease;
  /** Local clock time at which this counter value was first seen. */
  readonly counterSeenAt: number;
  /** This value was written by this worker (a release, or a hand-over to another worker). */
  readonly writtenByUs?: boolean;
}

export interface HeldLease {
  readonly lease: Lease;
  /** Local clock time at which the last successful write of ours was SENT (a conservative renewal time). */
  readonly renewedAt: number;
}

export function initialState(workerId: string): CoordinatorState {
  return { workerId, table: new Map(), held: new Map() };
}

function observe(previous: ObservedLease | undefined, lease: Lease, at: number): ObservedLease {
  const unchanged = previous !== undefined && previous.lease.leaseCounter === lease.leaseCounter && previous.lease.leaseOwner === lease.leaseOwner;
  return { lease, counterSeenAt: unchanged ? previous.counterSeenAt : at };
}

/**
 * A consistent scan of the whole table, completed at `at`. A held lease is dropped when the scan
 * shows it with a newer counter and another owner (it was taken), or not at all (deleted). A
 * scan can be older than our own last write; then our value wins.
 */
export function scanned(state: CoordinatorState, leases: readonly Lease[], at: number): CoordinatorState {
  const table = new Map<string, ObservedLease>();
  for (const lease of leases) {
    const mine = state.held.get(lease.leaseKey);
    const newest = mine !== undefined && mine.lease.leaseCounter >= lease.leaseCounter ? mine.lease : lease;
    table.set(lease.leaseKey, observe(state.table.get(lease.leaseKey), newest, at));
  }
  const held = new Map<string, HeldLease>();
  for (const [key, mine] of state.held) {
    const seen = table.get(key)?.lease;
    if (seen !== undefined && seen.leaseOwner === state.workerId) held.set(key, { ...mine, lease: seen });
  }
  return { ...state, table, held };
}

/** Our conditional write (take, renew, checkpoint, child shards) succeeded; it was sent at `sentAt`. */
export function wrote(state: CoordinatorState, lease: Lease, sentAt: number): CoordinatorState {
  const table = new Map(state.table).set(lease.leaseKey, { lease, counterSeenAt: sentAt, writtenByUs: true });
  const held = new Map(state.held);
  if (lease.leaseOwner === state.workerId) held.set(lease.leaseKey, { lease, renewedAt: sentAt });
  else held.delete(lease.leaseKey);
  return { ...state, table, held };
}

/** A lease taken: held from now on. */
export const claimed = wrote;
/** A lease renewed. */
export const renewedIn = wrote;
/** A lease released (the written value has no owner), so it leaves `held`. */
export const releasedIn = wrote;

/** A conditional write of ours failed, or the lease expired locally: no longer held. */
export function lost(state: CoordinatorState, leaseKey: string): CoordinatorState {
  if (!state.held.has(leaseKey)) return state;
  const held = new Map(state.held);
  held.delete(leaseKey);
  return { ...state, held };
}

/** A finished lease deleted by cleanup. */
export function deleted(state: CoordinatorState, leaseKey: string): CoordinatorState {
  const table = new Map(state.table);
  table.delete(leaseKey);
  return lost({ ...state, table }, leaseKey);
}

/** Held leases not renewed for failoverTimeMillis: another worker may already have taken them. */
export function expiredHeld(state: CoordinatorState, now: number, failoverTimeMillis: number): string[] {
  return [...state.held.values()].filter((h) => now - h.renewedAt > failoverTimeMillis).map((h) => h.lease.leaseKey);
}

/** Unassigned, or its counter has not moved for failoverTimeMillis on our clock. */
export function isAvailable(observed: ObservedLease, now: number, failoverTimeMillis: number): boolean {
  return observed.lease.leaseOwner === undefined || now - observed.counterSeenAt > failoverTimeMillis;
}

/** Leases there is work for (not finished). Finished leases are released and wait for cleanup. */
export function activeLeases(state: CoordinatorState): ObservedLease[] {
  return [...state.table.values()].filter((o) => !isFinished(o.lease));
}
