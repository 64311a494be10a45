import { DynamoDBLeaseStore, isSequenceNumber, kinesisReadPort, parseMultiStreamLeaseKey, type Lease, type Position, type WorkerRecord } from '@kinesis-kit/consumer';
import { systemClock } from '@kinesis-kit/core';
import { integerOption, parseCommand, stringOption } from '../args.js';
import { connectionFrom, createDynamoDBClient, createKinesisClient, type Connection } from '../clients.js';
import { call, withOperationDeadline, type CliIO } from '../context.js';
import { about, awsErrorName, CliError, EXIT_CODES, UsageError, type ExitCode } from '../errors.js';
import { overrideCheckpoint } from '../leases/override.js';
import { parsePosition } from '../leases/position.js';
import { formatPosition } from '../leases/rows.js';
import { fleetSignals } from '../leases/fleet.js';
import { sampleLiveness, type LivenessRead } from '../leases/sample.js';
import { formatDuration } from '../table.js';

export const CHECKPOINT_USAGE = `kinesis-kit checkpoint set <app> <shard> <sequenceNumber>[:<subSequenceNumber>] | SHARD_END
kinesis-kit checkpoint reset <app> <shard> TRIM_HORIZON | LATEST | AT_TIMESTAMP

Moves a lease's checkpoint: the next worker to take the shard resumes there. The lease is
released at the same time (owner removed, counter +1). Stop the application first: a running
worker may carry on from its in-memory position (see docs/cli.md). <shard> is the lease
key: a shard id, or for multi-stream tables account:stream:epoch:shardId (or a bare shard id if
only one stream has it).

Refuses (exit code 5) while a live worker holds the lease. The lease is re-read for up to
--failover-time (the KCL's rule: a live holder shows a change within that time); the holder is
alive if the lease's counter moves (kinesis-kit's coordination 'kcl2' and the Java KCL renew it)
or, when the owner is a kinesis-kit fleet worker (the default coordination: leases are not
renewed), if the owner's heartbeat in the fleet item changes. A lease with no owner is written at
once; an owned one after a window with no change. The write is conditional on the counter and
owner read, as the library's writes are: if the lease changed meanwhile nothing is written (5).

  --table <name>          lease table (default: <app>)
  --stream <name>         single-stream tables: check the sequence number belongs to the shard
                          (multi-stream keys name their stream and are always checked)
  --failover-time <ms>    how long to watch the counter and the owner's heartbeat (default 10000,
                          the KCL's and kinesis-kit's default failoverTimeMillis)
  --force                 write even if a live worker holds the lease (it may not take effect)`;

const OPTIONS = {
  table: { type: 'string' },
  stream: { type: 'string' },
  'failover-time': { type: 'string' },
  force: { type: 'boolean' },
} as const;

/** Re-read interval while watching a lease's counter and its owner's heartbeat. */
const WATCH_INTERVAL_MS = 250;
/** Conditional writes tried with --force while a live holder keeps moving the counter. */
const FORCED_WRITE_ATTEMPTS = 5;

export async function checkpointCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, OPTIONS, ['set|reset', 'app', 'shard', 'position']);
  if (values.help === true) {
    io.stdout.write(`${CHECKPOINT_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  const [action, app, shard, rawPosition] = positionals as [string, string, string, string];
  if (action !== 'set' && action !== 'reset') throw new UsageError(`checkpoint: the first argument must be set or reset, got ${JSON.stringify(action)}`);
  const position = parsePosition(action, rawPosition);
  const connection = connectionFrom(values);
  const failoverMs = integerOption(values, 'failover-time', 10_000, { min: 0, max: 600_000 });
  const tableName = stringOption(values, 'table') ?? app;
  const dynamo = createDynamoDBClient(connection);
  try {
    const store = new DynamoDBLeaseStore({ client: dynamo, tableName, maxAttempts: 4 });
    const table = { kind: 'lease table', name: tableName } as const;
    const found = await about(table, () => findLease(store, shard, connection, io));
    await checkInShard(found, position, stringOption(values, 'stream'), connection, io);
    const force = values.force === true;
    let lease = force ? found : await requireNotLive(store, found, failoverMs, connection, io);
    for (let attempt = 1; ; attempt += 1) {
      const result = await about(table, () => overrideCheckpoint(dynamo, store, lease, position, connection, io));
      if (result.kind === 'written') {
        const owner = lease.leaseOwner === undefined ? 'no owner' : `owner ${lease.leaseOwner} removed`;
        io.stdout.write(
          `${lease.leaseKey}: checkpoint ${formatPosition(found.checkpoint)} -> ${formatPosition(result.lease.checkpoint)} ` +
            `(lease counter ${lease.leaseCounter} -> ${result.lease.leaseCounter}, ${owner})\n`,
        );
        return EXIT_CODES.ok;
      }
      // Without --force a change means someone is active: refuse. With it, a live holder's renewal
      // may land between our read and write: read again and retry, a few times.
      if (!force || attempt >= FORCED_WRITE_ATTEMPTS) {
        throw new CliError('LEASE_CHANGED', `lease ${lease.leaseKey} changed while it was being written (a worker renewed, took or checkpointed it); nothing was written`, EXIT_CODES.refused);
      }
      lease = await about(table, () => findLease(store, lease.leaseKey, connection, io));
    }
  } finally {
    dynamo.destroy();
  }
}

/** The lease by its exact key, or (multi-stream tables) the one lease whose shard id is `shard`. */
async function findLease(store: DynamoDBLeaseStore, shard: string, connection: Connection, io: CliIO): Promise<Lease> {
  const exact = await withOperationDeadline(connection, io, (signal) => store.getLease(shard, signal));
  if (exact !== undefined) return exact;
  const all = await withOperationDeadline(connection, io, (signal) => store.listLeases(signal));
  const matches = all.filter((lease) => parseMultiStreamLeaseKey(lease.leaseKey)?.shardId === shard);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`shard ${shard} is in several streams; give the whole lease key: ${matches.map((l) => l.leaseKey).sort().join(', ')}`);
  throw new CliError('LEASE_NOT_FOUND', `lease table ${store.tableName} has no lease ${shard}`, EXIT_CODES.notFound);
}

/**
 * A sequence number must belong to the shard, or the next owner fails to read it. When the stream
 * is known: the shard must be listed, the number within its sequence number range (ListShards),
 * and accepted by GetShardIterator AT_SEQUENCE_NUMBER (the service checks it belongs to the shard).
 */
async function checkInShard(lease: Lease, position: Position, streamOption: string | undefined, connection: Connection, io: CliIO): Promise<void> {
  if (!isSequenceNumber(position.sequenceNumber)) return;
  const multi = parseMultiStreamLeaseKey(lease.leaseKey);
  const streamName = multi?.streamIdentifier.split(':')[1] ?? streamOption;
  if (streamName === undefined) return;
  const shardId = multi?.shardId ?? lease.leaseKey;
  const notInShard = (detail: string) => new UsageError(`sequence number ${position.sequenceNumber} is not in shard ${shardId} of stream ${streamName}${detail}`, 'INVALID_POSITION');
  const client = createKinesisClient(connection);
  try {
    const port = kinesisReadPort(client, { streamName });
    const shards = await about({ kind: 'stream', name: streamName }, () => call(connection, io, 'ListShards', (signal) => port.listShards({ signal })));
    const shard = shards.find((s) => s.shardId === shardId);
    if (shard === undefined) throw new CliError('SHARD_NOT_FOUND', `stream ${streamName} has no shard ${shardId} (or it is past retention)`, EXIT_CODES.notFound);
    const sequence = BigInt(position.sequenceNumber);
    if (sequence < BigInt(shard.startingSequenceNumber) || (shard.endingSequenceNumber !== undefined && sequence > BigInt(shard.endingSequenceNumber))) {
      throw notInShard(` (its range is ${shard.startingSequenceNumber}..${shard.endingSequenceNumber ?? 'open'})`);
    }
    const start = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: position.sequenceNumber } as const;
    await call(connection, io, `GetShardIterator ${shardId}`, (signal) => port.getShardIterator(shardId, start, signal)).catch((error: unknown) => {
      throw awsErrorName(error) === 'InvalidArgumentException' ? notInShard('') : error;
    });
  } finally {
    client.destroy();
  }
}

/**
 * Watches an owned lease for up to failoverMs and refuses if its holder shows it is alive: the
 * lease's counter moves (KCL 2.x protocol renewals), or the owner is a fleet worker (its worker
 * item names a slot) whose heartbeat in the fleet item changes. Each re-read is a GetItem of the
 * lease, plus one of the fleet item while the owner is a fleet worker.
 */
async function requireNotLive(store: DynamoDBLeaseStore, lease: Lease, failoverMs: number, connection: Connection, io: CliIO): Promise<Lease> {
  if (lease.leaseOwner === undefined) return lease;
  const workers = new Map<string, WorkerRecord | undefined>();
  const workerOf = async (owner: string): Promise<WorkerRecord | undefined> => {
    if (!workers.has(owner)) workers.set(owner, await withOperationDeadline(connection, io, (signal) => store.readWorker(owner, signal)));
    return workers.get(owner);
  };
  const read = async (): Promise<LivenessRead> => {
    const current = await withOperationDeadline(connection, io, (signal) => store.getLease(lease.leaseKey, signal));
    if (current === undefined) throw new CliError('LEASE_NOT_FOUND', `lease ${lease.leaseKey} was deleted while it was watched`, EXIT_CODES.notFound);
    const worker = current.leaseOwner === undefined ? undefined : await workerOf(current.leaseOwner);
    const fleet = worker === undefined ? undefined : await withOperationDeadline(connection, io, (signal) => store.readFleet(signal));
    return { leases: [current], ...fleetSignals(fleet, worker === undefined ? [] : [worker]) };
  };
  const sample = await sampleLiveness(read, { windowMs: failoverMs, intervalMs: WATCH_INTERVAL_MS, clock: io.clock ?? systemClock, signal: io.signal, stopAtFirstMove: true });
  const latest = sample.last.leases[0]!;
  const sign = sample.counterMovedMsAgo.size > 0 ? 'its counter moved' : sample.heartbeatMsAgo.size > 0 ? "its owner's heartbeat in the fleet item changed" : undefined;
  if (sign !== undefined) {
    throw new CliError(
      'LEASE_HELD',
      `worker ${latest.leaseOwner ?? '(none)'} holds lease ${lease.leaseKey}: ${sign} within ${formatDuration(sample.windowMs)}. ` +
        'Stop the application first, or use --force (a running worker may carry on from its own position)',
      EXIT_CODES.refused,
    );
  }
  return latest;
}
