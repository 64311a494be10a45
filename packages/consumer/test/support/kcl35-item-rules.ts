/**
 * How a Java KCL 3.5.1 application reads the items of its lease table, path by path, encoded from
 * its source (github.com/awslabs/amazon-kinesis-client at v3.5.1, commit 024eb86e; paths below are
 * under amazon-kinesis-client/src/main/java/software/amazon/kinesis/). Each function cites the
 * Java file, method and lines it follows. Where the Java would throw (a DynamoDB type it does not
 * expect: `new Long(av.n())` on an S, `av.ss()` on an N...), the function throws too, so a test
 * running our items through these rules fails if KCL 3.5 would fail on them.
 *
 * kcl35-table-format.test.ts runs every item this library writes through every path.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type KclItem = Record<string, AttributeValue>;

/** leases/EntityType.java: the values of `entityType` KCL 3.5 knows. */
export const KCL_ENTITY_TYPES = ['LEASE', 'STREAM', 'LEADER', 'CLIENT_VERSION_MIGRATION', 'TABLE_MIGRATION', 'WORKER_METRIC_STATS'] as const;
export type KclEntityType = (typeof KCL_ENTITY_TYPES)[number];

/** A lease as DynamoDBLeaseSerializer.fromDynamoRecord fills it (Java nulls as null). */
export interface KclLease {
  readonly leaseKey: string | null;
  readonly leaseOwner: string | null;
  readonly leaseCounter: bigint | null;
  readonly ownerSwitchesSinceCheckpoint: bigint | null;
  readonly checkpoint: { readonly sequenceNumber: string | null; readonly subSequenceNumber: bigint | null };
  readonly parentShardIds: readonly string[];
  readonly childShardIds: readonly string[];
  readonly pendingCheckpoint: { readonly sequenceNumber: string; readonly subSequenceNumber: bigint | null } | null;
  readonly pendingCheckpointState: Uint8Array | null;
  readonly hashKeyRange: { readonly startingHashKey: string; readonly endingHashKey: string } | null;
  readonly throughputKBps: number | null;
  readonly checkpointOwner: string | null;
  /** DynamoDBMultiStreamLeaseSerializer only. */
  readonly streamIdentifier?: string | null;
  readonly shardId?: string | null;
}

class KclWouldThrow extends Error {}

/** leases/DynamoUtils.java:92-103 safeGetString: null when absent, `av.s()` (null when not an S). */
function safeGetString(item: KclItem, key: string): string | null {
  return item[key]?.S ?? null;
}

/** DynamoUtils.java:75-82 safeGetLong: `new Long(av.n())`, NumberFormatException when not an N or not an integer. */
function safeGetLong(item: KclItem, key: string): bigint | null {
  const av = item[key];
  if (av === undefined) return null;
  if (av.N === undefined || !/^-?\d+$/.test(av.N)) throw new KclWouldThrow(`${key}: new Long(${String(av.N)})`);
  return BigInt(av.N);
}

/** DynamoUtils.java:115-121 safeGetDouble. */
function safeGetDouble(item: KclItem, key: string): number | null {
  const av = item[key];
  if (av === undefined) return null;
  if (av.N === undefined || Number.isNaN(Number(av.N))) throw new KclWouldThrow(`${key}: new Double(${String(av.N)})`);
  return Number(av.N);
}

/** DynamoUtils.java:105-113 safeGetSS: empty list when absent, `av.ss()` (an SDK auto-construct empty list when not an SS). */
function safeGetSS(item: KclItem, key: string): string[] {
  return [...(item[key]?.SS ?? [])];
}

/** DynamoUtils.java:66-73 safeGetByteArray: `av.b().asByteArray()`, NullPointerException when not a B. */
function safeGetByteArray(item: KclItem, key: string): Uint8Array | null {
  const av = item[key];
  if (av === undefined) return null;
  if (av.B === undefined) throw new KclWouldThrow(`${key}: av.b() is null`);
  return av.B;
}

/**
 * leases/dynamodb/DynamoDBLeaseSerializer.java:134-186, fromDynamoRecord: an item whose
 * `entityType` is absent or LEASE is read as a lease (lines 141-146); any other entityType is
 * `null` ("not a Lease entity", line 185). Pending checkpoint only when its sequence is non-empty
 * (152), hash key range only when both are non-empty (163-168).
 */
export function kclLeaseFromRecord(item: KclItem): KclLease | null {
  const entityType = safeGetString(item, 'entityType');
  if (entityType !== null && entityType !== 'LEASE') return null;
  const pendingSequence = safeGetString(item, 'pendingCheckpoint');
  const starting = safeGetString(item, 'startingHashKey');
  const ending = safeGetString(item, 'endingHashKey');
  return {
    leaseKey: safeGetString(item, 'leaseKey'),
    leaseOwner: safeGetString(item, 'leaseOwner'),
    leaseCounter: safeGetLong(item, 'leaseCounter'),
    ownerSwitchesSinceCheckpoint: safeGetLong(item, 'ownerSwitchesSinceCheckpoint'),
    checkpoint: { sequenceNumber: safeGetString(item, 'checkpoint'), subSequenceNumber: safeGetLong(item, 'checkpointSubSequenceNumber') },
    parentShardIds: safeGetSS(item, 'parentShardId'),
    childShardIds: safeGetSS(item, 'childShardIds'),
    pendingCheckpoint:
      pendingSequence !== null && pendingSequence !== ''
        ? { sequenceNumber: pendingSequence, subSequenceNumber: safeGetLong(item, 'pendingCheckpointSubSequenceNumber') }
        : null,
    pendingCheckpointState: safeGetByteArray(item, 'pendingCheckpointState'),
    hashKeyRange: starting !== null && starting !== '' && ending !== null && ending !== '' ? { startingHashKey: starting, endingHashKey: ending } : null,
    throughputKBps: safeGetDouble(item, 'throughputKBps'),
    checkpointOwner: safeGetString(item, 'checkpointOwner'),
  };
}

/**
 * leases/dynamodb/DynamoDBMultiStreamLeaseSerializer.java:45-55, fromDynamoRecord: the base
 * serializer's answer; since 3.5.1 (#1792) a `null` (a non-lease item) stays null (line 49-51)
 * instead of a NullPointerException; then streamName and shardId.
 */
export function kclMultiStreamLeaseFromRecord(item: KclItem): KclLease | null {
  const lease = kclLeaseFromRecord(item);
  if (lease === null) return null;
  return { ...lease, streamIdentifier: safeGetString(item, 'streamName'), shardId: safeGetString(item, 'shardId') };
}

/**
 * leases/dynamodb/DynamoDBLeaseRefresher.java, the classic-mode scans: list() (676-740: listLeases,
 * listLeasesForStream, isLeaseTableEmpty) and scanSegment() of listLeasesParallely (594-645). Every
 * item goes through serializer.fromDynamoRecord; `null` is skipped ("ignore non-lease entity
 * types", 709-713 and 622-625); an exception is logged and the key reported as failed to
 * deserialize (626-632; list() drops it, 714-718). listLeasesForStream filters on streamName (682-689).
 */
export function kclRefresherList(items: readonly KclItem[], multiStream: boolean): { leases: KclLease[]; failed: string[] } {
  const leases: KclLease[] = [];
  const failed: string[] = [];
  for (const item of items) {
    try {
      const lease = multiStream ? kclMultiStreamLeaseFromRecord(item) : kclLeaseFromRecord(item);
      if (lease !== null) leases.push(lease);
    } catch {
      failed.push(item.leaseKey?.S ?? '?');
    }
  }
  return { leases, failed };
}

/**
 * DynamoDBLeaseRefresher.java:486-540 listLeaseKeysForWorker: Query on LeaseOwnerToLeaseKeyIndex
 * (hash leaseOwner = the worker id); the leaseKey of every item in it. Only items with a string
 * leaseOwner are in a GSI keyed on it.
 */
export function kclLeaseKeysForWorker(items: readonly KclItem[], workerId: string): string[] {
  return items.filter((item) => item.leaseOwner?.S === workerId && item.leaseKey?.S !== undefined).map((item) => item.leaseKey!.S!);
}

/**
 * leases/dynamodb/DynamoDBLeaseTableDao.java:271-278 resolveEntityType (single-table lease
 * assignment): no entityType, or one KCL does not know, is LEASE.
 */
export function kclResolveEntityType(item: KclItem): KclEntityType {
  const value = item.entityType?.S;
  return value !== undefined && (KCL_ENTITY_TYPES as readonly string[]).includes(value) ? (value as KclEntityType) : 'LEASE';
}

/** A coordinator-state entity as CoordinatorStateDAODelegate.fromDynamoRecord builds it. */
export interface KclCoordinatorState {
  readonly kind: 'StreamInfo' | 'MigrationState' | 'TableMigrationState' | 'generic';
  readonly key: string | null;
  readonly attributes: KclItem;
}

/** coordinator/migration/MigrationState.java:49, TableMigrationState.java:50, leader/LeaderLock.java:38. */
export const KCL_COORDINATOR_KEYS = { migration: 'Migration3.0', tableMigration: 'TableMigration3.5', leader: 'Leader' } as const;

/**
 * coordinator/delegate/CoordinatorStateDAODelegate.java:424-451 fromDynamoRecord (lease-table
 * delegate: partition key leaseKey, LeaseTableCoordinatorStateDAODelegate.java:23-25): entityType
 * removed and resolved (122-138; without one, only the keys Migration3.0 and TableMigration3.5 are
 * recognised); STREAM, CLIENT_VERSION_MIGRATION and TABLE_MIGRATION have deserializers (106-115);
 * anything else, LEADER included, is a generic CoordinatorState of key and attributes (447-450).
 */
export function kclCoordinatorStateFromRecord(item: KclItem): KclCoordinatorState {
  const attributes = { ...item };
  const key = attributes.leaseKey?.S ?? null;
  delete attributes.leaseKey;
  const entityType = attributes.entityType?.S;
  delete attributes.entityType;
  let resolved = entityType !== undefined && (KCL_ENTITY_TYPES as readonly string[]).includes(entityType) ? entityType : undefined;
  if (resolved === undefined && key === KCL_COORDINATOR_KEYS.migration) resolved = 'CLIENT_VERSION_MIGRATION';
  if (resolved === undefined && key === KCL_COORDINATOR_KEYS.tableMigration) resolved = 'TABLE_MIGRATION';
  const kind = resolved === 'STREAM' ? 'StreamInfo' : resolved === 'CLIENT_VERSION_MIGRATION' ? 'MigrationState' : resolved === 'TABLE_MIGRATION' ? 'TableMigrationState' : 'generic';
  return { kind, key, attributes };
}

/** WorkerMetricStats.LeaseTableWorkerMetricStats as the DynamoDB Enhanced Client maps an item to it. */
export interface KclWorkerMetricStats {
  readonly workerId: string | null;
  readonly entityType: string | null;
  readonly lastUpdateTime: bigint | null;
  readonly metricStats: ReadonlyMap<string, readonly number[]> | null;
  readonly operatingRange: ReadonlyMap<string, readonly bigint[]> | null;
  readonly properties: ReadonlyMap<string, string> | null;
  readonly supportCode: number | null;
  readonly supportCodeUpdateEpochSeconds: bigint | null;
}

function mapOf<T>(item: KclItem, key: string, element: (value: AttributeValue, at: string) => T): Map<string, T> | null {
  const av = item[key];
  if (av === undefined || av.NULL === true) return null;
  if (av.M === undefined) throw new KclWouldThrow(`${key}: not a map`);
  return new Map(Object.entries(av.M).map(([name, value]) => [name, element(value, `${key}.${name}`)]));
}

function listOfNumbers<T>(value: AttributeValue, at: string, parse: (n: string) => T): T[] {
  if (value.L === undefined) throw new KclWouldThrow(`${at}: not a list`);
  return value.L.map((entry, i) => {
    if (entry.N === undefined) throw new KclWouldThrow(`${at}[${i}]: not a number`);
    return parse(entry.N);
  });
}

/**
 * worker/metricstats/WorkerMetricStats.java:75-238, the @DynamoDbBean LeaseTableWorkerMetricStats
 * (partition key leaseKey = workerId, 231-238): `entityType` S (163-172), `lut` N Long (175-176),
 * `sts` Map<String, List<Double>> (178-179), `opr` Map<String, List<Long>> (181-182), `properties`
 * Map<String, String> (184-185), `sup` N Integer (187-188), `slu` N Long (190-191). The Enhanced
 * Client ignores other attributes and fails on a type it cannot convert (modelled as a throw).
 * Read by DynamoDBLeaseTableDao.deserializeRecord (298-299) and
 * LeaseTableWorkerMetricStatsDAODelegate.getAllWorkerMetricStats (95-120: a scan filtered on
 * entityType = WORKER_METRIC_STATS).
 */
export function kclWorkerMetricStatsFromRecord(item: KclItem): KclWorkerMetricStats {
  const integer = (n: string, at: string): bigint => {
    if (!/^-?\d+$/.test(n)) throw new KclWouldThrow(`${at}: not an integer`);
    return BigInt(n);
  };
  const string = (value: AttributeValue, at: string): string => {
    if (value.S === undefined) throw new KclWouldThrow(`${at}: not a string`);
    return value.S;
  };
  const number = (key: string): bigint | null => (item[key] === undefined ? null : integer(item[key].N ?? 'x', key));
  const supportCode = number('sup');
  return {
    workerId: safeGetString(item, 'leaseKey'),
    entityType: safeGetString(item, 'entityType'),
    lastUpdateTime: number('lut'),
    metricStats: mapOf(item, 'sts', (value, at) => listOfNumbers(value, at, Number)),
    operatingRange: mapOf(item, 'opr', (value, at) => listOfNumbers(value, at, (n) => integer(n, at))),
    properties: mapOf(item, 'properties', string),
    supportCode: supportCode === null ? null : Number(supportCode),
    supportCodeUpdateEpochSeconds: number('slu'),
  };
}

/** WorkerMetricStats.java:445-455 isUsingDefaultWorkerMetric (no metrics and no ranges: throughput-based) and 403-427 isValidWorkerMetric. */
export function kclIsValidWorkerMetric(stats: KclWorkerMetricStats): boolean {
  if (stats.lastUpdateTime === null) return false;
  const noMetrics = (stats.metricStats?.size ?? 0) === 0 && (stats.operatingRange?.size ?? 0) === 0;
  return noMetrics || [...(stats.metricStats ?? new Map<string, number[]>()).keys()].every((name) => stats.operatingRange?.has(name) === true);
}

/** What DynamoDBLeaseTableDao.deserializeRecord (284-304) makes of an item in the single-table scan. */
export type KclEntity =
  | { readonly type: 'LEASE'; readonly lease: KclLease | null }
  | { readonly type: 'STREAM' | 'LEADER' | 'CLIENT_VERSION_MIGRATION' | 'TABLE_MIGRATION'; readonly state: KclCoordinatorState }
  | { readonly type: 'WORKER_METRIC_STATS'; readonly stats: KclWorkerMetricStats };

/**
 * leases/dynamodb/DynamoDBLeaseTableDao.java:225-239 scanSegment and 284-304 deserializeRecord:
 * LEASE (resolved as above, so an unknown entityType lands here) has entityType removed and goes
 * to the lease serializer (286-292); coordinator types to CoordinatorStateDAODelegate (293-297);
 * WORKER_METRIC_STATS to the bean (298-299). MigrationAwareLAMDataManager.java:129 keeps only LEASE
 * and WORKER_METRIC_STATS (scanEntities).
 */
export function kclLeaseTableDaoEntity(item: KclItem, multiStream: boolean): KclEntity {
  const type = kclResolveEntityType(item);
  switch (type) {
    case 'LEASE': {
      const record = { ...item };
      delete record.entityType;
      return { type, lease: multiStream ? kclMultiStreamLeaseFromRecord(record) : kclLeaseFromRecord(record) };
    }
    case 'WORKER_METRIC_STATS':
      return { type, stats: kclWorkerMetricStatsFromRecord(item) };
    default:
      return { type, state: kclCoordinatorStateFromRecord(item) };
  }
}

/**
 * The keys KCL 3.5 reads or deletes one at a time (GetItem/DeleteItem by key) in the lease table,
 * besides lease keys of its own leases:
 * - the leader lock, through the DynamoDB lock client with partition key leaseKey:
 *   leader/DynamoDBLockBasedLeaderDecider.java:134 getLock, 143 tryAcquireLock, 227 (release), all
 *   of LeaderLock.LEADER_HASH_KEY = "Leader" (LeaderLock.java:38); it never scans (no Scan in leader/);
 * - MigrationState "Migration3.0" (ClientVersionChangeMonitor.java:121,
 *   MigrationClientVersionStateInitializer.java:161); TableMigrationState "TableMigration3.5";
 * - StreamInfo under a stream identifier's serialization (StreamIdCacheManager.java:194,
 *   StreamInfoManager.java:139): a stream name (no ':' allowed in Kinesis stream names) or
 *   `account:stream:epoch` (three parts, a 12-digit account).
 */
export function kclReadsByKey(key: string): boolean {
  if ((Object.values(KCL_COORDINATOR_KEYS) as string[]).includes(key)) return true;
  if (/^[a-zA-Z0-9_.-]{1,128}$/.test(key)) return true; // could be a single-stream StreamInfo key
  return /^\d{12}:[a-zA-Z0-9_.-]{1,128}:\d+$/.test(key);
}

/**
 * coordinator/delegate/CoordinatorStateDAODelegate.java:209-240 listCoordinatorStateByEntityType:
 * a scan filtered on entityType (StreamInfoDAO.java:86 asks for STREAM only).
 */
export function kclStreamInfoScan(items: readonly KclItem[]): KclCoordinatorState[] {
  return items.filter((item) => item.entityType?.S === 'STREAM').map(kclCoordinatorStateFromRecord);
}

/** WorkerMetricStats.java:500-506 isStale: lastUpdateTime (epoch seconds) older than staleWorkerMetricsEntryCleanupDuration (1 day, LeaseManagementConfig.java:593). */
export function kclIsStaleWorkerMetric(stats: KclWorkerMetricStats, nowSeconds: number, thresholdSeconds = 86_400): boolean {
  return stats.lastUpdateTime === null || nowSeconds - Number(stats.lastUpdateTime) > thresholdSeconds;
}
