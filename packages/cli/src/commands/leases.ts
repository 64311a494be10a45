import { DynamoDBLeaseStore, parseMultiStreamLeaseKey } from '@kinesis-kit/consumer';
import { systemClock } from '@kinesis-kit/core';
import { integerOption, parseCommand, stringOption } from '../args.js';
import { connectionFrom, createDynamoDBClient, createKinesisClient } from '../clients.js';
import { withOperationDeadline, type CliIO } from '../context.js';
import { about, EXIT_CODES, type ExitCode } from '../errors.js';
import { lagOfLeases, type LagRequest } from '../leases/lag.js';
import { renderLeaseTable, sortRows, toRow } from '../leases/rows.js';
import { fleetSignals } from '../leases/fleet.js';
import { sampleLiveness, type LivenessRead } from '../leases/sample.js';
import { requireStream } from '../stream.js';

export const LEASES_USAGE = `kinesis-kit leases <app> [options]

One row per lease (shard) of the application's lease table: owner, checkpoint with its
sub-sequence number, lease counter, last sign of life of its owner, parents, children and lag
behind the tip. Reads tables written by kinesis-kit and by the Java KCL 2.x / 3.x.

  --table <name>     lease table (default: <app>, as the KCL names it)
  --stream <name>    stream of a single-stream application, for the LAG column (multi-stream
                     lease keys name their stream)
  --sample <ms>      watch the table for this long (re-read every 500 ms) and show in LAST CHANGE
                     when each owner last showed it is alive: for an owner using kinesis-kit's
                     fleet coordination (the default), its heartbeat in the fleet item
                     ("heartbeat 0.8s ago", about every second); otherwise (kinesis-kit's
                     coordination 'kcl2', the Java KCL) the lease counter, which a live holder
                     renews at least every failover time / 3 (default 0: read once, LAST CHANGE
                     shows -). A table with a fleet ends with its leader's id.
  --no-lag           do not read the stream (no GetRecords calls)
  --json             print a JSON array of rows instead of the table`;

const OPTIONS = {
  table: { type: 'string' },
  stream: { type: 'string' },
  sample: { type: 'string' },
  'no-lag': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Re-read interval while sampling the counters. */
const SAMPLE_INTERVAL_MS = 500;

export async function leasesCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, OPTIONS, ['app']);
  if (values.help === true) return help(io);
  const connection = connectionFrom(values);
  const tableName = stringOption(values, 'table') ?? positionals[0]!;
  const streamName = stringOption(values, 'stream');
  const sampleMs = integerOption(values, 'sample', 0, { min: 0, max: 600_000 });
  const dynamo = createDynamoDBClient(connection);
  const kinesis = createKinesisClient(connection);
  try {
    const store = new DynamoDBLeaseStore({ client: dynamo, tableName, maxAttempts: 4 });
    const read = async (): Promise<LivenessRead> => {
      const table = await about({ kind: 'lease table', name: tableName }, () => withOperationDeadline(connection, io, (signal) => store.readTable(signal)));
      return { leases: table.leases, ...fleetSignals(table.fleet, table.workers) };
    };
    const sample = await sampleLiveness(read, { windowMs: sampleMs, intervalMs: SAMPLE_INTERVAL_MS, clock: io.clock ?? systemClock, signal: io.signal });
    if (streamName !== undefined && values['no-lag'] !== true) await requireStream(kinesis, streamName, connection, io);
    const requests: LagRequest[] = sample.last.leases.map((lease) => {
      const multi = parseMultiStreamLeaseKey(lease.leaseKey);
      return {
        leaseKey: lease.leaseKey,
        streamName: multi === undefined ? streamName : multi.streamIdentifier.split(':')[1],
        shardId: multi?.shardId ?? lease.leaseKey,
        checkpoint: lease.checkpoint,
      };
    });
    const lags = values['no-lag'] === true ? new Map() : await lagOfLeases(kinesis, requests, connection, io);
    const rows = sortRows(sample.last.leases.map((lease) => toRow(lease, sample, lags.get(lease.leaseKey))));
    if (values.json === true) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout.write(`lease table ${tableName} has no leases\n`);
    else io.stdout.write(renderLeaseTable(rows) + (sample.last.leader === undefined ? '' : `fleet leader: ${sample.last.leader}\n`));
    return EXIT_CODES.ok;
  } finally {
    dynamo.destroy();
    kinesis.destroy();
  }
}

function help(io: CliIO): ExitCode {
  io.stdout.write(`${LEASES_USAGE}\n`);
  return EXIT_CODES.ok;
}
