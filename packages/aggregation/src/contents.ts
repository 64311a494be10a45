/**
 * Everything an aggregate holds, de-duplicated and measured by RecordAggregator, so that
 * encoding is one pass of writes into one buffer of exactly the right size. Storage is reused
 * from one aggregate to the next (typed arrays and arrays that only grow), so filling an
 * aggregate allocates nothing once the aggregator has warmed up.
 */
export class AggregateContents {
  /** Exact byte length of the protobuf body. */
  bodySize = 0;
  /** User records held. */
  count = 0;
  /** Partition key table: the strings and their UTF-8 byte lengths; the first `keyCount` are live. */
  keyCount = 0;
  readonly partitionKeys: string[] = [];
  readonly partitionKeyBytes: number[] = [];
  /** Explicit hash key table (canonical decimal, so ASCII); the first `explicitHashKeyCount` are live. */
  explicitHashKeyCount = 0;
  readonly explicitHashKeys: string[] = [];
  /** Per record, the first `count` are live: key table indexes (-1 = no explicit hash key), Record message size, data. */
  recordPartitionKeyIndex: Int32Array<ArrayBuffer> = new Int32Array(64);
  recordExplicitHashKeyIndex: Int32Array<ArrayBuffer> = new Int32Array(64);
  recordSize: Int32Array<ArrayBuffer> = new Int32Array(64);
  readonly recordData: Uint8Array[] = [];

  addPartitionKey(key: string, utf8Length: number): void {
    this.partitionKeys[this.keyCount] = key;
    this.partitionKeyBytes[this.keyCount++] = utf8Length;
  }

  addExplicitHashKey(key: string): void {
    this.explicitHashKeys[this.explicitHashKeyCount++] = key;
  }

  /** Adds a record; indexes and size are below 2^31 (a 10 MiB aggregate holds < 2^21 records). */
  addRecord(pkIndex: number, ehkIndex: number, size: number, data: Uint8Array, bodyBytes: number): void {
    const i = this.count;
    if (i === this.recordSize.length) this.#grow();
    this.recordPartitionKeyIndex[i] = pkIndex;
    this.recordExplicitHashKeyIndex[i] = ehkIndex;
    this.recordSize[i] = size;
    this.recordData[i] = data;
    this.count = i + 1;
    this.bodySize += bodyBytes;
  }

  /** Empties the contents, keeping the storage; drops the references to user data. */
  reset(): void {
    this.recordData.fill(EMPTY, 0, this.count);
    this.bodySize = 0;
    this.count = 0;
    this.keyCount = 0;
    this.explicitHashKeyCount = 0;
  }

  #grow(): void {
    const size = this.recordSize.length * 2;
    this.recordPartitionKeyIndex = grow(this.recordPartitionKeyIndex, size);
    this.recordExplicitHashKeyIndex = grow(this.recordExplicitHashKeyIndex, size);
    this.recordSize = grow(this.recordSize, size);
  }
}

const EMPTY = new Uint8Array(0);

function grow(from: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const to = new Int32Array(size);
  to.set(from);
  return to;
}
