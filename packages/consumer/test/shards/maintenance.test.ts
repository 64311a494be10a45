import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { FaultProxy, kinesisClient, waitFor } from '../../../../test/harness/index.js';
import { kinesisReadPort } from '../../src/retrieval/kinesis-port.js';
import { LeaderMaintenance } from '../../src/shards/maintenance.js';
import { LeaseFleet } from '../support/leases.js';

describe('LeaderMaintenance chores run beside the taking rounds', () => {
  let fleet: LeaseFleet;
  let proxy: FaultProxy;
  let kinesis: KinesisClient;

  afterEach(async () => {
    await fleet.close();
    kinesis.destroy();
    await proxy.close();
  });

  it('a shard sync whose ListShards never answers delays no taking round, and stop() aborts it', async () => {
    fleet = new LeaseFleet();
    await fleet.createLeases(2);
    proxy = await FaultProxy.start(inject('kinesisEndpoint'), ({ operation }) => (operation === 'ListShards' ? { kind: 'blackHole' } : undefined));
    kinesis = kinesisClient({ accountId: fleet.accountId, endpoint: proxy.endpoint });
    const worker = fleet.start('leader');
    const errors: unknown[] = [];
    const maintenance = new LeaderMaintenance(
      {
        coordinator: worker.coordinator,
        store: fleet.store,
        port: kinesisReadPort(kinesis, { streamName: 'never-answers' }),
        initialPosition: 'LATEST',
        shardSyncIntervalMillis: 1_000,
        leaseCleanupIntervalMillis: 60_000,
        emit: (event, payload) => void (event === 'error' && errors.push(payload)),
      },
      0, // the first round is already due a sync
    );
    await waitFor(() => proxy.blackHoled > 0, { description: 'the shard sync to be waiting on ListShards' });
    await fleet.rounds([worker], 3);
    expect(worker.coordinator.state.held.size).toBe(2);

    await maintenance.stop();
    await waitFor(() => proxy.blackHoled === 0, { description: 'the abandoned ListShards to be cancelled' });
    expect(errors).toEqual([]);
  });
});
