import { describe, expect, it } from 'vitest';
import { PrefetchBuffer } from '../../src/retrieval/prefetch-buffer.js';
import type { RecordBatch } from '../../src/retrieval/retrieval.js';

function batch(sizes: readonly number[], millisBehindLatest = 0): RecordBatch {
  return {
    records: sizes.map((size, i) => ({ data: new Uint8Array(size), partitionKey: 'k', sequenceNumber: String(i + 1) })),
    millisBehindLatest,
  };
}

describe('PrefetchBuffer', () => {
  it('has room until it holds maxBatches batches', () => {
    const buffer = new PrefetchBuffer(2, 1_000_000);
    buffer.push(batch([1]));
    expect(buffer.hasRoom()).toBe(true);
    buffer.push(batch([1]));
    expect(buffer.hasRoom()).toBe(false);
    buffer.shift();
    expect(buffer.hasRoom()).toBe(true);
  });

  it('has no room once it holds maxBytes of record data, and counts bytes back out', () => {
    const buffer = new PrefetchBuffer(10, 100);
    buffer.push(batch([60]));
    expect(buffer.hasRoom()).toBe(true);
    buffer.push(batch([30, 30]));
    expect(buffer.bytes).toBe(120);
    expect(buffer.hasRoom()).toBe(false);
    buffer.shift();
    expect(buffer.bytes).toBe(60);
    expect(buffer.hasRoom()).toBe(true);
  });

  it('admits a 10 MiB record with a bound smaller than one record: an empty buffer always has room, so nothing waits forever', () => {
    const tenMiB = 10 * 1024 * 1024;
    const buffer = new PrefetchBuffer(3, 1024 * 1024);
    expect(buffer.hasRoom()).toBe(true);
    buffer.push(batch([tenMiB]));
    expect(buffer.bytes).toBe(tenMiB);
    expect(buffer.hasRoom()).toBe(false); // held: the bound plus one response at most
    expect(buffer.shift()?.records[0]?.data.length).toBe(tenMiB);
    expect(buffer.hasRoom()).toBe(true);
  });

  it('never has room with maxBatches 0 (fetch on demand only)', () => {
    expect(new PrefetchBuffer(0, 100).hasRoom()).toBe(false);
  });

  it('keeps an empty (caught-up) batch only as the newest entry, replaced by the next one', () => {
    const buffer = new PrefetchBuffer(3, 1_000);
    buffer.push(batch([], 5));
    buffer.push(batch([], 0));
    expect(buffer.size).toBe(1);
    buffer.push(batch([10]));
    expect(buffer.size).toBe(1);
    buffer.push(batch([], 0));
    expect(buffer.size).toBe(1);
    expect(buffer.shift()?.records).toHaveLength(1);
  });

  it('keeps a shard-end batch even when it has no records', () => {
    const buffer = new PrefetchBuffer(3, 1_000);
    buffer.push(batch([10]));
    buffer.push({ records: [], millisBehindLatest: 0, shardEnd: { childShards: [] } });
    expect(buffer.size).toBe(2);
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.bytes).toBe(0);
  });
});
