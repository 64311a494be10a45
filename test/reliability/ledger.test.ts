// The accounting shared by the demo and the soak (demo/ledger.ts): what counts as lost, as an
// order violation, and how each duplicate delivery is explained.
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../demo/ledger.js';
import type { Delivery } from '../../demo/protocol.js';

const record = (k: number, s: number, sequenceNumber: string, subSequenceNumber = 0): Delivery => [k, s, 0, sequenceNumber, subSequenceNumber];

describe('Ledger', () => {
  it('reports acknowledged records never delivered as lost, and failed puts apart', () => {
    const ledger = new Ledger();
    ledger.acknowledge(0, 0, 1);
    ledger.acknowledge(0, 1, 1);
    ledger.fail();
    ledger.deliver('w1', 'shard-0', 1, 10, [record(0, 0, '100')]);
    expect(ledger.missing()).toEqual(['0:1']);
    expect(ledger.report()).toMatchObject({ acknowledged: 2, failed: 1, consumedUnique: 1, lost: 1 });
  });

  it('counts a record first delivered after a later one of the same key as an order violation, not a redelivery', () => {
    const ledger = new Ledger();
    ledger.deliver('w1', 'shard-0', 1, 10, [record(0, 0, '100'), record(0, 2, '102'), record(1, 5, '103')]);
    ledger.deliver('w1', 'shard-0', 1, 11, [record(0, 1, '104')]);
    expect(ledger.report().orderViolations).toBe(1);
    const redelivered = new Ledger();
    redelivered.deliver('w1', 'shard-0', 1, 10, [record(0, 0, '100'), record(0, 1, '101')]);
    redelivered.deliver('w2', 'shard-0', 1, 20, [record(0, 0, '100'), record(0, 1, '101'), record(0, 2, '102')]);
    expect(redelivered.report().orderViolations).toBe(0);
  });

  it('explains each duplicate: stored twice, after the kill, after a lease move, or unexplained', () => {
    const ledger = new Ledger();
    ledger.deliver('w1', 'shard-0', 1, 10, [record(0, 0, '100'), record(0, 1, '101')]);
    ledger.deliver('w2', 'shard-1', 1, 10, [record(1, 0, '200', 3)]);
    ledger.deliver('w1', 'shard-0', 1, 11, [record(0, 0, '105')]); // a second stored copy
    ledger.deliver('w3', 'shard-0', 1, 12, [record(0, 1, '101')]); // w1 was killed
    ledger.deliver('w2', 'shard-1', 2, 13, [record(1, 0, '200', 3)]); // w2 lost and retook the lease: a new session
    ledger.deliver('w2', 'shard-1', 2, 14, [record(1, 0, '200', 3)]); // the same session again
    expect(ledger.duplicates('w1')).toEqual({ storedTwice: 1, afterKill: 1, leaseMoved: 1, unexplained: 1 });
    expect(ledger.duplicates().afterKill).toBe(0);
  });
});
