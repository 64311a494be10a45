import { describe, expect, it } from 'vitest';
import {
  claimed,
  expiredHeld,
  initialState,
  isAvailable,
  lost,
  releasedIn,
  renewedIn,
  scanned,
  type CoordinatorState,
} from '../../src/leases/coordinator-state.js';
import { diffHeld } from '../../src/leases/diagnostics.js';
import { checkpointed, newLease, released, renewed, takenBy, type Lease } from '../../src/leases/lease.js';
import { SHARD_END, TRIM_HORIZON } from '../../src/position.js';

const FAILOVER = 10_000;
const base = newLease({ leaseKey: 'shardId-0', checkpoint: TRIM_HORIZON });

function holding(lease: Lease, at = 0): CoordinatorState {
  return claimed(initialState('me'), lease, at);
}

describe('coordinator state', () => {
  it('judges expiry on the local clock: a counter unchanged for failoverTime is expired', () => {
    const other = takenBy(base, 'other');
    let state = scanned(initialState('me'), [other], 1_000);
    expect(isAvailable(state.table.get('shardId-0')!, 1_000 + FAILOVER, FAILOVER)).toBe(false);
    state = scanned(state, [other], 5_000); // same counter seen again: the clock keeps running from first sight
    expect(isAvailable(state.table.get('shardId-0')!, 1_001 + FAILOVER, FAILOVER)).toBe(true);
    state = scanned(state, [renewed(other)], 12_000); // counter moved: fresh again
    expect(isAvailable(state.table.get('shardId-0')!, 12_000 + FAILOVER, FAILOVER)).toBe(false);
  });

  it('an unassigned lease is available at once', () => {
    const state = scanned(initialState('me'), [base], 0);
    expect(isAvailable(state.table.get('shardId-0')!, 0, FAILOVER)).toBe(true);
  });

  it('drops a held lease the scan shows taken by another worker with a newer counter', () => {
    const mine = takenBy(base, 'me');
    const state = scanned(holding(mine), [takenBy(mine, 'thief')], 100);
    expect(state.held.size).toBe(0);
    expect(diffHeld(holding(mine), state)).toEqual([{ kind: 'lost', leaseKey: 'shardId-0', to: 'thief' }]);
  });

  it('keeps a held lease when the scan is older than our own last write', () => {
    const before = takenBy(base, 'previous');
    const mine = takenBy(before, 'me');
    const state = scanned(holding(mine), [before], 100);
    expect(state.held.get('shardId-0')?.lease).toEqual(mine);
  });

  it('drops a held lease the scan no longer shows (deleted)', () => {
    expect(scanned(holding(takenBy(base, 'me')), [], 100).held.size).toBe(0);
  });

  it('lists held leases not renewed within failoverTime (never renewed late)', () => {
    const state = renewedIn(holding(takenBy(base, 'me'), 0), renewed(takenBy(base, 'me')), 3_000);
    expect(expiredHeld(state, 3_000 + FAILOVER, FAILOVER)).toEqual([]);
    expect(expiredHeld(state, 3_001 + FAILOVER, FAILOVER)).toEqual(['shardId-0']);
  });

  it('derives taken, released, finished and lost from two states', () => {
    const empty = initialState('me');
    const observed = scanned(empty, [takenBy(base, 'old')], 0);
    const mine = takenBy(takenBy(base, 'old'), 'me');
    const held = claimed(observed, mine, 10);
    expect(diffHeld(observed, held)).toEqual([{ kind: 'taken', leaseKey: 'shardId-0', from: 'old' }]);
    expect(diffHeld(held, releasedIn(held, released(mine), 20))).toEqual([{ kind: 'released', leaseKey: 'shardId-0' }]);
    const ended = checkpointed(mine, SHARD_END);
    const heldEnded = renewedIn(held, ended, 15);
    expect(diffHeld(heldEnded, releasedIn(heldEnded, released(ended), 20))).toEqual([{ kind: 'finished', leaseKey: 'shardId-0' }]);
    expect(diffHeld(held, lost(held, 'shardId-0'))).toEqual([{ kind: 'lost', leaseKey: 'shardId-0', to: undefined }]);
  });

  it('transitions return new values and never change the old state', () => {
    const state = holding(takenBy(base, 'me'));
    const frozen = JSON.stringify([...state.held.entries()]);
    lost(state, 'shardId-0');
    releasedIn(state, released(takenBy(base, 'me')), 5);
    expect(JSON.stringify([...state.held.entries()])).toBe(frozen);
  });
});
