import { MAX_HASH_KEY, ShardMap, hashKeyOf, type OuterRecord } from '@kinesis-kit/aggregation';
import type { KinesisWritePort, PutRecordsEntryResult, ShardDescription } from '../../src/index.js';

/** What the fake does with one PutRecords request. */
export type RequestPlan =
  | { readonly kind: 'ok' }
  /** The whole request fails with this error (as the SDK would throw it). */
  | { readonly kind: 'error'; readonly name: string; readonly status?: number }
  /** Entries for which `code` returns a string fail with it; the others are stored. */
  | { readonly kind: 'partial'; readonly code: (index: number, record: OuterRecord) => string | undefined }
  /** Never answers (until the producer's timeout aborts it). */
  | { readonly kind: 'hang' };

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly record: OuterRecord;
}

export interface RequestLog {
  readonly at: number;
  readonly records: readonly OuterRecord[];
}

/** Bytes PutRecords counts for a record: data + UTF-8 partition key. */
export function outerSize(record: OuterRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey, 'utf8');
}

/** `count` shards splitting the hash key space evenly, named shardId-000000000000... */
export function evenShards(count: number, firstIndex = 0): ShardDescription[] {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    shardId: `shardId-${String(firstIndex + i).padStart(12, '0')}`,
    hashKeyRange: { startingHashKey: width * BigInt(i), endingHashKey: i === count - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n },
  }));
}

/**
 * An in-memory Kinesis port for faults no emulator produces (throttling, partial failures,
 * hangs) and for simulated-time checks (rates). `listed` is what ListShards answers; `actual` is
 * how records are really routed (set it apart from `listed` to simulate a stale shard map).
 * Answers come in a microtask.
 */
export class FakeKinesis implements KinesisWritePort {
  listed: ShardDescription[];
  actual: ShardMap<ShardDescription>;
  plan: (requestIndex: number) => RequestPlan = () => ({ kind: 'ok' });
  readonly stored: StoredRecord[] = [];
  readonly requests: RequestLog[] = [];
  listShardsCalls = 0;
  /** The stream's largest record (data + partition key): DescribeStreamSummary answers it, PutRecords refuses records above it as Kinesis does. */
  maxRecordBytes = 1024 * 1024;
  maxRecordSizeCalls = 0;
  #sequence = 0;

  constructor(
    shards: ShardDescription[],
    readonly now: () => number = () => 0,
  ) {
    this.listed = shards;
    this.actual = new ShardMap(shards);
  }

  /** Changes the shards, both listed and actual (a completed reshard). */
  reshard(shards: ShardDescription[]): void {
    this.listed = shards;
    this.actual = new ShardMap(shards);
  }

  async listShards(): Promise<readonly ShardDescription[]> {
    this.listShardsCalls++;
    await Promise.resolve();
    return this.listed;
  }

  async maxRecordSize(): Promise<number> {
    this.maxRecordSizeCalls++;
    await Promise.resolve();
    return this.maxRecordBytes;
  }

  putRecords(records: readonly OuterRecord[], signal: AbortSignal): Promise<readonly PutRecordsEntryResult[]> {
    const plan = this.plan(this.requests.length);
    this.requests.push({ at: this.now(), records });
    if (plan.kind === 'hang') {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    return Promise.resolve().then(() => {
      if (plan.kind === 'error') throw Object.assign(new Error(`injected ${plan.name}`), { name: plan.name, $metadata: { httpStatusCode: plan.status ?? 400 } });
      return records.map((record, index) => {
        const code = plan.kind === 'partial' ? plan.code(index, record) : undefined;
        if (code !== undefined) return { errorCode: code, errorMessage: `injected ${code}` };
        if (outerSize(record) > this.maxRecordBytes) return { errorCode: 'InvalidArgumentException', errorMessage: `record above ${this.maxRecordBytes} bytes` };
        const shardId = this.actual.lookup(hashKeyOf(record))!.shardId;
        const sequenceNumber = String(++this.#sequence).padStart(20, '0');
        this.stored.push({ shardId, sequenceNumber, record });
        return { shardId, sequenceNumber };
      });
    });
  }
}
