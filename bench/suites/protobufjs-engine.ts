// The same aggregated-record encoder and decoder written on protobufjs's minimal Writer and
// Reader, to measure whether the package's hand-written writer/reader is worth keeping.
import { hash } from 'node:crypto';
import { type DeaggregatedRecord, MAGIC, type StreamRecord, type UserRecord } from '@kinesis-kit/aggregation';
import type { ProtobufjsMinimal } from './peers.js';

/** magic + protobufjs-written body + MD5; the same bytes as RecordAggregator for 2+ records. */
export function encodeWithProtobufjs(pb: ProtobufjsMinimal, records: readonly UserRecord[]): Uint8Array {
  const pkIndex = new Map<string, number>();
  const ehkIndex = new Map<string, number>();
  const pkIndexes: number[] = [];
  const ehkIndexes: number[] = [];
  for (const { partitionKey, explicitHashKey } of records) {
    if (!pkIndex.has(partitionKey)) pkIndex.set(partitionKey, pkIndex.size);
    pkIndexes.push(pkIndex.get(partitionKey)!);
    if (explicitHashKey !== undefined && !ehkIndex.has(explicitHashKey)) ehkIndex.set(explicitHashKey, ehkIndex.size);
    ehkIndexes.push(explicitHashKey === undefined ? -1 : ehkIndex.get(explicitHashKey)!);
  }
  const w = pb.Writer.create();
  for (const key of pkIndex.keys()) w.uint32(0x0a).string(key);
  for (const key of ehkIndex.keys()) w.uint32(0x12).string(key);
  for (let i = 0; i < records.length; i++) {
    w.uint32(0x1a).fork().uint32(0x08).uint32(pkIndexes[i]!);
    if (ehkIndexes[i]! >= 0) w.uint32(0x10).uint32(ehkIndexes[i]!);
    w.uint32(0x1a).bytes(records[i]!.data).ldelim();
  }
  const body = w.finish();
  const out = new Uint8Array(20 + body.length);
  out.set(MAGIC, 0);
  out.set(body, 4);
  out.set(hash('md5', body, 'buffer'), 4 + body.length);
  return out;
}

/** Decodes a well-formed aggregate with protobufjs's Reader into the same records as deaggregate(). */
export function decodeWithProtobufjs(pb: ProtobufjsMinimal, record: StreamRecord): DeaggregatedRecord[] {
  const { data, sequenceNumber } = record;
  const body = data.subarray(4, data.length - 16);
  const digest = hash('md5', body, 'buffer');
  for (let i = 0; i < 16; i++) if (digest[i] !== data[data.length - 16 + i]) throw new Error('md5');
  const r = pb.Reader.create(body);
  const pks: string[] = [];
  const ehks: string[] = [];
  const members: { pk: number; ehk: number; data: Uint8Array }[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x0a) pks.push(r.string());
    else if (tag === 0x12) ehks.push(r.string());
    else if (tag === 0x1a) {
      const end = r.uint32() + r.pos;
      let pk = -1;
      let ehk = -1;
      let bytes: Uint8Array | undefined;
      while (r.pos < end) {
        const t = r.uint32();
        if (t === 0x08) pk = r.uint32();
        else if (t === 0x10) ehk = r.uint32();
        else if (t === 0x1a) bytes = r.bytes();
        else r.skipType(t & 7);
      }
      if (pk < 0 || bytes === undefined) throw new Error('malformed');
      members.push({ pk, ehk, data: bytes });
    } else r.skipType(tag & 7);
  }
  return members.map(({ pk, ehk, data: member }, subSequenceNumber) => {
    const partitionKey = pks[pk]!;
    const base = { partitionKey, data: member, sequenceNumber, subSequenceNumber, aggregated: true };
    return ehk < 0 ? base : { ...base, explicitHashKey: ehks[ehk]! };
  });
}
