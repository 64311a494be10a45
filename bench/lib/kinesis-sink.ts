// A loopback no-op Kinesis endpoint for the producer benchmark: it parses every request the way
// Kinesis would (JSON 1.1, base64 data, shard chosen by ExplicitHashKey or MD5 of the partition
// key), stores nothing, and answers success, so what a benchmark measures is the producer's own
// cost. It counts what it received: requests, Kinesis records, data bytes and PUT payload units.
//
// Run as its own process (so its CPU is not the producer's):
//   node bench/dist/lib/kinesis-sink.js <shardCount>   -> prints {"endpoint": "..."} on stdout
// GET /__stats answers the counters; POST /__reset zeroes them.
import { hash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** PUT payload unit: 25 KiB per Kinesis record data, rounded up (the unit the KPL's 51,200 B default is two of). */
export const PAYLOAD_UNIT_BYTES = 25 * 1024;
const MAX_HASH_KEY = (1n << 128n) - 1n;

export interface SinkStats {
  requests: number;
  kinesisRecords: number;
  dataBytes: number;
  payloadUnits: number;
  operations: Record<string, number>;
}

function emptyStats(): SinkStats {
  return { requests: 0, kinesisRecords: 0, dataBytes: 0, payloadUnits: 0, operations: {} };
}

interface Shard {
  ShardId: string;
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
  SequenceNumberRange: { StartingSequenceNumber: string };
}

/** `count` shards (a power of two) splitting the hash key space evenly, as CreateStream does. */
function evenShards(count: number): Shard[] {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(width * BigInt(i)), EndingHashKey: String(width * BigInt(i + 1) - 1n) },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

/** Decoded length of a base64 string, without decoding it. */
function base64Length(b64: string): number {
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - padding;
}

interface PutEntry {
  Data?: string;
  PartitionKey?: string;
  ExplicitHashKey?: string;
}

export function createSink(shardCount: number): { server: http.Server; stats: () => SinkStats } {
  if ((shardCount & (shardCount - 1)) !== 0) throw new Error('shardCount must be a power of two');
  const shards = evenShards(shardCount);
  const shift = 128n - BigInt(Math.log2(shardCount));
  let stats = emptyStats();
  let sequence = 0;

  const shardOf = (entry: PutEntry): string => {
    const key = entry.ExplicitHashKey !== undefined ? BigInt(entry.ExplicitHashKey) : BigInt('0x' + hash('md5', entry.PartitionKey ?? '', 'hex'));
    return shards[Number(key >> shift)]!.ShardId;
  };
  const put = (entry: PutEntry): { ShardId: string; SequenceNumber: string } => {
    const bytes = base64Length(entry.Data ?? '');
    stats.kinesisRecords++;
    stats.dataBytes += bytes;
    stats.payloadUnits += Math.max(1, Math.ceil(bytes / PAYLOAD_UNIT_BYTES));
    return { ShardId: shardOf(entry), SequenceNumber: String(++sequence).padStart(21, '0') };
  };
  const description = (name: string) => ({
    StreamName: name,
    StreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
    StreamStatus: 'ACTIVE',
    StreamModeDetails: { StreamMode: 'PROVISIONED' },
    RetentionPeriodHours: 24,
    StreamCreationTimestamp: 0,
    EnhancedMonitoring: [],
    EncryptionType: 'NONE',
  });

  const answer = (operation: string, body: Record<string, unknown>): unknown => {
    const name = String(body.StreamName ?? 'bench');
    switch (operation) {
      case 'PutRecords': {
        const records = (body.Records as PutEntry[]).map(put);
        return { FailedRecordCount: 0, Records: records };
      }
      case 'PutRecord':
        return put(body as PutEntry);
      case 'ListShards':
        return { Shards: shards };
      case 'DescribeStream':
        return { StreamDescription: { ...description(name), Shards: shards, HasMoreShards: false } };
      case 'DescribeStreamSummary':
        return { StreamDescriptionSummary: { ...description(name), OpenShardCount: shards.length, ConsumerCount: 0 } };
      default:
        return undefined;
    }
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/__stats') return send(response, 200, stats);
      if (request.url === '/__reset') {
        stats = emptyStats();
        return send(response, 200, {});
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      stats.requests++;
      stats.operations[operation] = (stats.operations[operation] ?? 0) + 1;
      const result = answer(operation, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      if (result === undefined) return send(response, 400, { __type: 'UnknownOperationException', message: operation });
      send(response, 200, result);
    });
  });
  server.keepAliveTimeout = 60_000;
  return { server, stats: () => stats };
}

function send(response: http.ServerResponse, status: number, payload: unknown): void {
  const data = Buffer.from(JSON.stringify(payload));
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(data.length) });
  response.end(data);
}

/** Asks a sink process for its counters, or resets them. */
export async function sinkControl(endpoint: string, what: 'stats' | 'reset'): Promise<SinkStats> {
  const response = await fetch(`${endpoint}/__${what}`, { method: what === 'stats' ? 'GET' : 'POST' });
  return (await response.json()) as SinkStats;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { server } = createSink(Number(process.argv[2] ?? 16));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  });
}
