import { once } from 'node:events';
import { kinesisReadPort } from '@kinesis-kit/consumer';
import { integerOption, parseCommand, stringOption } from '../args.js';
import { connectionFrom, createKinesisClient } from '../clients.js';
import { call, type CliIO } from '../context.js';
import { about, EXIT_CODES, UsageError, type ExitCode } from '../errors.js';
import { requireStream } from '../stream.js';
import { tailLine } from '../tail/output.js';
import { TailSession } from '../tail/session.js';
import type { StartPosition } from '../tail/shard-reader.js';

export const TAIL_USAGE = `kinesis-kit tail <stream> [options]

Prints the stream's user records as JSON lines: shardId, partitionKey, explicitHashKey (KPL
aggregates only, when set), sequenceNumber, subSequenceNumber, aggregated, arrivalTime, and data
(encoding "utf8" when the bytes are valid UTF-8, else "base64"). KPL aggregates are expanded.
Follows resharding: a child shard is read after its parents (both, for a merge) ended.

  --from <position>      LATEST (default), TRIM_HORIZON, or an ISO 8601 timestamp
                         (e.g. 2026-12-02T09:00:00Z) for AT_TIMESTAMP
  --max-records <n>      stop after n records
  --stop-at-tip          stop once every shard is caught up (nothing more to read)
  --poll-interval <ms>   pause between reads of a caught-up shard (default 1000)

Runs until interrupted (Ctrl-C, exit code 0) unless --max-records or --stop-at-tip ends it.`;

const OPTIONS = {
  from: { type: 'string' },
  'max-records': { type: 'string' },
  'stop-at-tip': { type: 'boolean' },
  'poll-interval': { type: 'string' },
} as const;

export async function tailCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, OPTIONS, ['stream']);
  if (values.help === true) {
    io.stdout.write(`${TAIL_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  const connection = connectionFrom(values);
  const streamName = positionals[0]!;
  const start = parseStart(stringOption(values, 'from') ?? 'LATEST');
  const options = {
    start,
    maxRecords: integerOption(values, 'max-records', Number.POSITIVE_INFINITY, { min: 1 }),
    stopAtTip: values['stop-at-tip'] === true,
    pollMs: integerOption(values, 'poll-interval', 1_000, { min: 0, max: 600_000 }),
    onRecord: async (shardId: string, record: Parameters<typeof tailLine>[1]) => {
      if (!io.stdout.write(`${JSON.stringify(tailLine(shardId, record))}\n`)) await once(io.stdout, 'drain', { signal: io.signal });
    },
  };
  const client = createKinesisClient(connection);
  try {
    await requireStream(client, streamName, connection, io);
    const port = kinesisReadPort(client, { streamName });
    const shards = await about({ kind: 'stream', name: streamName }, () => call(connection, io, 'ListShards', (signal) => port.listShards({ signal })));
    await about({ kind: 'stream', name: streamName }, () => new TailSession(port, options, connection, io).run(shards));
    return EXIT_CODES.ok;
  } catch (error) {
    if (io.signal.aborted) return EXIT_CODES.ok; // interrupted (Ctrl-C, closed pipe): the normal way to end a tail
    throw error;
  } finally {
    client.destroy();
  }
}

/** --from: a sentinel or an ISO 8601 timestamp (AT_TIMESTAMP). */
export function parseStart(raw: string): StartPosition {
  if (raw === 'LATEST' || raw === 'TRIM_HORIZON') return { type: raw };
  const millis = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(millis)) throw new UsageError(`--from must be LATEST, TRIM_HORIZON or an ISO 8601 timestamp, got ${JSON.stringify(raw)}`, 'INVALID_POSITION');
  return { type: 'AT_TIMESTAMP', timestamp: new Date(millis) };
}
