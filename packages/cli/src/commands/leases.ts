import { DynamoDBLeaseStore, parseMultiStreamLeaseKey } from '@kinesis-kit/consumer';
import { systemClock } from '@kinesis-kit/core';
import { integerOption, parseCommand, stringOption } from '../args.js';
import { connectionFrom, createDynamoDBClient, createKinesisClient } from '../clients.js';
import { withOperationDeadline, type CliIO } from '../context.js';
import { about, EXIT_CODES, type ExitCode } from '../errors.js';
import { lagOfLeases, type LagRequest } from '../leases/lag.js';
import { renderLeaseTable, sortRows, toRow } from '../leases/rows.js';
import { sampleCounters } from '../leases/sample.js';
import { requireStream } from '../stream.js';

export const LEASES_USAGE = `kinesis-kit leases <app> [options]

One row per lease (shard) of the application's lease table: owner, checkpoint with its
sub-sequence number, lease counter, last change of the counter, parents, children and lag behind
the tip. Reads tables written by kinesis-kit and by the Java KCL 2.x / 3.x.

  --table <name>     lease table (default: <app>, as the KCL names it)
  --stream <name>    stream of a single-stream application, for the LAG column (multi-stream
                     lease keys name their stream)
  --sample <ms>      watch the lease counters for this long (re-read every 500 ms) and show when
                     each last moved; a live holder moves it at least every failover time / 3
                     (default 0: read once, LAST CHANGE shows -)
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
    const read = () => about({ kind: 'lease table', name: tableName }, () => withOperationDeadline(connection, io, (signal) => store.listLeases(signal)));
    const sample = await sampleCounters(read, { windowMs: sampleMs, intervalMs: SAMPLE_INTERVAL_MS, clock: io.clock ?? systemClock, signal: io.signal });
    if (streamName !== undefined && values['no-lag'] !== true) await requireStream(kinesis, streamName, connection, io);
    const requests: LagRequest[] = sample.leases.map((lease) => {
      const multi = parseMultiStreamLeaseKey(lease.leaseKey);
      return {
        leaseKey: lease.leaseKey,
        streamName: multi === undefined ? streamName : multi.streamIdentifier.split(':')[1],
        shardId: multi?.shardId ?? lease.leaseKey,
        checkpoint: lease.checkpoint,
      };
    });
    const lags = values['no-lag'] === true ? new Map() : await lagOfLeases(kinesis, requests, connection, io);
    const rows = sortRows(sample.leases.map((lease) => toRow(lease, sample, lags.get(lease.leaseKey))));
    if (values.json === true) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (rows.length === 0) io.stdout.write(`lease table ${tableName} has no leases\n`);
    else io.stdout.write(renderLeaseTable(rows));
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
