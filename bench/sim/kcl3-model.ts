import { itemSize, PAGE_LIMIT_BYTES, readUnits, writeUnits, type Item } from './capacity.js';
import { simShards } from './sim-stream.js';

/**
 * The Java KCL 3.x (3.5.1) lease coordination at its defaults, computed (not run) with the same
 * capacity model as the simulation, on items built like the ones it writes. Intervals, from its
 * source (awslabs/amazon-kinesis-client, amazon-kinesis-client/src/main/java/software/amazon/kinesis):
 * - renewal every failoverTimeMillis / 3 - epsilonMillis per lease (leases/dynamodb/DynamoDBLeaseRenewer,
 *   LeaseManagementConfig.failoverTimeMillis = 10,000, epsilonMillis = 25): 3,308 ms, not skipped for
 *   leases that checkpointed;
 * - the leader's LeaseAssignmentManager every leaseAssignmentIntervalMillis = 2 x failoverTimeMillis
 *   (LeaseManagementConfig.leaseAssignmentIntervalMillis()), scanning the lease table and the worker
 *   metrics (coordinator/assignment/LeaseAssignmentManager); scans are eventually consistent
 *   (LeaseManagementConfig.consistentReads = false);
 * - every worker's lease discovery: a Query of the GSI LeaseOwnerToLeaseKeyIndex (KEYS_ONLY) for its
 *   own id every leaseAssignmentIntervalMillis / 2 - epsilonMillis = 9,975 ms
 *   (leases/dynamodb/DynamoDBLeaseCoordinator.leaseDiscovererIntervalMillis,
 *   DynamoDBLeaseDiscoverer, DynamoDBLeaseRefresher.listLeaseKeysForWorker), plus a GetItem per lease
 *   newly assigned to it (none at steady state);
 * - worker metrics: each worker writes its WorkerMetricStats item every
 *   workerMetricsReporterFreqInMillis = 30 s (LeaseManagementConfig.WorkerUtilizationAwareAssignmentConfig);
 * - the leader lock (dynamodb-lock-client): lease 120 s, heartbeat every 30 s by the leader
 *   (LeaseManagementConfig.dynamoDbLockBasedLeaderLeaseDurationInMillis / ...HeartbeatPeriodInMillis);
 *   every other worker reads the lock at most once per heartbeat period (leader/DynamoDBLockBasedLeaderDecider.isLeader);
 * - the leader's lease recovery audit every leasesRecoveryAuditorExecutionFrequencyMillis = 120 s
 *   (coordinator/PeriodicShardSyncManager), one more lease table scan.
 * Throughput-based worker metrics and the variance rebalancing every 3rd LAM run move leases only
 * when loads differ; at steady state they write nothing more.
 */
export interface KclRates {
  /** Requests per hour for the fleet, by purpose. */
  readonly requests: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
}

const HOUR = 3_600_000;
export interface Kcl3Intervals {
  readonly failoverTimeMillis: number;
  readonly epsilonMillis: number;
  readonly renewalMillis: number;
  readonly leaseAssignmentMillis: number;
  readonly leaseDiscoveryMillis: number;
  readonly workerMetricsMillis: number;
  readonly leaderHeartbeatMillis: number;
  readonly recoveryAuditMillis: number;
}

export const KCL3: Kcl3Intervals = {
  failoverTimeMillis: 10_000,
  epsilonMillis: 25,
  renewalMillis: 10_000 / 3 - 25,
  leaseAssignmentMillis: 20_000,
  leaseDiscoveryMillis: 20_000 / 2 - 25,
  workerMetricsMillis: 30_000,
  leaderHeartbeatMillis: 30_000,
  recoveryAuditMillis: 120_000,
};

/**
 * The KCL 3.x tuned to fail over as fast as the fleet protocol (worst case failoverTimeMillis + 2 s):
 * a dead worker's lease is seen expired at the first assignment run after failoverTimeMillis and
 * picked up at its new owner's next discovery, so the two intervals together must fit in 2 s. Everything
 * else at its defaults. This is the KCL "at the same failover time" the targets compare against.
 */
export const KCL3_SAME_FAILOVER: Kcl3Intervals = { ...KCL3, leaseAssignmentMillis: 1_000, leaseDiscoveryMillis: 1_000 };

/** The KCL 3.x's worst-case failover after a SIGKILL: expiry, then up to one assignment run, then up to one discovery. */
export function kcl3WorstFailoverMillis(intervals: Kcl3Intervals): number {
  return intervals.failoverTimeMillis + intervals.leaseAssignmentMillis + intervals.leaseDiscoveryMillis;
}

/** A KCL 3.x lease item: every 2.x attribute, plus throughputKBps (renewal) and entityType. */
function kclLease(shard: { ShardId: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string } }, owner: string, checkpoint: string): Item {
  return {
    leaseKey: { S: shard.ShardId },
    leaseOwner: { S: owner },
    leaseCounter: { N: '12345' },
    ownerSwitchesSinceCheckpoint: { N: '0' },
    checkpoint: { S: checkpoint },
    checkpointSubSequenceNumber: { N: '0' },
    startingHashKey: { S: shard.HashKeyRange.StartingHashKey },
    endingHashKey: { S: shard.HashKeyRange.EndingHashKey },
    throughputKBps: { N: '12.5' },
    entityType: { S: 'LEASE' },
  };
}

/** A WorkerMetricStats item: id, last update, CPU stats (the last 10 samples), operating range. */
function workerMetrics(workerId: string): Item {
  const samples = { L: Array.from({ length: 10 }, () => ({ N: '42.5' })) };
  return { wid: { S: workerId }, lut: { N: '1764633600' }, sts: { M: { CPU: samples } }, opr: { M: { CPU: { L: [{ N: '100' }] } } }, sup: { N: '1' }, entityType: { S: 'WORKER_METRIC_STATS' } };
}

/** The leader lock item (dynamodb-lock-client). */
const LOCK: Item = {
  leaseKey: { S: 'Leader' },
  ownerName: { S: 'worker-000' },
  leaseDuration: { S: '120000' },
  recordVersionNumber: { S: '2f6e1c1e-5d0b-4a53-9e7c-6b3a2f8d9c10' },
  entityType: { S: 'LEADER' },
};

/** Read units of reading `items` in pages of at most 1 MB. */
function pagedReadUnits(items: readonly Item[], consistent: boolean): { pages: number; units: number } {
  let pages = 0;
  let units = 0;
  let bytes = 0;
  for (const item of items) {
    bytes += itemSize(item);
    if (bytes >= PAGE_LIMIT_BYTES) {
      pages++;
      units += readUnits(bytes, consistent);
      bytes = 0;
    }
  }
  if (bytes > 0 || pages === 0) {
    pages++;
    units += readUnits(bytes, consistent);
  }
  return { pages, units };
}

/**
 * The KCL 3.x fleet's DynamoDB requests and capacity per hour at steady state: W workers holding N
 * leases evenly; `checkpointEveryMs` > 0 adds one checkpoint per lease that often.
 */
export function kcl3Rates(workers: number, leases: number, checkpointEveryMs: number, intervals: Kcl3Intervals = KCL3): KclRates {
  const workerIds = Array.from({ length: workers }, (_, i) => `worker-${String(i).padStart(3, '0')}`);
  const checkpoint = checkpointEveryMs > 0 ? '1001' : 'TRIM_HORIZON';
  const items = simShards(leases).map((shard, i) => kclLease(shard, workerIds[i % workers]!, checkpoint));
  const perHour = (intervalMs: number) => HOUR / intervalMs;
  const leaseWrite = writeUnits(items[0], items[0]);
  const scan = pagedReadUnits(items, false);
  const metricsScan = pagedReadUnits(workerIds.map(workerMetrics), false);
  const keysOnly = (owner: string) => items.filter((it) => it.leaseOwner?.S === owner).map((it) => ({ leaseOwner: it.leaseOwner!, leaseKey: it.leaseKey! }));
  const query = pagedReadUnits(keysOnly(workerIds[0]!), false);

  const KCL = intervals;
  const renewals = leases * perHour(KCL.renewalMillis);
  const checkpoints = checkpointEveryMs > 0 ? leases * perHour(checkpointEveryMs) : 0;
  const lamScans = perHour(KCL.leaseAssignmentMillis) * (scan.pages + metricsScan.pages);
  const auditScans = perHour(KCL.recoveryAuditMillis) * scan.pages;
  const queries = workers * perHour(KCL.leaseDiscoveryMillis) * query.pages;
  const metricsWrites = workers * perHour(KCL.workerMetricsMillis);
  const lockWrites = perHour(KCL.leaderHeartbeatMillis);
  const lockReads = (workers - 1) * perHour(KCL.leaderHeartbeatMillis);
  return {
    requests: { renewals, checkpoints, 'leader scans': lamScans + auditScans, 'GSI queries': queries, 'worker metrics': metricsWrites, 'leader lock': lockWrites + lockReads },
    readUnits:
      perHour(KCL.leaseAssignmentMillis) * (scan.units + metricsScan.units) +
      perHour(KCL.recoveryAuditMillis) * scan.units +
      workers * perHour(KCL.leaseDiscoveryMillis) * query.units +
      lockReads * readUnits(itemSize(LOCK), true),
    writeUnits: (renewals + checkpoints) * leaseWrite + metricsWrites * writeUnits(undefined, workerMetrics(workerIds[0]!)) + lockWrites * writeUnits(LOCK, LOCK),
  };
}
