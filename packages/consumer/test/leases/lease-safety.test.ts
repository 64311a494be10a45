import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { dynamoClient, FaultProxy, waitFor } from '../../../../test/harness/index.js';
import type { ShardConsumer, ShardConsumerOutcome } from '../../src/processing/contracts.js';
import { ShardScheduler } from '../../src/shards/shard-scheduler.js';
import { EXPIRY_LEASES, isRenewal, LeaseFleet, leaseKeyOf, type FleetWorker } from '../support/leases.js';

/** Expiry-test settings: failover 4 s, and the lease is given up 1 s before (renewals every 1.3 s). */
const SAFETY = { ...EXPIRY_LEASES, leaseLossMarginMillis: 1_000 };

describe('lease safety when DynamoDB stops answering (FaultProxy in front of dynalite)', () => {
  let fleet: LeaseFleet;
  const proxies: FaultProxy[] = [];

  afterEach(async () => {
    await fleet.close();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  const proxied = async () => {
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    proxies.push(proxy);
    return { proxy, client: dynamoClient({ accountId: fleet.accountId, endpoint: proxy.endpoint }) };
  };

  it('a worker whose renewals of a lease never answer gives it up before another worker sends its take, and keeps renewing its other leases', async () => {
    fleet = new LeaseFleet();
    const [x, y] = await fleet.createLeases(2);
    const xKey = x!.leaseKey;
    const yKey = y!.leaseKey;
    // One ordered log for both workers: a's lease changes and the moment b's requests reach the wire.
    const log: string[] = [];
    const viaA = await proxied();
    const a = fleet.start('a', { client: viaA.client, settings: SAFETY });
    a.coordinator.onChange((changes) => changes.forEach((c) => log.push(`a:${c.kind}:${c.leaseKey}`)));
    await waitFor(() => a.coordinator.state.held.size === 2, { description: 'a to hold both leases' });
    const yCounter = (await fleet.store.getLease(yKey))!.leaseCounter;
    const roundsBefore = a.heldAfterRound.length;
    // From now on no write of a's to X is ever answered (its renewals, and its attempts to take X back).
    viaA.proxy.setPlan(({ operation, body }) => (operation === 'UpdateItem' && leaseKeyOf(body) === xKey ? { kind: 'blackHole' } : undefined));

    const viaB = await proxied();
    viaB.proxy.setPlan(({ operation, body }) => {
      if (operation === 'UpdateItem') log.push(`b:sends:${leaseKeyOf(body)}`);
      return undefined;
    });
    // b never steals: it can have X only once X has expired on its own clock.
    const b = fleet.start('b', { client: viaB.client, settings: { ...SAFETY, maxLeasesToStealAtOneTime: 0 } });
    await waitFor(() => b.coordinator.state.held.has(xKey), { timeoutMs: 30_000, description: 'b to take the lease a cannot renew' });

    // The 'lost' change is what stops a's shard consumer (ShardScheduler calls leaseLost() on it synchronously).
    const lostAt = log.indexOf(`a:lost:${xKey}`);
    expect(lostAt).toBeGreaterThanOrEqual(0);
    expect(lostAt).toBeLessThan(log.indexOf(`b:sends:${xKey}`));
    expect(viaA.proxy.count('UpdateItem', 'blackHole')).toBeGreaterThan(0);
    // The hung writes held up neither the other lease's renewals nor the taking rounds for good.
    expect(a.coordinator.heldLease(yKey)).toBeDefined();
    expect((await fleet.store.getLease(yKey))!.leaseCounter).toBeGreaterThan(yCounter);
    expect(a.heldAfterRound.length).toBeGreaterThan(roundsBefore);
    expect(await a.coordinator.checkpoint(xKey, { sequenceNumber: '1', subSequenceNumber: 0 })).toBe('leaseLost');
  }, 60_000);

  it('a lease given up and taken back is not dropped when its old shard consumer finishes with leaseLost', async () => {
    fleet = new LeaseFleet();
    const [x] = await fleet.createLeases(1);
    const xKey = x!.leaseKey;
    const { proxy, client } = await proxied();
    const a = fleet.start('a', { client, settings: SAFETY });
    const consumers = schedule(a);
    await waitFor(() => consumers.length === 1, { description: 'a consumer for the lease' });
    proxy.setPlan(({ operation, body }) => (isRenewal(operation, body) ? { kind: 'blackHole' } : undefined));
    // The old consumer is told leaseLost but, like a processor still inside processRecords, does not finish yet.
    await waitFor(() => consumers[0]!.toldLost, { timeoutMs: 20_000, description: 'a to give the lease up' });
    proxy.setPlan(() => undefined);
    const taken = () => a.changes.filter((c) => c.kind === 'taken' && c.leaseKey === xKey).length;
    await waitFor(() => taken() === 2, { timeoutMs: 20_000, description: 'a to take its lease back' });
    expect(consumers).toHaveLength(1); // the old consumer still runs: no second one yet

    consumers[0]!.finish({ kind: 'leaseLost' });
    await waitFor(() => consumers.length === 2, { description: 'a new consumer for the lease taken back' });
    await fleet.rounds([a], 2);
    expect(a.coordinator.heldLease(xKey)).toBeDefined();
    expect(a.changes.filter((c) => c.kind === 'lost')).toHaveLength(1);
    expect(taken()).toBe(2);
  }, 60_000);
});

describe('the shard scheduler while a release is in flight (FaultProxy in front of dynalite)', () => {
  let fleet: LeaseFleet;
  let proxy: FaultProxy | undefined;

  afterEach(async () => {
    await fleet.close();
    await proxy?.close();
  });

  it('never starts a second consumer for a lease whose release has not answered yet', async () => {
    // Regression: the consumer was dropped from the running set before its release was written,
    // so a round in between saw a held lease with no consumer and started one (two consumers of a
    // lease that was about to belong to another worker).
    fleet = new LeaseFleet();
    const [x] = await fleet.createLeases(1);
    proxy = await FaultProxy.start(inject('dynamoEndpoint'));
    const a = fleet.start('a', { client: dynamoClient({ accountId: fleet.accountId, endpoint: proxy.endpoint }), settings: SAFETY });
    const consumers = schedule(a);
    await waitFor(() => consumers.length === 1, { description: 'a consumer for the lease' });
    proxy.setPlan(({ operation, body }) => (operation === 'UpdateItem' && String(body.UpdateExpression).includes('REMOVE #leaseOwner') ? { kind: 'blackHole' } : undefined));
    consumers[0]!.finish({ kind: 'shutdown' });
    await waitFor(() => proxy!.blackHoled > 0, { description: 'the release to be sent (and never answered)' });
    await fleet.rounds([a], 3);
    expect(a.coordinator.heldLease(x!.leaseKey)).toBeDefined(); // still held: the release has not landed
    expect(consumers).toHaveLength(1);
  }, 60_000);
});

interface FakeConsumer extends ShardConsumer {
  toldLost: boolean;
  finish(outcome: ShardConsumerOutcome): void;
}

/**
 * A ShardScheduler over the worker's coordinator with stand-in shard consumers the test finishes
 * itself: what is under test is the scheduler's bookkeeping when a consumer finishes late, which
 * no emulator can delay on purpose (a real one finishes when its processor returns).
 */
function schedule(worker: FleetWorker): FakeConsumer[] {
  const consumers: FakeConsumer[] = [];
  new ShardScheduler({
    coordinator: worker.coordinator,
    gracefulShutdownTimeoutMillis: 1_000,
    emit: () => undefined,
    handleFor: (shardId) => ({ shardId, checkpoint: async () => 'ok', recordChildShards: async () => 'ok' }),
    startConsumer: ({ lease }) => {
      let finish: (outcome: ShardConsumerOutcome) => void = () => undefined;
      const finished = new Promise<ShardConsumerOutcome>((resolve) => (finish = resolve));
      const consumer: FakeConsumer = {
        shardId: lease.leaseKey,
        finished,
        toldLost: false,
        finish: (outcome) => finish(outcome),
        requestShutdown: () => finish({ kind: 'shutdown' }),
        leaseLost: () => void (consumer.toldLost = true),
      };
      consumers.push(consumer);
      return consumer;
    },
  });
  return consumers;
}
