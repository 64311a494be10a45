import type { RecordBatch } from './retrieval.js';

/** Record bytes of a batch as the prefetch bound counts them (payloads; keys are small and bounded). */
export function batchBytes(batch: RecordBatch): number {
  let bytes = 0;
  for (const record of batch.records) bytes += record.data.byteLength;
  return bytes;
}

function isHeartbeat(batch: RecordBatch): boolean {
  return batch.records.length === 0 && batch.shardEnd === undefined;
}

/**
 * Batches fetched ahead of the processor, bounded by count and bytes. A fetch may start only
 * while `hasRoom()`, so the buffer never holds more than `maxBatches` batches nor more than
 * `maxBytes` plus one GetRecords response. An empty (caught-up) batch is kept only as the
 * newest entry and is replaced by whatever comes next: idle polling never fills the buffer.
 */
export class PrefetchBuffer {
  readonly #batches: { batch: RecordBatch; bytes: number }[] = [];
  #bytes = 0;

  constructor(
    readonly maxBatches: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#batches.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  hasRoom(): boolean {
    return this.#batches.length < this.maxBatches && this.#bytes < this.maxBytes;
  }

  push(batch: RecordBatch): void {
    const last = this.#batches.at(-1);
    if (last !== undefined && isHeartbeat(last.batch)) this.#batches.pop();
    else if (last !== undefined && isHeartbeat(batch)) return;
    const bytes = batchBytes(batch);
    this.#batches.push({ batch, bytes });
    this.#bytes += bytes;
  }

  shift(): RecordBatch | undefined {
    const entry = this.#batches.shift();
    if (entry === undefined) return undefined;
    this.#bytes -= entry.bytes;
    return entry.batch;
  }

  clear(): void {
    this.#batches.length = 0;
    this.#bytes = 0;
  }
}
