// How workers share a stream's leases (docs/consumer.md, "Lease coordination"): the two protocols
// a KinesisConsumer speaks, with their options spelled out.
//
// - 'fleet' (the default): a leader places the leases, workers heartbeat into one small item of
//   the lease table. Reads grow with leases, not workers; no per-lease renewals. Use it unless
//   Java KCL 2.x workers share the table.
// - 'kcl2': the Java KCL 2.x protocol (every worker scans every 2 s, renews, takes and steals).
//   Use it while Java KCL 2.x workers run on the same table, or during a rolling upgrade from an
//   earlier kinesis-kit version. One table never has 'fleet' and 'kcl2' workers at once.
import { KinesisConsumer, type ConsumerTunables, type ShardRecordProcessorFactory } from '@kinesis-kit/consumer';
import type { Logger } from '@kinesis-kit/core';

declare const processor: ShardRecordProcessorFactory;
declare const logger: Logger;

/** Fleet coordination with every option at its default, spelled out. */
export const fleetDefaults = {
  coordination: 'fleet',
  heartbeatIntervalMillis: 1_000, // a worker's heartbeat: it sees leases placed on it at the next one
  leaderIntervalMillis: 250, // the leader's and its deputy's: how soon a join, a stop or a death is seen
  tableScanIntervalMillis: 20_000, // the leader's scan of the table: the whole read cost
  balanceThroughput: true, // balance bytes/s per worker, not only lease counts
  failoverTimeMillis: 10_000, // a worker silent this long is dead; its leases move (held again ~1 s later)
  leaseLossMarginMillis: 1_000, // a worker that cannot heartbeat stops its shards at last heartbeat + 10 s - 1 s
} satisfies ConsumerTunables;

/** A large fleet (about 150 workers or more): fewer heartbeat writes into the one fleet item (docs/operations.md). */
export const largeFleet = {
  ...fleetDefaults,
  heartbeatIntervalMillis: 3_000, // at most about (failoverTimeMillis - leaseLossMarginMillis) / 3
  failoverTimeMillis: 15_000,
} satisfies ConsumerTunables;

/** The Java KCL 2.x protocol, for a table shared with running Java KCL 2.x workers. */
export const sharedWithJavaKcl2 = {
  coordination: 'kcl2',
  failoverTimeMillis: 10_000, // must agree with the Java workers' failoverTimeMillis
  leaseTakingIntervalMillis: 2_000, // a consistent scan per worker per round (the KCL's is 20,050 ms)
  maxLeasesToStealAtOneTime: 1, // as the KCL, so the two sides trade fewer leases at the edges
} satisfies ConsumerTunables;

export function orderIndexer(coordination: ConsumerTunables): KinesisConsumer {
  const consumer = new KinesisConsumer({
    streamName: 'orders',
    applicationName: 'order-indexer', // the lease table
    initialPosition: 'TRIM_HORIZON',
    processor,
    logger,
    ...coordination,
  });
  // Under fleet coordination the leader places leases, so leaseTaken has no `from`.
  consumer.on('leaseTaken', ({ shardId, from }) => logger.info('lease taken', { shardId, from }));
  consumer.on('leaseLost', ({ shardId }) => logger.warn('lease lost', { shardId }));
  return consumer;
}

/** From your deployment's configuration: the same value on every worker of the application. */
declare const javaKcl2WorkersShareTheTable: boolean;

export const consumer = orderIndexer(javaKcl2WorkersShareTheTable ? sharedWithJavaKcl2 : fleetDefaults);
