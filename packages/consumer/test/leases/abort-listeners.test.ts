import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/harness/index.js';
import type { LeaseStore } from '../../src/leases/lease-store.js';
import { syncShards } from '../../src/shards/shard-sync.js';
import type { ShardDescription } from '../../src/retrieval/kinesis-port.js';
import { LeaseFleet } from '../support/leases.js';

/**
 * Wraps a lease store and, at every call and every answer, measures the abort listeners on every
 * signal it was ever handed: the largest count seen, and whether Node warned about one.
 */
function watchSignals(store: LeaseStore): { store: LeaseStore; most: () => number } {
  const signals = new Set<AbortSignal>();
  let most = 0;
  const measure = () => {
    for (const signal of signals) most = Math.max(most, getEventListeners(signal, 'abort').length);
  };
  const watched = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        for (const arg of args) if (arg instanceof AbortSignal) signals.add(arg);
        measure();
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        measure();
        return Promise.resolve(result).finally(measure);
      };
    },
  });
  return { store: watched, most: () => most };
}

describe('abort listeners stay bounded (dynalite)', () => {
  let fleet: LeaseFleet;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
  };

  afterEach(async () => {
    process.off('warning', onWarning);
    await fleet.close();
  });

  it('a worker holding 12 leases for many rounds never stacks abort listeners on one signal', async () => {
    process.on('warning', onWarning);
    fleet = new LeaseFleet();
    await fleet.createLeases(12);
    let watched: ReturnType<typeof watchSignals> | undefined;
    // Renewals every 975 ms: each wave renews 12 leases at once.
    const worker = fleet.start('a', {
      settings: { failoverTimeMillis: 3_000, leaseLossMarginMillis: 500 },
      wrapStore: (store) => (watched = watchSignals(store)).store,
    });
    await waitFor(() => worker.coordinator.state.held.size === 12, { description: 'the worker to hold all 12' });
    await fleet.rounds([worker], 20);
    expect(watched!.most()).toBeLessThanOrEqual(2);
    expect(warnings).toEqual([]);
  }, 60_000);

  it('shard sync of a stream with many shards keeps the listeners on its signal under the warning limit', async () => {
    fleet = new LeaseFleet();
    await fleet.store.ensureTable();
    const watched = watchSignals(fleet.store);
    // A stand-in for ListShards: 30 shards, which kinesis-local's instance-wide shard limit would
    // share with every other test; how lease creation uses the signal does not depend on Kinesis.
    const shards: ShardDescription[] = Array.from({ length: 30 }, (_, i) => ({
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      startingHashKey: BigInt(i) * 10n,
      endingHashKey: BigInt(i) * 10n + 9n,
      startingSequenceNumber: '1',
    }));
    const controller = new AbortController();
    const { created } = await syncShards({
      port: { listShards: async () => shards },
      store: watched.store,
      leaseKeys: new Set(),
      initialPosition: 'TRIM_HORIZON',
      signal: controller.signal,
    });
    expect(created).toHaveLength(30);
    expect(watched.most()).toBeLessThanOrEqual(8);
  });
});
