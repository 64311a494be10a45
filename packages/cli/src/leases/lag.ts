import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { isSequenceNumber, kinesisReadPort, type KinesisReadPort, type Position } from '@kinesis-kit/consumer';
import type { Connection } from '../clients.js';
import { call, type CliIO } from '../context.js';
import { awsErrorName } from '../errors.js';

/** A lease's lag: MillisBehindLatest of the first record after its checkpoint, or why there is none. */
export type Lag = { readonly millisBehindLatest: number } | { readonly unknown: string };

/** Lag lookups in flight at once (each is two calls on its shard). */
const LAG_CONCURRENCY = 8;

export interface LagRequest {
  readonly leaseKey: string;
  readonly streamName: string | undefined;
  readonly shardId: string;
  readonly checkpoint: Position;
}

/**
 * Lag behind the tip for each lease: one GetShardIterator at AFTER_SEQUENCE_NUMBER of the
 * checkpoint (TRIM_HORIZON for a TRIM_HORIZON checkpoint), then one GetRecords with Limit 1,
 * whose MillisBehindLatest says how far the first unprocessed record is from the tip (0: caught
 * up). Each call has the --timeout deadline. A lease whose lag cannot be known says why.
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
  const { sequenceNumber } = request.checkpoint;
  if (sequenceNumber === 'SHARD_END') return { unknown: 'finished' };
  if (sequenceNumber === 'LATEST') return { unknown: 'at LATEST' };
  if (sequenceNumber === 'AT_TIMESTAMP') return { unknown: 'at AT_TIMESTAMP' };
  const start = isSequenceNumber(sequenceNumber) ? { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber } : { type: 'TRIM_HORIZON' as const };
  try {
    const iterator = await call(connection, io, `GetShardIterator ${request.shardId}`, (signal) => port.getShardIterator(request.shardId, start, signal));
    const page = await call(connection, io, `GetRecords ${request.shardId}`, (signal) => port.getRecords(iterator, { limit: 1, signal }));
    if (page.kind === 'expiredIterator' || page.millisBehindLatest === undefined) return { unknown: 'not reported' };
    return { millisBehindLatest: page.millisBehindLatest };
  } catch (error) {
    if (io.signal.aborted) throw error;
    return { unknown: `error ${awsErrorName(error)}` };
  }
}
