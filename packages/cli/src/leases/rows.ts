import { isSequenceNumber, parseMultiStreamLeaseKey, type Lease, type Position } from '@kinesis-kit/consumer';
import { formatDuration, renderTable } from '../table.js';
import type { Lag } from './lag.js';
import type { LivenessSample } from './sample.js';

/** One lease as `leases --json` prints it (one object per shard; stable field names). */
export interface LeaseRow {
  readonly leaseKey: string;
  /** Multi-stream tables: the stream the lease belongs to (from its key); null for single-stream tables. */
  readonly stream: { readonly accountId: string; readonly streamName: string; readonly creationEpochSeconds: number } | null;
  readonly shardId: string;
  /** Worker id of the holder; null = unassigned. */
  readonly owner: string | null;
  /** KCL 3 graceful handoff in progress: the previous owner that still has to checkpoint. */
  readonly checkpointOwner: string | null;
  readonly checkpoint: string;
  readonly checkpointSubSequenceNumber: number;
  readonly pendingCheckpoint: { readonly sequenceNumber: string; readonly subSequenceNumber: number } | null;
  readonly leaseCounter: number;
  readonly ownerSwitchesSinceCheckpoint: number;
  /**
   * What tells whether the owner is alive: `heartbeat` when the owner is a fleet worker (its worker
   * item names a slot in the fleet item: kinesis-kit's default coordination, whose leases are not
   * renewed), `counter` otherwise (kinesis-kit `coordination: 'kcl2'`, the Java KCL: the holder
   * renews the lease counter); null when the lease has no owner.
   */
  readonly livenessSignal: 'heartbeat' | 'counter' | null;
  /** Counter watch (--sample): ms since its last move, null when it did not move within sampledMs. */
  readonly counterMovedMsAgo: number | null;
  /** Heartbeat watch (--sample), fleet owners only: ms since the owner's heartbeat last changed, null when it did not within sampledMs (or not a fleet owner). */
  readonly ownerHeartbeatMsAgo: number | null;
  readonly sampledMs: number;
  readonly parentShardIds: readonly string[];
  readonly childShardIds: readonly string[];
  /** MillisBehindLatest of the read from the first unprocessed record; null when unknown (lagNote says why). */
  readonly millisBehindLatest: number | null;
  /** Whether any record after the checkpoint is unread; null when unknown. */
  readonly unreadRecords: boolean | null;
  readonly lagNote: string | null;
}

function bareShardId(key: string): string {
  return parseMultiStreamLeaseKey(key)?.shardId ?? key;
}

export function toRow(lease: Lease, sample: LivenessSample, lag: Lag | undefined): LeaseRow {
  const multi = parseMultiStreamLeaseKey(lease.leaseKey);
  const [accountId = '', streamName = '', epoch = '0'] = multi?.streamIdentifier.split(':') ?? [];
  const owner = lease.leaseOwner;
  const fleetOwner = owner !== undefined && sample.last.fleetWorkers.has(owner) ? owner : undefined;
  return {
    leaseKey: lease.leaseKey,
    stream: multi === undefined ? null : { accountId, streamName, creationEpochSeconds: Number(epoch) },
    shardId: multi?.shardId ?? lease.leaseKey,
    owner: owner ?? null,
    checkpointOwner: lease.checkpointOwner ?? null,
    checkpoint: lease.checkpoint.sequenceNumber,
    checkpointSubSequenceNumber: lease.checkpoint.subSequenceNumber,
    pendingCheckpoint: lease.pendingCheckpoint === undefined ? null : { ...lease.pendingCheckpoint },
    leaseCounter: lease.leaseCounter,
    ownerSwitchesSinceCheckpoint: lease.ownerSwitchesSinceCheckpoint,
    livenessSignal: owner === undefined ? null : fleetOwner !== undefined ? 'heartbeat' : 'counter',
    counterMovedMsAgo: sample.counterMovedMsAgo.get(lease.leaseKey) ?? null,
    ownerHeartbeatMsAgo: fleetOwner === undefined ? null : (sample.heartbeatMsAgo.get(fleetOwner) ?? null),
    sampledMs: sample.windowMs,
    parentShardIds: lease.parentShardIds.map(bareShardId),
    childShardIds: lease.childShardIds.map(bareShardId),
    millisBehindLatest: lag !== undefined && 'millisBehindLatest' in lag ? lag.millisBehindLatest : null,
    unreadRecords: lag !== undefined && 'unread' in lag ? lag.unread : null,
    lagNote: lag === undefined ? 'not asked' : 'unknown' in lag ? lag.unknown : null,
  };
}

/** Rows in a stable order: by stream, then by shard id. */
export function sortRows(rows: LeaseRow[]): LeaseRow[] {
  return rows.sort((a, b) => (a.stream?.streamName ?? '').localeCompare(b.stream?.streamName ?? '') || a.shardId.localeCompare(b.shardId));
}

/** A position as the CLI prints and accepts it: `<sequenceNumber>:<subSequenceNumber>`, or a sentinel. */
export function formatPosition(position: Position): string {
  return isSequenceNumber(position.sequenceNumber) ? `${position.sequenceNumber}:${position.subSequenceNumber}` : position.sequenceNumber;
}

/** The owner's liveness signal over the window: its heartbeat for a fleet owner, else the lease counter. */
function lastChange(row: LeaseRow): string {
  if (row.sampledMs === 0) return '-';
  if (row.livenessSignal === 'heartbeat') {
    return row.ownerHeartbeatMsAgo === null ? `no heartbeat in ${formatDuration(row.sampledMs)}` : `heartbeat ${formatDuration(row.ownerHeartbeatMsAgo)} ago`;
  }
  return row.counterMovedMsAgo === null ? `none in ${formatDuration(row.sampledMs)}` : `${formatDuration(row.counterMovedMsAgo)} ago`;
}

function owner(row: LeaseRow): string {
  if (row.owner === null) return '(none)';
  return row.checkpointOwner === null ? row.owner : `${row.owner} (handoff from ${row.checkpointOwner})`;
}

function lag(row: LeaseRow): string {
  if (row.millisBehindLatest !== null) {
    if (row.unreadRecords !== true) return 'caught up';
    return row.millisBehindLatest === 0 ? 'newest record unread' : formatDuration(row.millisBehindLatest);
  }
  return `- (${row.lagNote ?? 'unknown'})`;
}

const list = (ids: readonly string[]): string => (ids.length === 0 ? '-' : ids.join(','));

/** The human-readable table: STREAM only for multi-stream tables. */
export function renderLeaseTable(rows: readonly LeaseRow[]): string {
  const multi = rows.some((row) => row.stream !== null);
  const headers = [...(multi ? ['STREAM'] : []), 'SHARD', 'OWNER', 'CHECKPOINT', 'COUNTER', 'LAST CHANGE', 'PARENTS', 'CHILDREN', 'LAG'];
  const cells = rows.map((row) => [
    ...(multi ? [row.stream === null ? '-' : row.stream.streamName] : []),
    row.shardId,
    owner(row),
    formatPosition({ sequenceNumber: row.checkpoint, subSequenceNumber: row.checkpointSubSequenceNumber }),
    String(row.leaseCounter),
    lastChange(row),
    list(row.parentShardIds),
    list(row.childShardIds),
    lag(row),
  ]);
  return renderTable(headers, cells);
}
