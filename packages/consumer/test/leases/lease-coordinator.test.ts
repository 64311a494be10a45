import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dynamoClient, FaultProxy, randomFaults, waitFor } from '../../../../test/harness/index.js';
import { EXPIRY_LEASES, LeaseFleet, THROTTLED } from '../support/leases.js';

const sorted = (counts: Record<string, number>): number[] => Object.values(counts).sort((a, b) => a - b);

describe('LeaseCoordinator: several workers in one process (dynalite)', () => {
  let fleet: LeaseFleet;

  afterEach(async () => {
    await fleet.close();
  });

  it('shares leases evenly and then moves nothing (no thrash)', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(12);
    const workers = ['a', 'b', 'c'].map((id) => fleet.start(id));
    await waitFor(async () => JSON.stringify(await fleet.ownerCounts()) === JSON.stringify({ a: 4, b: 4, c: 4 }), {
      timeoutMs: 15_000,
      description: 'an even share of 12 leases among 3 workers',
    });
    await waitFor(() => workers.every((w) => w.coordinator.state.held.size === 4), { description: 'every worker to know its 4 leases' });
    const changesAtBalance = workers.map((w) => w.changes.length);
    await fleet.rounds(workers, 4);
    expect(workers.map((w) => w.changes.length)).toEqual(changesAtBalance);
    expect(sorted(await fleet.ownerCounts())).toEqual([4, 4, 4]);
  });

  it('a joining worker reaches its share within two taking rounds', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(10);
    fleet.start('a');
    fleet.start('b');
    await waitFor(async () => sorted(await fleet.ownerCounts()).join() === '5,5', { timeoutMs: 15_000, description: '5 leases each' });
    const joiner = fleet.start('c');
    await fleet.rounds([joiner], 2);
    expect(joiner.heldAfterRound[1]).toBe(3);
    await waitFor(async () => sorted(await fleet.ownerCounts()).join() === '3,3,4', { description: 'the table to show 4/3/3' });
  });

  it('the victim of a steal learns of it at its next renewal, and its checkpoints are refused', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(4);
    const a = fleet.start('a');
    await waitFor(() => a.coordinator.state.held.size === 4, { description: 'a to hold all 4' });
    const held = [...a.coordinator.state.held.keys()];
    fleet.start('b');
    await waitFor(() => a.changes.filter((c) => c.kind === 'lost').length === 2, { description: 'a to lose 2 leases' });
    const lostKeys = a.changes.filter((c) => c.kind === 'lost').map((c) => c.leaseKey);
    expect(a.changes.filter((c) => c.kind === 'lost').every((c) => c.kind === 'lost' && c.to === 'b')).toBe(true);
    expect(await a.coordinator.checkpoint(lostKeys[0]!, { sequenceNumber: '1', subSequenceNumber: 0 })).toBe('leaseLost');
    const kept = held.find((k) => !lostKeys.includes(k))!;
    expect(await a.coordinator.checkpoint(kept, { sequenceNumber: '1', subSequenceNumber: 0 })).toBe('ok');
  });

  it('released leases are taken by another worker at its next taking round, without waiting for expiry', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(6);
    const a = fleet.start('a');
    const b = fleet.start('b'); // with a 10 s failover, only released leases can reach b within this test
    await waitFor(async () => sorted(await fleet.ownerCounts()).join() === '3,3', { timeoutMs: 15_000, description: '3 leases each' });
    await a.coordinator.stopTaking();
    await Promise.all([...a.coordinator.state.held.keys()].map((key) => a.coordinator.release(key)));
    await a.coordinator.halt();
    expect(a.changes.filter((c) => c.kind === 'released')).toHaveLength(3);
    await waitFor(async () => (await fleet.ownerCounts()).b === 6, { timeoutMs: 10_000, description: 'the table to show b owning all 6' });
    await waitFor(() => b.coordinator.state.held.size === 6, { description: 'b to know it holds all 6' });
  });

  it('takes over the leases of a worker that vanished once they expire', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(6);
    const a = fleet.start('a', { settings: EXPIRY_LEASES });
    const b = fleet.start('b', { settings: EXPIRY_LEASES });
    await waitFor(async () => sorted(await fleet.ownerCounts()).join() === '3,3', { timeoutMs: 15_000, description: '3 leases each' });
    await a.coordinator.halt(); // timers stop, nothing is released: a crash as b sees it
    await waitFor(async () => (await fleet.ownerCounts()).b === 6, { timeoutMs: 20_000, description: 'b to take the expired leases' });
    await waitFor(() => b.coordinator.state.held.size === 6, { description: 'b to hold all 6' });
    expect(b.changes.some((c) => c.kind === 'taken' && c.from === 'a')).toBe(true);
  });
});

describe('LeaseCoordinator under DynamoDB faults (FaultProxy in front of dynalite)', () => {
  let fleet: LeaseFleet;
  let proxy: FaultProxy;

  afterEach(async () => {
    await fleet.close();
    await proxy.close();
  });

  it('a steal that loses to its busy owner moving the counter is retried in the same round', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(4);
    const a = fleet.start('a');
    await waitFor(() => a.coordinator.state.held.size === 4, { description: 'a to hold all 4' });
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    let conflicts = 0;
    // The first take of each lease fails as if its owner had just checkpointed.
    const tried = new Set<string>();
    proxy.setPlan(({ operation, body }) => {
      const key = (body.Key as { leaseKey?: { S?: string } } | undefined)?.leaseKey?.S ?? '';
      if (operation !== 'UpdateItem' || tried.has(key)) return undefined;
      tried.add(key);
      conflicts++;
      return { kind: 'error', status: 400, code: 'ConditionalCheckFailedException' };
    });
    const client = dynamoClient({ accountId: fleet.accountId, endpoint: proxy.endpoint });
    const b = fleet.start('b', { client });
    await fleet.rounds([b], 1);
    expect(conflicts).toBe(2);
    expect(b.heldAfterRound[0]).toBe(2);
    client.destroy();
  });

  it('survives throttling, resets and conditional-write conflicts: every lease ends with exactly one owner, evenly', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(9);
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    proxy.setPlan(
      randomFaults(42, [
        { operation: 'UpdateItem', probability: 0.15, fault: THROTTLED },
        { operation: 'UpdateItem', probability: 0.05, fault: { kind: 'reset', when: 'after' } },
        { operation: 'Scan', probability: 0.15, fault: THROTTLED },
        { operation: 'Scan', probability: 0.05, fault: { kind: 'reset', when: 'before' } },
      ]),
    );
    const client = dynamoClient({ accountId: fleet.accountId, endpoint: proxy.endpoint });
    const workers = ['a', 'b', 'c'].map((id) => fleet.start(id, { client }));
    await waitFor(async () => sorted(await fleet.ownerCounts()).join() === '3,3,3', { timeoutMs: 20_000, description: '3 leases each despite faults' });
    await waitFor(() => workers.every((w) => w.coordinator.state.held.size === 3), { description: 'every worker to know its own 3' });
    const heldEverywhere = workers.flatMap((w) => [...w.coordinator.state.held.keys()]);
    expect(new Set(heldEverywhere).size).toBe(9);
    expect(proxy.log.filter((e) => e.fault?.kind === 'error').length).toBeGreaterThan(0);
    client.destroy();
  });
});
