import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '@kinesis-kit/aggregation';
import { isSequenceNumber, kinesisReadPort, type KinesisReadPort, type Position } from '@kinesis-kit/consumer';

type GetRecordsOutcome = Awaited<ReturnType<KinesisReadPort['getRecords']>>;
import type { Connection } from '../clients.js';
import { call, type CliIO } from '../context.js';
import { awsErrorName } from '../errors.js';

/**
 * A lease's lag: MillisBehindLatest of the read that starts at the first unprocessed record, and
 * whether there is any such record (0 ms with an unread record means: that record is the newest).
 * Or why it cannot be known.
 */
export type Lag = { readonly millisBehindLatest: number; readonly unread: boolean } | { readonly unknown: string };

/** Lag lookups in flight at once (each is two calls on its shard). */
const LAG_CONCURRENCY = 8;

export interface LagRequest {
  readonly leaseKey: string;
  readonly streamName: string | undefined;
  readonly shardId: string;
  readonly checkpoint: Position;
}

/**
 * Lag behind the tip for each lease, from GetRecords with Limit 1 (each call with the --timeout
 * deadline): from TRIM_HORIZON for a lease there; for a sequence number from AT_SEQUENCE_NUMBER of
 * the checkpoint, because a checkpoint inside a KPL aggregate leaves its later members unread; when
 * that record is fully processed, one more Limit 1 read from its next iterator (AFTER the checkpoint).
 * A lease whose lag cannot be known says why.
 */
export async function lagOfLeases(client: KinesisClient, requests: readonly LagRequest[], connection: Connection, io: CliIO): Promise<Map<string, Lag>> {
  const ports = new Map<string, KinesisReadPort>();
  const portFor = (streamName: string): KinesisReadPort => {
    let port = ports.get(streamName);
    if (port === undefined) ports.set(streamName, (port = kinesisReadPort(client, { streamName })));
    return port;
  };
  const lags = new Map<string, Lag>();
  const queue = [...requests];
  const worker = async (): Promise<void> => {
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      const { streamName } = request;
      const lag = streamName === undefined ? { unknown: 'no stream (--stream)' } : await lagOf(portFor(streamName), request, connection, io);
      lags.set(request.leaseKey, lag);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LAG_CONCURRENCY, requests.length) }, worker));
  return lags;
}

async function lagOf(port: KinesisReadPort, request: LagRequest, connection: Connection, io: CliIO): Promise<Lag> {
  const { sequenceNumber, subSequenceNumber } = request.checkpoint;
  if (sequenceNumber === 'SHARD_END') return { unknown: 'finished' };
  if (sequenceNumber === 'LATEST') return { unknown: 'at LATEST' };
  if (sequenceNumber === 'AT_TIMESTAMP') return { unknown: 'at AT_TIMESTAMP' };
  const read = (iterator: string) => call(connection, io, `GetRecords ${request.shardId}`, (signal) => port.getRecords(iterator, { limit: 1, signal }));
  const lag = (page: GetRecordsOutcome): Lag =>
    page.kind === 'records' && page.millisBehindLatest !== undefined ? { millisBehindLatest: page.millisBehindLatest, unread: page.records.length > 0 } : { unknown: 'not reported' };
  try {
    const atCheckpoint = isSequenceNumber(sequenceNumber);
    const start = atCheckpoint ? { type: 'AT_SEQUENCE_NUMBER' as const, sequenceNumber } : { type: 'TRIM_HORIZON' as const };
    const iterator = await call(connection, io, `GetShardIterator ${request.shardId}`, (signal) => port.getShardIterator(request.shardId, start, signal));
    const first = await read(iterator);
    if (!atCheckpoint || first.kind !== 'records') return lag(first);
    const record = first.records[0];
    const unreadMembers = record !== undefined && record.sequenceNumber === sequenceNumber && deaggregate(record).some((m) => m.subSequenceNumber > subSequenceNumber);
    if (unreadMembers) return { millisBehindLatest: first.millisBehindLatest ?? 0, unread: true };
    if (first.nextShardIterator === undefined) return { millisBehindLatest: 0, unread: false }; // a closed shard read to its end
    return lag(await read(first.nextShardIterator));
  } catch (error) {
    if (io.signal.aborted) throw error;
    return { unknown: `error ${awsErrorName(error)}` };
  }
}
